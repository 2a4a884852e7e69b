"""The one clock. UTC instants for ``_at`` columns, Asia/Shanghai dates for business dates.

Tests freeze it; an e2e server can start it at a given instant (PERMITCARD_CLOCK_START) from
which it runs on in real time.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")

_frozen: datetime | None = None
_offset = timedelta(0)


def _init_offset() -> None:
    global _offset
    start = os.environ.get("PERMITCARD_CLOCK_START")
    if start:
        instant = datetime.fromisoformat(start)
        if instant.tzinfo is None:
            instant = instant.replace(tzinfo=SHANGHAI)
        _offset = instant - datetime.now(UTC)


_init_offset()


def now() -> datetime:
    """The current instant, timezone-aware UTC."""
    if _frozen is not None:
        return _frozen
    return datetime.now(UTC) + _offset


def today() -> date:
    """Today's business date in China (Asia/Shanghai)."""
    return now().astimezone(SHANGHAI).date()


def local(instant: datetime) -> datetime:
    if instant.tzinfo is None:  # SQLite returns naive UTC
        instant = instant.replace(tzinfo=UTC)
    return instant.astimezone(SHANGHAI)


@contextlib.contextmanager
def frozen(at: datetime | date) -> Iterator[None]:
    """Freeze the clock (tests). A date freezes it at 10:00 Shanghai time that day."""
    global _frozen
    if isinstance(at, datetime):
        instant = at if at.tzinfo else at.replace(tzinfo=SHANGHAI)
    else:
        instant = datetime(at.year, at.month, at.day, 10, 0, tzinfo=SHANGHAI)
    previous, _frozen = _frozen, instant.astimezone(UTC)
    try:
        yield
    finally:
        _frozen = previous
