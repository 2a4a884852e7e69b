"""Subscribe every context's outbox handlers (``<context>/handlers.py`` with ``register()``)."""

from __future__ import annotations

import importlib
import importlib.util

CONTEXTS_WITH_HANDLERS = ("notifications", "permits", "insurance", "photos", "cards", "ecard")


def register_all() -> None:
    for ctx in CONTEXTS_WITH_HANDLERS:
        name = f"permitcard.{ctx}.handlers"
        if importlib.util.find_spec(f"permitcard.{ctx}") is None or importlib.util.find_spec(name) is None:
            continue
        importlib.import_module(name).register()
