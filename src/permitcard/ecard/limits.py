"""Attempts (registration, code, sign-in) limited per account and per address, with growing delays.

The counters are rows (``ecard_attempt``), so every web process sees the same ones. A key fails
``domain.FREE_FAILURES`` times for free; then each failure blocks it for a delay doubling from 30 s
to an hour (``domain.delay_after``). A success clears the account's key, never the address's.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from permitcard.ecard import domain
from permitcard.ecard import repository as repo
from permitcard.ecard.errors import TooManyAttempts
from permitcard.ecard.models import EcardAttempt
from permitcard.shared import clock


def keys(kind: str, *, account: str | None, ip: str) -> list[str]:
    """The counters of one attempt: its account (a blind index or id) and its address."""
    out = [f"{kind}:ip:{ip or '-'}"[:120]]
    if account:
        out.append(f"{kind}:acct:{account}"[:120])
    return out


def check(s: Session, names: list[str], now: datetime | None = None) -> None:
    """Refuse (429 with Retry-After) while any of these counters is blocked."""
    now = now or clock.now()
    waits = [(domain.as_utc(a.blocked_until) - now).total_seconds() for a in repo.attempts(s, names)
             if a.blocked_until is not None and domain.as_utc(a.blocked_until) > now]
    if waits:
        raise TooManyAttempts(int(max(waits)) + 1)


def failed(s: Session, names: list[str], now: datetime | None = None) -> None:
    now = now or clock.now()
    for name in names:
        row = repo.attempt(s, name)
        if row is None:
            row = EcardAttempt(key=name, failures=0, updated_at=now)
            try:
                with s.begin_nested():
                    s.add(row)
            except IntegrityError:  # another process counted the first failure at the same moment
                row = repo.attempt(s, name)
                assert row is not None
        row.failures += 1
        row.updated_at = now
        delay = domain.delay_after(row.failures)
        row.blocked_until = now + delay if delay else None


def succeeded(s: Session, names: list[str]) -> None:
    """Clear the account counters among ``names`` (the address keeps its count)."""
    for name in names:
        if ":acct:" in name:
            row = repo.attempt(s, name)
            if row is not None:
                s.delete(row)
