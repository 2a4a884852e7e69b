"""Notifications are themselves queued as an event, so they leave only after the change commits."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from permitcard.shared.events import Event


@dataclass(frozen=True)
class NotificationRequested(Event):
    """Send ``template`` in ``locale`` to ``to``; the same ``dedupe_key`` is sent once."""

    name: ClassVar[str] = "notification.send"

    to: str
    template: str
    locale: str
    dedupe_key: str
    params: dict[str, Any] = field(default_factory=dict)
