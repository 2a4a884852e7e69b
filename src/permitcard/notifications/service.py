"""Notifications: queued in the caller's transaction, rendered and delivered by the outbox worker.

``notify`` is what other contexts call. The message text is a template per language
(``templates/notifications/<name>.txt``: first line the subject, then the body).

The worker's handler (``deliver``) renders the message and writes its row, unsent, in the batch's
transaction; after that commits, ``send`` hands the batch's messages to the mailer with no database
lock held (an SMTP relay may take seconds) and marks them sent, or failed with a back-off, in one short
write. ``send_unsent`` (a job of the worker) sends what is left: a failed send when its back-off is
over, a message whose worker stopped between the commit and the send when its lease has run out.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, cast

from sqlalchemy import Table, bindparam, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from permitcard.db import Database
from permitcard.notifications.adapters import mailer
from permitcard.notifications.events import NotificationRequested
from permitcard.notifications.models import Notification
from permitcard.prebuilt import Prebuilt
from permitcard.shared import clock, i18n, outbox
from permitcard.shared.web import templates

log = logging.getLogger("permitcard.notifications")

# A new message is its writer's to send for this long; then any worker's sweep may send it.
LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 8  # sends; then the row stays unsent with its last error, for an operator
SWEEP_BATCH = 100


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
_SENT = Prebuilt(_TABLE.update().where(_TABLE.c.id == bindparam("nid"), _TABLE.c.sent_at.is_(None))
                 .values(sent_at=bindparam("at"), attempts=_TABLE.c.attempts + 1, last_error=""))
_FAILED = Prebuilt(_TABLE.update().where(_TABLE.c.id == bindparam("nid"), _TABLE.c.sent_at.is_(None))
                   .values(attempts=_TABLE.c.attempts + 1, last_error=bindparam("error"),
                           available_at=bindparam("retry_at")))
# Unsent rows whose lease or back-off is over, taken for a new lease (PostgreSQL: rows another worker is
# taking are skipped, so two sweeps never send the same message).
_UNSENT = (select(_TABLE.c.id).where(_TABLE.c.sent_at.is_(None), _TABLE.c.available_at <= bindparam("now"),
                                     _TABLE.c.attempts < MAX_ATTEMPTS)
           .order_by(_TABLE.c.available_at).limit(bindparam("limit")).with_for_update(skip_locked=True))
_TAKE = Prebuilt(_TABLE.update().where(_TABLE.c.id.in_(_UNSENT))
                 .values(available_at=bindparam("lease"))
                 .returning(_TABLE.c.id, _TABLE.c.recipient, _TABLE.c.subject, _TABLE.c.body, _TABLE.c.attempts))


@functools.cache
def _insert_new(dialect: str) -> Prebuilt:
    """The message's row, unless its dedupe key has one already (then no row: RETURNING nothing)."""
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    return Prebuilt(insert(_TABLE).on_conflict_do_nothing(index_elements=[_TABLE.c.dedupe_key])
                    .returning(_TABLE.c.id))


@dataclass(frozen=True, slots=True)
class Mail:
    """A message row to hand to the mailer."""

    id: int
    to: str
    subject: str
    body: str
    attempts: int = 0


def deliver(s: Session, message: NotificationRequested) -> None:
    """Render the message and write its row, unsent, in the worker's transaction; ``send`` hands it to the
    mailer after the commit. Idempotent: a message whose dedupe key has a row already is left to that row
    (sent, or waiting for its sender or the sweep). One statement (built once)."""
    subject, body = render_message(message.template, message.params, message.locale)
    now = clock.now()
    nid = _insert_new(s.get_bind().dialect.name).run(s, {
        "dedupe_key": message.dedupe_key, "channel": "email", "recipient": message.to, "locale": message.locale,
        "template": message.template, "subject": subject, "body": body, "created_at": now, "sent_at": None,
        "available_at": now + LEASE, "attempts": 0, "last_error": ""}).scalar_one_or_none()
    if nid is not None:
        outbox.after_commit(s, send, Mail(int(nid), message.to, subject, body))


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(6 * 3600, 30 * 2 ** attempts))


def send(db: Database, mails: list[Mail]) -> int:
    """Hand each message to the mailer, holding no database lock, then record in one unit of work which
    went (sent_at) and which did not (attempts, last error, when to try again). Returns how many went.
    A crash before that record sends the messages again when their lease runs out: e-mail is at least once."""
    sent: list[dict[str, Any]] = []
    failed: list[tuple[Mail, Exception]] = []
    for mail in mails:
        try:
            mailer().send(to=mail.to, subject=mail.subject, body=mail.body, message_id=f"{mail.id:08d}")
        except Exception as exc:  # the row says why; the sweep tries again after a back-off
            failed.append((mail, exc))
            log.warning("e-mail %s not sent (attempt %s): %s", mail.id, mail.attempts + 1, type(exc).__name__)
        else:
            sent.append({"nid": mail.id, "at": clock.now()})
    now = clock.now()
    with db.uow() as s:
        _SENT.run_many(s, sent)
        _FAILED.run_many(s, [{"nid": mail.id, "error": f"{type(exc).__name__}: {exc}"[:2000],
                              "retry_at": now + _backoff(mail.attempts + 1)} for mail, exc in failed])
        s.commit()
    for mail, _exc in failed:
        if mail.attempts + 1 >= MAX_ATTEMPTS:
            log.error("e-mail %s not sent after %s attempts; it stays unsent", mail.id, MAX_ATTEMPTS)
    return len(sent)


def send_unsent(db: Database, *, limit: int = SWEEP_BATCH) -> int:
    """Send the messages still unsent whose lease or back-off is over (taking each for a new lease first,
    so no other worker sends it meanwhile). Returns how many went."""
    total = 0
    while True:
        now = clock.now()
        with db.uow() as s:
            rows = _TAKE.run(s, {"now": now, "limit": limit, "lease": now + LEASE}).all()
            s.commit()
        if not rows:
            return total
        total += send(db, [Mail(r.id, r.recipient, r.subject, r.body, r.attempts) for r in rows])
        if len(rows) < limit:
            return total


def was_sent(s: Session, *, dedupe_key: str) -> bool:
    """Has the message with this dedupe key been delivered (a recurring job asks before queueing it again)?"""
    return s.execute(select(Notification.id).where(Notification.dedupe_key == dedupe_key,
                                                   Notification.sent_at.is_not(None))).first() is not None


def sent_to(s: Session, recipient: str) -> list[Notification]:
    return list(s.execute(select(Notification).where(Notification.recipient == recipient)
                          .order_by(Notification.id)).scalars())
