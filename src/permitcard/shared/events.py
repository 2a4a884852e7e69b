"""Typed domain events (cosmicpython ``domain/events.py``).

Each context declares what happened to its aggregates as small frozen dataclasses in its own
``events.py``: a stable wire ``name`` and fields of plain types (str, int, bool, date, datetime,
None). ``shared.outbox.publish(session, event)`` stores one in the caller's transaction; handlers
subscribe to the class, never to a string typed in two places.
"""

from __future__ import annotations

import dataclasses
import functools
import typing
from collections.abc import Callable
from datetime import date, datetime
from typing import Any, ClassVar, TypeVar, cast

E = TypeVar("E", bound="Event")

_BY_NAME: dict[str, type[Event]] = {}


@dataclasses.dataclass(frozen=True)
class Event:
    """Base of every domain event. Subclasses set ``name`` ("context.what_happened")."""

    name: ClassVar[str] = ""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not cls.name:
            raise TypeError(f"{cls.__qualname__} needs a class attribute name = 'context.what_happened'")
        known = _BY_NAME.get(cls.name)
        if known is not None and known.__qualname__ != cls.__qualname__:
            raise TypeError(f"event name {cls.name!r} is taken by {known.__qualname__}")
        _BY_NAME[cls.name] = cls

    def to_payload(self) -> dict[str, Any]:
        """JSON-ready fields (dates and times as ISO 8601)."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            out[f.name] = value.isoformat() if isinstance(value, date | datetime) else value
        return out

    @classmethod
    def from_payload(cls: type[E], payload: dict[str, Any]) -> E:
        kwargs: dict[str, Any] = {}
        for name, decode in _decoders(cast(Any, cls)):
            if name not in payload:
                continue  # a field added later keeps its default for older messages
            value = payload[name]
            kwargs[name] = decode(value) if decode is not None and isinstance(value, str) else value
        return cls(**kwargs)


@functools.cache
def _decoders(cls: Any) -> tuple[tuple[str, Callable[[str], Any] | None], ...]:
    """Each field and how its JSON text turns back into a value (resolving the type hints is slow, and a
    worker decodes thousands of events: done once per class)."""
    hints = typing.get_type_hints(cls)
    return tuple((f.name, _decoder(hints.get(f.name))) for f in dataclasses.fields(cls))


def _decoder(hint: Any) -> Callable[[str], Any] | None:
    if hint is None:
        return None
    options = typing.get_args(hint) if typing.get_origin(hint) in (typing.Union, _UnionType) else (hint,)
    if datetime in options:
        return datetime.fromisoformat
    if date in options:
        return date.fromisoformat
    return None


_UnionType = type(int | None)


def event_type(name: str) -> type[Event] | None:
    """The event class published under ``name`` (None for an unknown or retired name)."""
    return _BY_NAME.get(name)
