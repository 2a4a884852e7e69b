"""The e-card's attempts (registration, code, sign-in, password) go through the one throttle of every
context (``shared.throttle``: counters per account and per address, growing delays, never for good).
Here: the e-card's keys (its addresses get ``FREE_FAILURES`` like an account: registration is
rare) and the security event of a refusal."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from permitcard.ecard.errors import TooManyAttempts
from permitcard.shared import audit, throttle
from permitcard.shared.audit import Actor
from permitcard.shared.throttle import attempt, check, failed, succeeded

__all__ = ["attempt", "audited_when_blocked", "check", "failed", "keys", "succeeded"]

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
    """The counters of one e-card attempt: its account (a blind index or id) and its address."""
    return throttle.keys(f"ecard-{kind}", account=account, ip=ip, ip_free=throttle.FREE_FAILURES)
