"""Transactional outbox: side effects are written with the change and run after commit.

``publish`` adds a row in the caller's transaction. ``dispatch`` (the worker, or the in-process
loop in development) hands each pending row to every handler subscribed to its topic, marks it
done, or records the error and retries later with back-off. Handlers must be idempotent.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from permitcard.db import Database
from permitcard.shared import clock
from permitcard.shared.models import OutboxMessage

log = logging.getLogger("permitcard.outbox")

Handler = Callable[[Session, dict[str, Any]], None]
_handlers: dict[str, list[Handler]] = defaultdict(list)
MAX_ATTEMPTS = 8


def subscribe(topic: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        if fn not in _handlers[topic]:
            _handlers[topic].append(fn)
        return fn

    return register


def handlers_for(topic: str) -> list[Handler]:
    return list(_handlers.get(topic, ()))


def publish(session: Session, topic: str, payload: dict[str, Any]) -> None:
    now = clock.now()
    session.add(OutboxMessage(topic=topic, payload=payload, created_at=now, available_at=now))


def dispatch(db: Database, *, limit: int = 100) -> int:
    """Process up to ``limit`` due messages; each in its own unit of work. Returns how many ran."""
    with db.uow(write=False) as s:
        ids = s.execute(
            select(OutboxMessage.id)
            .where(OutboxMessage.processed_at.is_(None), OutboxMessage.available_at <= clock.now())
            .where(or_(OutboxMessage.attempts < MAX_ATTEMPTS))
            .order_by(OutboxMessage.id)
            .limit(limit)
        ).scalars().all()
    done = 0
    for message_id in ids:
        done += _run_one(db, message_id)
    return done


def _run_one(db: Database, message_id: int) -> int:
    with db.uow() as s:
        query = select(OutboxMessage).where(OutboxMessage.id == message_id)
        if not db.is_sqlite:
            query = query.with_for_update(skip_locked=True)
        msg = s.execute(query).scalar_one_or_none()
        if msg is None or msg.processed_at is not None:
            return 0
        try:
            with s.begin_nested():
                for handler in handlers_for(msg.topic):
                    handler(s, msg.payload)
        except Exception as exc:  # a failing handler is recorded and retried, never swallowed
            log.exception("outbox message %s (%s) failed", msg.id, msg.topic)
            msg.attempts += 1
            msg.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            msg.available_at = clock.now() + timedelta(seconds=min(3600, 5 * 2**msg.attempts))
            s.commit()
            return 0
        msg.attempts += 1
        msg.processed_at = clock.now()
        s.commit()
        return 1
