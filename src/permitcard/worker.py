"""``permitcard worker``: the outbox and the scheduled jobs, in a process of their own.

The web processes only write events into the outbox; any number of workers deliver them
(PostgreSQL hands each a different batch with ``FOR UPDATE SKIP LOCKED``). Scheduled jobs
(sealing the audit log, permit expiry, …) register with ``@periodic`` and run in every worker;
each job must be safe to run twice and at the same time in two workers.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from permitcard.config import get_settings
from permitcard.db import Database
from permitcard.shared import audit_seal, outbox

log = logging.getLogger("permitcard.worker")


@dataclass
class Job:
    name: str
    every: float  # seconds between runs
    run: Callable[[Database], object]
    next_at: float = field(default=0.0)


JOBS: dict[str, Job] = {}


def periodic(name: str, *, every: float) -> Callable[[Callable[[Database], object]], Callable[[Database], object]]:
    """Run ``fn(db)`` in the worker every ``every`` seconds (and once at start)."""

    def register(fn: Callable[[Database], object]) -> Callable[[Database], object]:
        JOBS[name] = Job(name=name, every=every, run=fn)
        return fn

    return register


@periodic("calendar.warn_missing_year", every=6 * 3600)  # before the sealer: its audit row is sealed in the same turn
def _warn_missing_calendar(db: Database) -> int:
    """From 1 October, e-mail the administrators once while next year's official calendar is missing."""
    from permitcard.admin import service as admin

    return admin.warn_missing_calendar(db)


@periodic("audit_seal.seal", every=get_settings().audit_seal_every_seconds)
def _seal_audit_log(db: Database) -> int:
    """Seal the committed audit rows into signed tree heads (safe in several workers at once: two
    sealers of the same range cannot both write it)."""
    return audit_seal.seal(db)


def _run_due_jobs(db: Database, now: float) -> None:
    for job in JOBS.values():
        if now < job.next_at:
            continue
        job.next_at = now + job.every
        try:
            job.run(db)
        except Exception:  # a failing job is logged and tried again at its next turn
            log.exception("scheduled job %s failed", job.name)


def sqlite_batch(delivered: int, seconds: float) -> int:
    """The next batch on SQLite, from the last one: as many messages as fit in ``outbox.SQLITE_HOLD`` seconds.

    The worker holds SQLite's one write lock for a whole batch, and a web request that writes waits for it.
    Cheap events (a card following its permit, ~0.2 ms) go about 25 at a time, a registration's messages
    (an e-mail rendered and recorded in the batch, handed to the mailer after it: ``outbox.finish``) about
    12; after each batch the worker rests as long as it held the lock, so under load the web process gets
    at least half of it (measured at 10 clients: 62 -> 176 registrations/s). ``seconds`` includes the wait
    for the lock: see ``run``."""
    each = seconds / max(delivered, 1)
    return max(outbox.SQLITE_MIN_BATCH, min(outbox.SQLITE_BATCH, int(outbox.SQLITE_HOLD / max(each, 1e-6))))


def run(db: Database, *, once: bool = False, interval: float = 0.5, batch: int | None = None,
        stop: threading.Event | None = None) -> int:
    """Deliver until stopped (SIGTERM/SIGINT finish the current batch first). Returns messages delivered."""
    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
    limit = batch or (outbox.SQLITE_BATCH if db.is_sqlite else outbox.BATCH)
    adapt = db.is_sqlite and not batch
    delivered = 0
    while not stop.is_set():
        _run_due_jobs(db, time.monotonic())
        started = time.perf_counter()
        try:
            turn = outbox.handle(db, limit=limit)
        except Exception:  # e.g. the database restarting: wait and go on
            log.exception("outbox batch failed; retrying")
            turn = outbox.Handled(0, 0, {})
            stop.wait(interval * 4)
        # The batch's time with its wait for the writer: under load the wait shrinks the next batch and
        # lengthens the rest, so the worker gives way to the web processes (outbox.SQLITE_HOLD says what
        # sizing by the hold alone did).
        sending = time.perf_counter()
        took = sending - started
        outbox.finish(db, turn.after)  # e-mails go out here, with no lock held
        n = turn.done
        if adapt and turn.claimed:
            limit = sqlite_batch(turn.claimed, took)
            # A breath between batches: a web request woken by the lock's release takes it before the
            # worker begins its next batch (db._WriterLock); sending the e-mails counts.
            stop.wait(max(0.0, min(took, 0.05) - (time.perf_counter() - sending)))
        delivered += n
        if once:
            if n == 0:
                break
            continue
        if n == 0:
            stop.wait(interval)
    return delivered


@periodic("notifications.send_unsent", every=30)
def _send_unsent_mail(db: Database) -> int:
    """Send e-mails left unsent: a failed send after its back-off, or one whose worker stopped between
    its commit and the send, when the lease has run out."""
    from permitcard.notifications import service as notifications

    return notifications.send_unsent(db)


@periodic("ecard.forget_expired", every=3600)
def _forget_expired_ecard_tokens(db: Database) -> int:
    """Drop e-card tokens and QR nonces a day after they expired."""
    from permitcard.ecard import service as ecard

    return ecard.forget_expired(db)


@periodic("permits.lifecycle", every=300)
def _permit_lifecycle(db: Database) -> object:
    """Expire permits whose last day ended (Asia/Shanghai) and send the 30-day reminders (each once)."""
    from permitcard.permits import lifecycle

    return lifecycle.run(db)


@periodic("auth.purge_sessions", every=900)
def _purge_expired_sessions(db: Database) -> int:
    """Delete sessions past their idle or absolute limit (also done for the account at each sign-in)."""
    from permitcard.auth.service import sessions

    return sessions.purge_expired(db)


@periodic("throttle.forget_old", every=3600)
def _forget_old_attempt_counters(db: Database) -> int:
    """Forget attempt counters quiet for a day and no longer blocking."""
    from permitcard.shared import throttle

    return throttle.forget_old(db)
