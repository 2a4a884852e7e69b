"""Transactional outbox of typed events (cosmicpython ``messagebus.py``, made durable).

``publish(session, event)`` adds a row in the caller's transaction, so an event exists exactly when
the change that raised it was committed. ``dispatch`` (run by ``permitcard worker``) claims a batch
of due messages — ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so any number of workers share the
work — and hands each message to every handler subscribed to its event class, each inside a
SAVEPOINT of its own. Delivery is recorded per (message, handler): a failing handler is retried on
its own with back-off and never blocks or replays its siblings. Handlers must be idempotent (a
worker killed after a handler ran but before the commit runs it again).

Slow I/O (an e-mail to an SMTP relay) does not belong inside that transaction: on SQLite it would hold the
one writer, on PostgreSQL the batch's row locks. A handler writes its record and asks for the rest with
``after_commit(session, fn, item)``; ``dispatch`` calls ``fn(db, items)`` once per batch, after the commit.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple, TypeVar, cast

from sqlalchemy import Table, bindparam, select
from sqlalchemy.orm import Session

from permitcard.db import Database, append
from permitcard.prebuilt import Prebuilt
from permitcard.shared import clock
from permitcard.shared.events import Event, event_type
from permitcard.shared.models import OutboxDelivery, OutboxMessage

_TABLE = cast(Table, OutboxMessage.__table__)

log = logging.getLogger("permitcard.outbox")

E = TypeVar("E", bound=Event)
Handler = Callable[[Session, Any], None]

_handlers: dict[str, list[Handler]] = defaultdict(list)
BatchHandler = Callable[[Session, list[Any]], None]
_batches: dict[Handler, BatchHandler] = {}
MAX_ATTEMPTS = 8
BATCH = 200
# SQLite has one writer: a batch holds the write lock while it runs, and a web request waits behind it. At
# most SQLITE_BATCH messages; the worker sizes each batch to hold the lock about SQLITE_HOLD seconds
# (worker.sqlite_batch; under load its wait for the lock counts, so batches shrink): 25 permit events or
# about 12 of a registration's messages. (Longer batches cost the writer less a message, 0.61 ms in
# batches of 5 and 0.33 ms in batches of 60 in bench.profile, but they made two web processes slower:
# 20 ms batches with a 0.1 s gather 131-202 /s at 10 clients, batches sized by the hold alone 150-206,
# against 224-245.)
SQLITE_BATCH = 100
SQLITE_HOLD = 0.005
SQLITE_MIN_BATCH = 5


def handles(*event_classes: type[Event], batch: BatchHandler | None = None,
            ) -> Callable[[Callable[[Session, E], None]], Callable[[Session, E], None]]:
    """Subscribe a handler ``fn(session, event)`` to one or more event classes (idempotent).

    ``batch(session, events)``, if given, does the same for several events at once: ``dispatch`` hands
    it every due event of a batch for this handler in one SAVEPOINT (fewer statements); if it fails,
    each event goes to ``fn`` on its own, with the usual per-handler retry."""

    def register(fn: Callable[[Session, E], None]) -> Callable[[Session, E], None]:
        for cls in event_classes:
            if fn not in _handlers[cls.name]:
                _handlers[cls.name].append(fn)
        if batch is not None:
            _batches[fn] = batch
        return fn

    return register


def handlers_for(event_class: type[Event] | str) -> list[Handler]:
    name = event_class if isinstance(event_class, str) else event_class.name
    return list(_handlers.get(name, ()))


def handler_key(fn: Handler) -> str:
    """A handler's stable name across processes: where it is defined."""
    return f"{fn.__module__}.{fn.__qualname__}"[:200]


def publish(session: Session, event: Event) -> None:
    """Store ``event`` in the caller's transaction; handlers run after it commits."""
    now = clock.now()
    append(session, _TABLE, {"topic": event.name, "payload": event.to_payload(), "created_at": now,
                             "available_at": now, "attempts": 0, "last_error": ""})


def _aware(at: datetime) -> datetime:
    """SQLite hands back naive UTC datetimes; PostgreSQL aware ones."""
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(3600, 5 * 2**attempts))


class _Message:
    """A claimed message as plain values (a batch is read and marked without ORM objects)."""

    __slots__ = ("attempts", "available_at", "id", "last_error", "payload", "processed_at", "topic")

    def __init__(self, id: int, topic: str, payload: dict[str, Any], attempts: int, last_error: str,
                 available_at: datetime) -> None:
        self.id, self.topic, self.payload, self.attempts = id, topic, payload, attempts
        self.last_error, self.available_at = last_error, available_at
        self.processed_at: datetime | None = None


_CLAIMING = (select(_TABLE.c.id, _TABLE.c.topic, _TABLE.c.payload, _TABLE.c.attempts, _TABLE.c.last_error,
                    _TABLE.c.available_at)
             .where(_TABLE.c.processed_at.is_(None), _TABLE.c.available_at <= bindparam("now"))
             .order_by(_TABLE.c.id).limit(bindparam("limit")))
_CLAIM = Prebuilt(_CLAIMING)
_CLAIM_SKIP_LOCKED = Prebuilt(_CLAIMING.with_for_update(skip_locked=True))
_DONE = Prebuilt(_TABLE.update().where(_TABLE.c.id == bindparam("b_id"))
                 .values(processed_at=bindparam("now"), attempts=_TABLE.c.attempts + 1, last_error=""))
_AGAIN = Prebuilt(_TABLE.update().where(_TABLE.c.id == bindparam("b_id")))
_EARLIER = select(OutboxDelivery).where(OutboxDelivery.message_id.in_(bindparam("ids", expanding=True)))


AfterCommit = Callable[[Database, list[Any]], object]
_AFTER = "outbox.after_commit"


def after_commit(s: Session, fn: AfterCommit, item: Any) -> None:
    """From a handler run by ``dispatch``: call ``fn(db, items)`` (once for all the batch's items) after the
    batch's transaction has committed and released its locks. If the handler fails, its items are dropped
    with its savepoint. ``fn`` records its own outcome: a crash between the commit and ``fn`` loses the call,
    so what it does must be found again from the database (the e-mails' sweep does)."""
    s.info.setdefault(_AFTER, {}).setdefault(fn, []).append(item)


def _after_mark(s: Session) -> dict[AfterCommit, int]:
    return {fn: len(items) for fn, items in s.info.get(_AFTER, {}).items()}


def _after_undo(s: Session, mark: dict[AfterCommit, int]) -> None:
    """Forget what a failed handler asked for (its savepoint rolled back its rows)."""
    for fn, items in s.info.get(_AFTER, {}).items():
        del items[mark.get(fn, 0):]


def dispatch(db: Database, *, limit: int = BATCH) -> int:
    """Deliver up to ``limit`` due messages in one unit of work, then what the handlers left for after its
    commit. Returns how many messages were fully delivered."""
    batch = handle(db, limit=limit)
    finish(db, batch.after)
    return batch.done


class Handled(NamedTuple):
    """A committed batch: how many messages it delivered (of ``claimed``: the SQLite worker sizes its next
    batch by these) and the handlers' after-commit calls (for ``finish``)."""

    done: int
    claimed: int
    after: dict[AfterCommit, list[Any]]


def handle(db: Database, *, limit: int = BATCH) -> Handled:
    """The transactional part of ``dispatch``: claim, run the handlers, mark, commit. (Statements built
    once: on SQLite the worker holds the one writer for the whole batch.)"""
    now = clock.now()
    with db.uow() as s:
        claim = _CLAIM if db.is_sqlite else _CLAIM_SKIP_LOCKED
        messages = [_Message(*row) for row in claim.run(s, {"now": now, "limit": limit})]
        if not messages:
            return Handled(0, 0, {})
        earlier = _earlier_deliveries(s, [m.id for m in messages if m.attempts])
        batched = _run_batches(s, messages, earlier, now)
        done = sum(_deliver(s, m, earlier, now, batched) for m in messages)
        _mark(s, messages, now)
        s.commit()
        return Handled(done, len(messages), s.info.pop(_AFTER, {}))


def finish(db: Database, after: dict[AfterCommit, list[Any]]) -> None:
    """Make the after-commit calls of a committed batch (no lock held). One that fails is logged: it
    records its own outcome, and its work waits in the database for another try."""
    for fn, items in after.items():
        if not items:
            continue
        try:
            fn(db, items)
        except Exception:
            log.exception("outbox after-commit %s failed for %s items", getattr(fn, "__qualname__", fn), len(items))


def _mark(s: Session, messages: list[_Message], now: datetime) -> None:
    """Write back the batch: one executemany for the delivered messages, one for the rest."""
    _DONE.run_many(s, [{"b_id": m.id, "now": now} for m in messages if m.processed_at is not None])
    _AGAIN.run_many(s, [{"b_id": m.id, "attempts": m.attempts, "last_error": m.last_error,
                         "available_at": m.available_at} for m in messages if m.processed_at is None])


def _earlier_deliveries(s: Session, ids: list[int]) -> dict[tuple[int, str], OutboxDelivery]:
    """The per-handler records of messages tried before (a message on its first try has none: they are
    written only when a try leaves a handler undone, in the same transaction as its attempts)."""
    if not ids:
        return {}
    return {(d.message_id, d.handler): d for d in s.execute(_EARLIER, {"ids": ids}).scalars()}


def _due(record: OutboxDelivery | None, now: datetime) -> bool:
    return record is None or (record.delivered_at is None and _aware(record.available_at) <= now
                              and record.attempts < MAX_ATTEMPTS)


def _run_batches(s: Session, messages: list[_Message], earlier: dict[tuple[int, str], OutboxDelivery],
                 now: datetime) -> set[tuple[int, str]]:
    """Run each batch handler once over its due events; the (message, handler) pairs it delivered."""
    delivered: set[tuple[int, str]] = set()
    for single, batch in _batches.items():
        key = handler_key(single)
        chosen: list[tuple[int, Any]] = []
        for m in messages:
            cls = event_type(m.topic)
            if cls is not None and single in _handlers.get(m.topic, ()) and _due(earlier.get((m.id, key)), now):
                chosen.append((m.id, cls.from_payload(m.payload)))
        if len(chosen) < 2:
            continue
        mark = _after_mark(s)
        try:
            with s.begin_nested():
                batch(s, [e for _, e in chosen])
        except Exception:  # each event then goes to the handler on its own
            _after_undo(s, mark)
            log.exception("outbox batch of %s events for %s failed; delivering one by one", len(chosen), key)
            continue
        delivered.update((mid, key) for mid, _ in chosen)
    return delivered


def _deliver(s: Session, msg: _Message, earlier: dict[tuple[int, str], OutboxDelivery], now: datetime,
             batched: set[tuple[int, str]] | frozenset[tuple[int, str]] = frozenset()) -> int:
    cls = event_type(msg.topic)
    handlers = handlers_for(msg.topic)
    msg.attempts += 1
    if cls is None:
        msg.last_error = f"unknown event {msg.topic!r}"
        msg.available_at = now + _backoff(msg.attempts)
        log.error("outbox message %s: unknown event %s", msg.id, msg.topic)
        return 0
    decoded: list[Event] = []

    def event() -> Event:  # decoded only if a handler still has to run it (a batch may have done all)
        if not decoded:
            decoded.append(cls.from_payload(msg.payload))
        return decoded[0]

    outcomes: list[tuple[Handler, OutboxDelivery | None, Exception | None]] = []
    for handler in handlers:
        record = earlier.get((msg.id, handler_key(handler)))
        if record is not None and (record.delivered_at is not None or _aware(record.available_at) > now
                                   or record.attempts >= MAX_ATTEMPTS):
            outcomes.append((handler, record, None))
            continue
        mark = _after_mark(s)
        try:
            if (msg.id, handler_key(handler)) not in batched:
                with s.begin_nested():
                    handler(s, event())
        except Exception as exc:  # recorded and retried on its own, never swallowed
            _after_undo(s, mark)
            log.exception("outbox message %s (%s): handler %s failed", msg.id, msg.topic, handler_key(handler))
            outcomes.append((handler, record, exc))
            continue
        if record is not None:
            record.attempts += 1
            record.delivered_at, record.last_error = now, ""
        outcomes.append((handler, record, None))
    failed = [o for o in outcomes if o[2] is not None]
    waiting = [o[1] for o in outcomes if o[2] is None and o[1] is not None and o[1].delivered_at is None]
    if not failed and not waiting:
        msg.processed_at, msg.last_error = now, ""
        return 1
    # Not everyone is done: keep a delivery row per handler, so the next pass runs only the rest.
    retry_at: list[datetime] = [_aware(r.available_at) for r in waiting if r.attempts < MAX_ATTEMPTS]
    for handler, record, error in outcomes:
        if record is None:
            record = OutboxDelivery(message_id=msg.id, handler=handler_key(handler), attempts=0,
                                    available_at=now, last_error="")
            s.add(record)
            if error is None:
                record.attempts, record.delivered_at = 1, now
        if error is not None:
            record.attempts += 1
            record.last_error = f"{type(error).__name__}: {error}"[:2000]
            record.available_at = now + _backoff(record.attempts)
            if record.attempts < MAX_ATTEMPTS:
                retry_at.append(record.available_at)
    msg.last_error = "; ".join(f"{handler_key(h)}: {type(e).__name__}: {e}" for h, _, e in failed)[:2000] \
        or msg.last_error
    # Every remaining handler gave up: the message waits a day (visible to operators) instead of spinning.
    msg.available_at = min(retry_at) if retry_at else now + timedelta(days=1)
    return 0


def pending(s: Session) -> list[OutboxMessage]:
    """Messages not yet delivered to every handler (operators, tests)."""
    return list(s.execute(select(OutboxMessage).where(OutboxMessage.processed_at.is_(None))
                          .order_by(OutboxMessage.id)).scalars())
