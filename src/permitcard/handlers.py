"""Subscribe every context's outbox handlers (web process worker thread and `permitcard worker`)."""

from __future__ import annotations

import importlib
import importlib.util

CONTEXTS_WITH_HANDLERS = ("notifications", "permits", "insurance", "photos", "cards", "ecard")


def register_all() -> None:
    for ctx in CONTEXTS_WITH_HANDLERS:
        name = f"permitcard.{ctx}.service"
        if importlib.util.find_spec(name) is None:
            continue
        register = getattr(importlib.import_module(name), "register_handlers", None)
        if register is not None:
            register()
