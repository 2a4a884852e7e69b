"""Attempts (registration, code, sign-in) limited per account and per address, with growing delays.

The counters are rows (``ecard_attempt``), so every web process sees the same ones. A key fails
``domain.FREE_FAILURES`` times for free; then each failure blocks it for a delay doubling from 30 s
to an hour (``domain.delay_after``). A success clears the account's key, never the address's.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime
from typing import ParamSpec, TypeVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from permitcard.ecard import domain
from permitcard.ecard import repository as repo
from permitcard.ecard.errors import TooManyAttempts
from permitcard.ecard.models import EcardAttempt
from permitcard.shared import audit, clock
from permitcard.shared.audit import Actor

P = ParamSpec("P")
R = TypeVar("R")


def audited_when_blocked(kind: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """A use case whose refusal for too many attempts is recorded as a security event (in a unit of work
    of its own, after the use case's one was rolled back)."""

    def wrap(fn: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(fn)
        def run(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return fn(*args, **kwargs)
            except TooManyAttempts as exc:
                db = args[0] if args else kwargs["db"]
                ip = str(kwargs.get("ip", ""))
                audit.record_security(db, actor=Actor(None, "anonymous", "e-card", ip),  # type: ignore[arg-type]
                                      action="ecard_account.attempt_blocked", target_type="ecard_account",
                                      after={"kind": kind, "retry_after": exc.retry_after})
                raise

        return run

    return wrap


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
