"""Password hashing (Argon2id), the one place every password is hashed or checked.

A hash costs tens of milliseconds of CPU and memory on purpose, so it must never run on the event
loop (it would freeze every other request) nor inside a unit of work (it would hold a connection
and, on SQLite, the write lock that every writer waits for). ``verify`` refuses both; ``hash``
refuses the event loop. At most one hash per CPU core runs at a time (more would only queue
inside the CPU and starve everything else); the others wait their turn in their own thread.
"""

from __future__ import annotations

import asyncio
import contextvars
import os
import secrets
import threading

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from permitcard.db import in_unit_of_work

_hasher = PasswordHasher()
# Sized to the cores: argon2 releases the GIL, so this many hashes really run in parallel.
SLOTS = max(1, os.cpu_count() or 1)
_slots = threading.BoundedSemaphore(SLOTS)


# Set by the web app's middleware for each request (and copied into the threads it hands work to): a
# hash with a running event loop in this thread while serving a request is on the event loop. (Other
# code may run beside a loop it does not serve, e.g. a browser driver's in tests.)
serving_request: contextvars.ContextVar[bool] = contextvars.ContextVar("permitcard_serving_request", default=False)


class HashingMisplaced(RuntimeError):
    """A programming error: a password hashed on the event loop or inside a unit of work."""


def _not_on_event_loop() -> None:
    if not serving_request.get():
        return
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return
    raise HashingMisplaced("password hashing on the event loop: call the service with run_in_threadpool")


def hash(password: str) -> str:
    _not_on_event_loop()
    with _slots:
        return _hasher.hash(password)


def verify(stored_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches ``stored_hash``. With no hash (an unknown account) a dummy one is
    checked, so both answers take the same time."""
    _not_on_event_loop()
    if in_unit_of_work():
        raise HashingMisplaced("password check inside a unit of work: read the hash, close it, then verify")
    with _slots:
        try:
            return bool(_hasher.verify(stored_hash or _dummy_hash(), password or "")) and stored_hash is not None
        except (VerificationError, InvalidHashError):
            return False


def needs_rehash(stored_hash: str) -> bool:
    return _hasher.check_needs_rehash(stored_hash)


_dummy: list[str] = []


def _dummy_hash() -> str:
    if not _dummy:
        _dummy.append(_hasher.hash(secrets.token_urlsafe(16)))
    return _dummy[0]
