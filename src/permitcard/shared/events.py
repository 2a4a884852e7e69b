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
        hints = _hints(cast(Any, cls))
        kwargs: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            if f.name not in payload:
                continue  # a field added later keeps its default for older messages
            kwargs[f.name] = _decode(hints.get(f.name), payload[f.name])
        return cls(**kwargs)


@functools.cache
def _hints(cls: Any) -> dict[str, Any]:
    """A class's resolved type hints (resolving them is slow; a worker decodes thousands of events)."""
    return typing.get_type_hints(cls)


def _decode(hint: Any, value: Any) -> Any:
    if value is None or hint is None:
        return value
    options = typing.get_args(hint) if typing.get_origin(hint) in (typing.Union, _UnionType) else (hint,)
    if datetime in options and isinstance(value, str):
        return datetime.fromisoformat(value)
    if date in options and isinstance(value, str):
        return date.fromisoformat(value)
    return value


_UnionType = type(int | None)


def event_type(name: str) -> type[Event] | None:
    """The event class published under ``name`` (None for an unknown or retired name)."""
    return _BY_NAME.get(name)
