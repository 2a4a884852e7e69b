"""Attempts (sign-in, password checks, codes, identity checks) limited per account and per address,
with growing delays: the one throttle of every context.

The counters are rows (``attempt_counter``), so every web process sees the same ones. A key fails
``free`` times for nothing (``FREE_FAILURES`` for an account, ``FREE_FAILURES_PER_ADDRESS`` for an
address, which an office shares); from then on each failure blocks it for a delay doubling from
30 s to ``MAX_DELAY``: never for good, so an attacker cannot lock the real person out, only slow
both down. A count quiet for ``FORGET_AFTER`` starts again from nothing. A blocked key refuses at
once (429, ``TooManyAttempts`` with Retry-After), before any password is hashed.

Two ways to count: ``check`` then ``failed`` inside one unit of work (a quick check such as a
registry match), or ``attempt`` first in a short unit of work of its own (a slow check such as a
password, which runs outside any): the attempt is counted *before* the check, so attempts sent in
parallel cannot all slip through, and ``succeeded(counted=True)`` gives it back.
"""

from __future__ import annotations

import functools
from datetime import datetime, timedelta

from sqlalchemy import bindparam, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from permitcard.db import Database
from permitcard.prebuilt import Prebuilt
from permitcard.shared import clock
from permitcard.shared.errors import NP_, DomainError
from permitcard.shared.models import AttemptCounter

FREE_FAILURES = 5
FREE_FAILURES_PER_ADDRESS = 20
MAX_DELAY = timedelta(minutes=15)
FORGET_AFTER = timedelta(hours=24)


class TooManyAttempts(DomainError):
    """Too many failed attempts from this account or address: wait (``retry_after`` seconds)."""

    status = 429
    code = "too_many_attempts"
    title = NP_("Too many attempts. Wait %(seconds)s second, then try again.",
                "Too many attempts. Wait %(seconds)s seconds, then try again.", "seconds")

    def __init__(self, retry_after: int) -> None:
        self.retry_after = max(1, int(retry_after))
        if self.retry_after > 90:
            minutes = -(-self.retry_after // 60)
            super().__init__(NP_("Too many attempts. Wait %(minutes)s minute, then try again.",
                                 "Too many attempts. Wait %(minutes)s minutes, then try again.", "minutes"),
                             minutes=minutes)
        else:
            super().__init__(self.title, seconds=self.retry_after)


def delay_after(failures: int, free: int = FREE_FAILURES) -> timedelta:
    """The wait a key earns with its ``failures``-th failure."""
    if failures < free:
        return timedelta(0)
    return min(MAX_DELAY, timedelta(seconds=30 * 2 ** min(failures - free, 20)))


def keys(kind: str, *, account: str | None, ip: str, ip_free: int = FREE_FAILURES_PER_ADDRESS,
         account_free: int = FREE_FAILURES) -> list[str]:
    """The counters of one attempt: its account (a blind index or an id, never personal data in clear)
    and its address. The free failures are part of the key, so every process counts the same way."""
    out = [f"{kind}:ip{ip_free}:{ip or '-'}"[:120]]
    if account:
        free = "" if account_free == FREE_FAILURES else str(account_free)
        out.append(f"{kind}:acct{free}:{account}"[:120])
    return out


def _free(key: str) -> int:
    part = key.split(":", 2)[1] if key.count(":") >= 2 else ""
    for prefix in ("ip", "acct"):
        if part.startswith(prefix) and part[len(prefix):].isdigit():
            return int(part[len(prefix):])
    return FREE_FAILURES


def _is_account(key: str) -> bool:
    return key.count(":") >= 2 and key.split(":", 2)[1].startswith("acct")


def _as_utc(value: datetime) -> datetime:
    return clock.local(value)


@functools.cache
def _blocked(count: int) -> Prebuilt:
    """Built once per number of keys (every guarded request asks): its SQL does not change per call."""
    return Prebuilt(select(AttemptCounter.__table__.c.blocked_until)
                    .where(AttemptCounter.__table__.c.key.in_([bindparam(f"k{i}") for i in range(count)])))


def check(s: Session, names: list[str], now: datetime | None = None) -> None:
    """Refuse (429 with Retry-After) while any of these counters is blocked."""
    now = now or clock.now()
    blocked = _blocked(len(names)).run(s, {f"k{i}": name for i, name in enumerate(names)}).scalars()
    waits = [(_as_utc(until) - now).total_seconds() for until in blocked
             if until is not None and _as_utc(until) > now]
    if waits:
        raise TooManyAttempts(int(max(waits)) + 1)


def _row(s: Session, name: str, now: datetime) -> AttemptCounter:
    row = s.get(AttemptCounter, name, with_for_update=True, populate_existing=True)
    if row is None:
        row = AttemptCounter(key=name, failures=0, updated_at=now)
        try:
            with s.begin_nested():
                s.add(row)
        except IntegrityError:  # another process counted its first failure at the same moment
            row = s.get(AttemptCounter, name, with_for_update=True, populate_existing=True)
            assert row is not None
    elif row.blocked_until is None and now - _as_utc(row.updated_at) > FORGET_AFTER:
        row.failures = 0
    return row


def failed(s: Session, names: list[str], now: datetime | None = None) -> None:
    """Count a failure on every key (rows locked, so parallel failures are all counted)."""
    now = now or clock.now()
    for name in sorted(names):  # one order everywhere: no deadlocks between two attempts
        row = _row(s, name, now)
        row.failures += 1
        row.updated_at = now
        delay = delay_after(row.failures, _free(name))
        row.blocked_until = now + delay if delay else None
    s.flush()


def attempt(db: Database, names: list[str]) -> None:
    """Before a slow check: refuse while blocked, else count this attempt as failed (in a unit of work of
    its own, committed before the check runs). ``succeeded(..., counted=True)`` gives it back. The rows
    are locked before they are judged, so of attempts sent together only the free ones pass."""
    with db.uow() as s:
        now = clock.now()
        rows = [_row(s, name, now) for name in sorted(names)]
        waits = [(_as_utc(r.blocked_until) - now).total_seconds() for r in rows
                 if r.blocked_until is not None and _as_utc(r.blocked_until) > now]
        if waits:
            s.commit()
            raise TooManyAttempts(int(max(waits)) + 1)
        for row in rows:
            row.failures += 1
            row.updated_at = now
            delay = delay_after(row.failures, _free(row.key))
            row.blocked_until = now + delay if delay else None
        s.commit()


def succeeded(s: Session, names: list[str], *, counted: bool = False) -> None:
    """Clear the account counters among ``names``. The address keeps its count; an attempt counted
    beforehand (``attempt``) is given back to it."""
    for name in sorted(names):
        if _is_account(name):
            s.execute(delete(AttemptCounter).where(AttemptCounter.key == name))
        elif counted:
            row = s.get(AttemptCounter, name, with_for_update=True, populate_existing=True)
            if row is not None and row.failures > 0:
                row.failures -= 1
                if row.failures < _free(name):
                    row.blocked_until = None


def forget_old(db: Database) -> int:
    """Drop counters quiet for ``FORGET_AFTER`` and no longer blocked (the worker's periodic job)."""
    now = clock.now()
    with db.uow() as s:
        gone = s.execute(delete(AttemptCounter).where(
            AttemptCounter.updated_at < now - FORGET_AFTER,
            (AttemptCounter.blocked_until.is_(None)) | (AttemptCounter.blocked_until < now)))
        s.commit()
        return int(gone.rowcount or 0)  # type: ignore[attr-defined]
