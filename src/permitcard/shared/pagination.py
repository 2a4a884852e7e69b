"""One shape for every staff queue and list: a page of items, the total, counts per state.

Pages are keyset-paginated: the next page is "the rows after the last one shown" in the sort
order (sort key, id), found through an index whatever the depth, where OFFSET reads and drops
every row before the page. ``after``/``before`` cursors carry the key of the last/first row shown;
a bare ``page`` number still works (OFFSET), so old links and API clients keep working.

Counts stop at ``COUNT_CAP``: counting a million rows costs as much as reading them, on every
page view. A count reads at most ``COUNT_CAP + 1`` index entries, so a page costs the same at ten
thousand rows and at ten million; above the cap the page says "more than 10,000". A count found
above the cap is remembered for ``AT_CAP_SECONDS`` (per process, per query and parameters): the
next pages show "10,000+" without reading the 10,001 entries again, so a queue page of a large
table costs what it costs at ten thousand rows (counts below the cap are read every time, exact).
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, bindparam, func, literal_column, select, tuple_
from sqlalchemy.orm import Session

T = TypeVar("T")
MAX_PER_PAGE = 100
COUNT_CAP = 10_000
AT_CAP_SECONDS = 30.0  # how long a count above the cap is taken as still above it
_at_cap: dict[tuple[str, str, str], float] = {}  # (database, SQL, parameters) -> when to count again
_at_cap_lock = threading.Lock()


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    total: int
    page: int
    per_page: int
    counts: dict[str, int] = field(default_factory=dict)
    total_exact: bool = True  # False: ``total`` is COUNT_CAP + 1, "more than COUNT_CAP"
    next_after: str | None = None  # cursor of the next page (keyset); None: last page or not keyset
    prev_before: str | None = None  # cursor of the previous page
    keyset: bool = False  # pages follow cursors (else page numbers)
    search_capped: bool = False  # the search matched more than search.SEARCH_CAP: these are of the most recent

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page

    @property
    def next_params(self) -> dict[str, Any] | None:
        """Query parameters of the next page (None on the last)."""
        if self.keyset:
            return None if self.next_after is None else {"after": self.next_after, "before": "", "page": self.page + 1}
        return {"page": self.page + 1} if self.page < self.pages else None

    @property
    def prev_params(self) -> dict[str, Any] | None:
        if self.keyset:
            return None if self.prev_before is None else {"before": self.prev_before, "after": "",
                                                          "page": max(1, self.page - 1)}
        return {"page": self.page - 1} if self.page > 1 else None


def bounds(page: int, per_page: int, *, max_per_page: int = MAX_PER_PAGE) -> tuple[int, int, int]:
    """A page number and size within limits, and the row offset: (page, per_page, offset)."""
    per_page = min(max(per_page, 1), max_per_page)
    page = max(page, 1)
    return page, per_page, (page - 1) * per_page


def shown_count(n: int, cap: int | None = None, *, at_least: bool = False) -> str:
    """A count as a page shows it: "10,000+" above the cap (``COUNT_CAP`` unless the count had its own);
    "312+" (and "0+") when it is ``at_least``: counted among a search's most recent matches only."""
    cap = COUNT_CAP if cap is None else cap
    if n > cap:
        return f"{cap:,}+"
    return f"{n:,}+" if at_least else f"{n:,}"


def capped_count(s: Session, query: Select[Any], *, cap: int | None = None) -> int:
    """How many rows ``query`` gives, reading at most ``cap`` + 1 of them (``COUNT_CAP`` unless given)."""
    cap = COUNT_CAP if cap is None else cap
    # Only a constant per row: SQLite then counts from an index alone, without reading the rows.
    rows: Select[Any] = query.with_only_columns(literal_column("1"), maintain_column_froms=True)
    limited = rows.order_by(None).limit(cap + 1).subquery()
    counting = select(func.count()).select_from(limited)
    key = _memo_key(s, counting)
    now = time.monotonic()
    if _at_cap.get(key, 0.0) > now:
        return cap + 1
    n = int(s.execute(counting).scalar_one())
    with _at_cap_lock:
        if n > cap:
            if len(_at_cap) > 10_000:  # filters are many; keep the memory bounded
                _at_cap.clear()
            _at_cap[key] = now + AT_CAP_SECONDS
        else:
            _at_cap.pop(key, None)
    return n


def capped_counts_by(s: Session, query: Select[Any], column: Any, values: Sequence[str]) -> dict[str, int]:
    """How many rows of ``query`` have each of ``values`` in ``column`` (the counts beside a queue's state
    filter), each up to COUNT_CAP + 1; values without rows are left out.

    When ``query`` has at most COUNT_CAP rows in all (a search, a narrow filter), one grouped count reads
    them once: a name search is then looked up in its index twice (the total and the grouped count), not
    once per value (nine card states: nine look-ups, 12 ms each for a common name at 1,000,000 people).
    Above the cap each value's count reads at most COUNT_CAP + 1 entries of its own index range, as
    ``capped_count`` does."""
    if capped_count(s, query) <= COUNT_CAP:
        rows = query.with_only_columns(column, maintain_column_froms=True).order_by(None).subquery()
        grouped = select(rows.c[0], func.count()).group_by(rows.c[0])
        found = {str(v): int(n) for v, n in s.execute(grouped).all()}
        return {v: found[v] for v in values if found.get(v)}
    counts = {v: capped_count(s, query.where(column == v)) for v in values}
    return {v: n for v, n in counts.items() if n}


def _memo_key(s: Session, counting: Select[Any]) -> tuple[Any, ...]:
    """The count's database, statement and values: SQLAlchemy's cache key of the statement (what it looks
    its compiled SQL up by when it runs it), not the SQL compiled again, which took 0.7 ms a count (ten
    counts a queue page)."""
    bind = s.get_bind()
    cache_key = counting._generate_cache_key()
    if cache_key is None:  # a statement SQLAlchemy does not cache: its SQL then
        compiled = counting.compile(dialect=bind.dialect)
        return (str(bind.engine.url), str(compiled), repr(sorted(compiled.params.items())))
    return (str(bind.engine.url), cache_key.key, repr([p.effective_value for p in cache_key.bindparams]))


def forget_counts() -> None:
    """Count everything afresh (tests that shrink a table below the cap)."""
    with _at_cap_lock:
        _at_cap.clear()


# ------------------------------------------------------------------------------------- keyset


@dataclass(frozen=True)
class Order:
    """A sort order usable for keysets: non-null columns, all in one direction, ending with the id."""

    columns: tuple[Any, ...]
    descending: bool = False
    keyset: bool = True  # False for an order over a nullable column: pages go by OFFSET

    def clauses(self, reverse: bool = False) -> list[Any]:
        desc = self.descending != reverse
        return [c.desc() if desc else c.asc() for c in self.columns]

    def beyond(self, values: Sequence[Any], reverse: bool = False) -> Any:
        """Rows after ``values`` in this order (before them when ``reverse``)."""
        row = tuple_(*self.columns)
        bound = tuple_(*(bindparam(None, v, type_=c.type) for c, v in zip(self.columns, values, strict=True)))
        return row < bound if self.descending != reverse else row > bound

    def key(self, item: Any) -> str:
        return encode([getattr(item, c.key) for c in self.columns])


def encode(values: Sequence[Any]) -> str:
    def one(v: Any) -> list[Any]:
        if isinstance(v, datetime):
            return ["t", v.isoformat()]
        if isinstance(v, date):
            return ["d", v.isoformat()]
        return ["v", v]

    raw = json.dumps([one(v) for v in values], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode(cursor: str | None, size: int) -> list[Any] | None:
    """The key in a cursor, or None if there is none or it is not one of ``size`` values."""
    if not cursor or len(cursor) > 500:
        return None
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        values = [datetime.fromisoformat(v) if t == "t" else date.fromisoformat(v) if t == "d" else v
                  for t, v in raw]
    except (ValueError, TypeError):
        return None
    if len(values) != size or not all(isinstance(v, str | int | date) for v in values):
        return None
    return values


@dataclass(frozen=True)
class Slice:
    items: list[Any]
    next_after: str | None
    prev_before: str | None


def keyset_slice(s: Session, query: Select[Any], order: Order, *, after: str | None = None,
                 before: str | None = None, offset: int = 0, limit: int = 25) -> Slice:
    """One page of ``query`` in ``order``: after a cursor, before one, or at an offset (page numbers)."""
    n = len(order.columns)
    after_key = decode(after, n) if order.keyset else None
    before_key = None if after_key is not None or not order.keyset else decode(before, n)
    if after_key is not None:
        rows = list(s.execute(query.where(order.beyond(after_key)).order_by(*order.clauses())
                              .limit(limit + 1)).scalars())
        more = len(rows) > limit
        rows = rows[:limit]
        return slice_of(order, rows, more_after=more, more_before=True)
    if before_key is not None:
        rows = list(s.execute(query.where(order.beyond(before_key, reverse=True))
                              .order_by(*order.clauses(reverse=True)).limit(limit + 1)).scalars())
        more = len(rows) > limit
        rows = rows[:limit][::-1]
        return slice_of(order, rows, more_after=True, more_before=more)
    rows = list(s.execute(query.order_by(*order.clauses()).offset(offset).limit(limit + 1)).scalars())
    more = len(rows) > limit
    rows = rows[:limit]
    return slice_of(order, rows, more_after=more, more_before=offset > 0)


def slice_of(order: Order, rows: list[Any], *, more_after: bool, more_before: bool) -> Slice:
    """The page of ``rows`` with the cursors to the pages after and before it (where there are some)."""
    if not order.keyset or not rows:
        return Slice(rows, None, None)
    return Slice(rows, order.key(rows[-1]) if more_after else None, order.key(rows[0]) if more_before else None)
