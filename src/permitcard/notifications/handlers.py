"""Outbox handlers of notifications: queued messages are rendered and sent after commit."""

from __future__ import annotations

from permitcard.notifications.events import NotificationRequested
from permitcard.notifications.service import deliver
from permitcard.shared import outbox


def register() -> None:
    outbox.handles(NotificationRequested)(deliver)
