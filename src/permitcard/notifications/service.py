"""Notifications: queued in the caller's transaction, rendered and delivered by the outbox worker.

``notify`` is what other contexts call. The message text is a template per language
(``templates/notifications/<name>.txt``: first line the subject, then the body).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from permitcard.notifications.adapters import mailer
from permitcard.notifications.events import NotificationRequested
from permitcard.notifications.models import Notification
from permitcard.shared import clock, i18n, outbox
from permitcard.shared.web import templates


def notify(s: Session, *, to: str, template: str, params: dict[str, Any], locale: str, dedupe_key: str) -> None:
    """Queue a message; it is sent after the caller commits. The same dedupe_key is sent once."""
    outbox.publish(s, NotificationRequested(to=to, template=template, params=params, locale=locale,
                                            dedupe_key=dedupe_key))


def render_message(template: str, params: dict[str, Any], locale: str) -> tuple[str, str]:
    with i18n.use_locale(locale):
        text = templates.get_template(f"notifications/{template}.txt").render(**params)
    subject, _, body = text.strip().partition("\n")
    return subject.strip(), body.strip() + "\n"


def deliver(s: Session, message: NotificationRequested) -> None:
    """Render and send one message (idempotent: a message already sent is not sent again)."""
    key = message.dedupe_key
    existing = s.execute(select(Notification).where(Notification.dedupe_key == key)).scalar_one_or_none()
    if existing is not None and existing.sent_at is not None:
        return  # idempotent: already delivered
    subject, body = render_message(message.template, message.params, message.locale)
    if existing is None:
        existing = Notification(dedupe_key=key, channel="email", recipient=message.to, locale=message.locale,
                                template=message.template, subject=subject, body=body, created_at=clock.now())
        s.add(existing)
        s.flush()
    mailer().send(to=message.to, subject=subject, body=body, message_id=f"{existing.id:08d}")
    existing.sent_at = clock.now()


def was_sent(s: Session, *, dedupe_key: str) -> bool:
    """Has the message with this dedupe key been delivered (a recurring job asks before queueing it again)?"""
    return s.execute(select(Notification.id).where(Notification.dedupe_key == dedupe_key,
                                                   Notification.sent_at.is_not(None))).first() is not None


def sent_to(s: Session, recipient: str) -> list[Notification]:
    return list(s.execute(select(Notification).where(Notification.recipient == recipient)
                          .order_by(Notification.id)).scalars())
