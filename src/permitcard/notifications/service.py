"""Notifications: queued in the caller's transaction, rendered and delivered by the outbox worker.

``notify`` is what other contexts call. The message text is a template per language
(``templates/notifications/<name>.txt``: first line the subject, then the body).
"""

from __future__ import annotations

import functools
from typing import Any, cast

from sqlalchemy import Table, bindparam, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from permitcard.notifications.adapters import mailer
from permitcard.notifications.events import NotificationRequested
from permitcard.notifications.models import Notification
from permitcard.prebuilt import Prebuilt
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


_TABLE = cast(Table, Notification.__table__)
_FIND = Prebuilt(select(_TABLE.c.id, _TABLE.c.sent_at).where(_TABLE.c.dedupe_key == bindparam("key")))
_SENT = Prebuilt(_TABLE.update().where(_TABLE.c.id == bindparam("nid")).values(sent_at=bindparam("at")))


@functools.cache
def _insert_new(dialect: str) -> Prebuilt:
    """The message's row, unless its dedupe key has one already (then no row: RETURNING nothing)."""
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    return Prebuilt(insert(_TABLE).on_conflict_do_nothing(index_elements=[_TABLE.c.dedupe_key])
                    .returning(_TABLE.c.id))


def deliver(s: Session, message: NotificationRequested) -> None:
    """Render and send one message (idempotent: a message already sent is not sent again).

    The worker runs this while it holds SQLite's one writer, inside a savepoint of its own: the row is
    written as sent, then the message is handed to the mailer; if that fails, the savepoint takes the
    row back and the outbox tries again later. One statement for a new message (statements built once)."""
    key = message.dedupe_key
    subject, body = render_message(message.template, message.params, message.locale)
    now = clock.now()
    nid = _insert_new(s.get_bind().dialect.name).run(s, {
        "dedupe_key": key, "channel": "email", "recipient": message.to, "locale": message.locale,
        "template": message.template, "subject": subject, "body": body, "created_at": now,
        "sent_at": now}).scalar_one_or_none()
    if nid is None:  # its row is there already: sent, or (written before sending was atomic) not yet
        existing = _FIND.run(s, {"key": key}).one()
        if existing.sent_at is not None:
            return
        nid = existing.id
        _SENT.run(s, {"nid": nid, "at": now})
    mailer().send(to=message.to, subject=subject, body=body, message_id=f"{int(nid):08d}")


def was_sent(s: Session, *, dedupe_key: str) -> bool:
    """Has the message with this dedupe key been delivered (a recurring job asks before queueing it again)?"""
    return s.execute(select(Notification.id).where(Notification.dedupe_key == dedupe_key,
                                                   Notification.sent_at.is_not(None))).first() is not None


def sent_to(s: Session, recipient: str) -> list[Notification]:
    return list(s.execute(select(Notification).where(Notification.recipient == recipient)
                          .order_by(Notification.id)).scalars())
