"""Ports: where the bootstrap plugs in the adapters chosen by configuration.

The code that uses an adapter declares a typed ``Port`` beside the adapter's protocol (the permit
registry in ``shared.registry``, the card producer in ``cards.producer``, the mailer in
``notifications.adapters``) and asks it with ``get()``; ``permitcard.bootstrap`` installs what the
settings choose. No module picks its own adapter from the settings.
"""

from __future__ import annotations

from typing import Generic, TypeVar

T = TypeVar("T")


class NotConfigured(RuntimeError):
    """An adapter was asked for before the bootstrap installed one (a programming error, not a 4xx)."""


class Port(Generic[T]):
    """One adapter slot: ``install`` by the bootstrap, ``get`` by the code that needs it."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._adapter: T | None = None

    def install(self, adapter: T | None) -> None:
        self._adapter = adapter

    def get(self) -> T:
        if self._adapter is None:
            raise NotConfigured(f"no {self.name} is installed: the app is assembled by permitcard.bootstrap")
        return self._adapter

    def optional(self) -> T | None:
        """The adapter, or None where a deployment has none (e.g. no SMS gateway)."""
        return self._adapter
