"""Search by part of a name through an index that fits each database, never a scan of every row.

SQLite: an FTS5 table with the trigram tokenizer over the name columns (external content: it keeps
only the index, the names stay in their table), kept in step by triggers, so every write path,
``permitcard generate`` included, updates it. PostgreSQL: a GIN index with ``gin_trgm_ops``
(pg_trgm) on ``lower(family_name || ' ' || given_names)``, which serves ``LIKE '%part%'``.

Each word of the query must occur in the name (AND). A word needs 3 characters to use the
index (trigrams); shorter words only narrow what the longer ones found, or, alone, are looked for
by a scan (still correct; short words are rare in names typed to find someone).

A context declares its searchable table once in ``models.py`` (``name_search(Table, ...)``); the
DDL runs with ``create_all`` (tests) and the same statements are in the migration.
"""

from __future__ import annotations

import contextlib
import json
from collections import Counter
from collections.abc import Callable, Collection, Hashable, Iterator, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from sqlalchemy import (
    ARRAY,
    DDL,
    Connection,
    Integer,
    String,
    Table,
    any_,
    bindparam,
    event,
    func,
    literal_column,
    select,
    text,
    union,
)
from sqlalchemy import column as sql_column
from sqlalchemy import table as sql_table
from sqlalchemy.orm import Session

from permitcard.shared.pagination import Order, Slice, decode, slice_of

MIN_WORD = 3
_SEARCHED: dict[str, tuple[str, ...]] = {}


def fts_name(table: str) -> str:
    return f"{table}_name_fts"


def trgm_index_name(table: str) -> str:
    return f"ix_{table}_name_trgm"


def sqlite_ddl(table: str, columns: tuple[str, ...]) -> list[str]:
    fts, cols = fts_name(table), ", ".join(columns)
    return [f"CREATE VIRTUAL TABLE {fts} USING fts5({cols}, content='{table}', content_rowid='id', "
            "tokenize='trigram')", *sqlite_triggers(table, columns), sqlite_rebuild(table)]


def sqlite_triggers(table: str, columns: tuple[str, ...]) -> list[str]:
    fts, cols = fts_name(table), ", ".join(columns)
    new, old = ", ".join(f"new.{c}" for c in columns), ", ".join(f"old.{c}" for c in columns)
    return [
        f"CREATE TRIGGER {fts}_ai AFTER INSERT ON {table} BEGIN "  # noqa: S608 (names from the models)
        f"INSERT INTO {fts}(rowid, {cols}) VALUES (new.id, {new}); END",
        f"CREATE TRIGGER {fts}_ad AFTER DELETE ON {table} BEGIN "  # noqa: S608 (names from the models)
        f"INSERT INTO {fts}({fts}, rowid, {cols}) VALUES ('delete', old.id, {old}); END",
        f"CREATE TRIGGER {fts}_au AFTER UPDATE OF {cols} ON {table} BEGIN "  # noqa: S608 (names from the models)
        f"INSERT INTO {fts}({fts}, rowid, {cols}) VALUES ('delete', old.id, {old}); "
        f"INSERT INTO {fts}(rowid, {cols}) VALUES (new.id, {new}); END",
    ]


def sqlite_drop_triggers(table: str) -> list[str]:
    return [f"DROP TRIGGER IF EXISTS {fts_name(table)}_{t}" for t in ("ai", "ad", "au")]


def sqlite_rebuild(table: str) -> str:
    """Index every row of ``table`` again (after a bulk load without the triggers)."""
    fts = fts_name(table)
    return f"INSERT INTO {fts}({fts}) VALUES ('rebuild')"  # noqa: S608 (names from the models)


@contextlib.contextmanager
def bulk_load(conn: Connection) -> Iterator[None]:
    """SQLite: write many rows without indexing names row by row, then index them all in one pass
    (a third of ``permitcard generate``'s time went into the triggers). PostgreSQL: nothing to do."""
    if conn.dialect.name != "sqlite":
        yield
        return
    with conn.begin():
        for table in _SEARCHED:
            for statement in sqlite_drop_triggers(table):
                conn.exec_driver_sql(statement)
    try:
        yield
    finally:
        with conn.begin():
            for table, columns in _SEARCHED.items():
                for statement in [*sqlite_triggers(table, columns), sqlite_rebuild(table)]:
                    conn.exec_driver_sql(statement)


def sqlite_drop(table: str) -> list[str]:
    return [*sqlite_drop_triggers(table), f"DROP TABLE IF EXISTS {fts_name(table)}"]


def _pg_expression(columns: tuple[str, ...]) -> str:
    return "lower(" + " || ' ' || ".join(columns) + ")"


def postgresql_ddl(table: str, columns: tuple[str, ...]) -> list[str]:
    return ["CREATE EXTENSION IF NOT EXISTS pg_trgm",
            f"CREATE INDEX IF NOT EXISTS {trgm_index_name(table)} ON {table} "
            f"USING gin (({_pg_expression(columns)}) gin_trgm_ops)"]


def postgresql_drop(table: str) -> list[str]:
    return [f"DROP INDEX IF EXISTS {trgm_index_name(table)}"]


def name_search(table: Table, *columns: str) -> None:
    """Declare ``table`` searchable by ``columns``: create_all then builds the index of each database."""
    _SEARCHED[table.name] = columns
    for statement in sqlite_ddl(table.name, columns):
        event.listen(table, "after_create", DDL(statement).execute_if(dialect="sqlite"))
    for statement in postgresql_ddl(table.name, columns):
        event.listen(table, "after_create", DDL(statement).execute_if(dialect="postgresql"))


def is_search_object(name: str | None) -> bool:
    """True for the FTS tables (and their shadow tables) and trigram indexes, which the models do not list
    (Alembic's comparison of models and migrations skips them)."""
    if not name:
        return False
    return any(name.startswith(fts_name(t)) or name == trgm_index_name(t) for t in _SEARCHED)


def words(q: str) -> list[str]:
    cleaned = "".join(c if c.isalnum() or c in "-'" else " " for c in q.lower())
    return [w for w in cleaned.split() if w][:6]


# A search finds at most this many records, the most recent first (the highest ids); a page, its total and its
# counts per state are then read from those. A common name ("Kim", "Lee Seo") matches a share of the city:
# thousands of records at 1,000,000 people. Sorting and counting them all on every page made a search grow
# with the city (3-5x from 10,000 to 1,000,000 people). 200 is eight pages of a queue: past that a person is
# found by typing more of the name or a number, and the page says so. On SQLite the index stops at the cap
# (walking from the highest rowid down: 1-4 ms for a common name at 1,000,000 people, against 10-20 ms for a
# thousand); PostgreSQL's trigram index gives its matches unordered, so it still reads them all once.
SEARCH_CAP = 200


@dataclass(frozen=True)
class Hits:
    """The records a search found, most recent first: ``rows`` of (id, state, the list's sort columns);
    ``more``: more than SEARCH_CAP matched, and these are the SEARCH_CAP most recent of them."""

    rows: tuple[tuple[Any, ...], ...]
    columns: tuple[str, ...]  # what each value of a row is: "id", "state", then the sort columns' keys
    more: bool

    def among(self, states: Collection[str] = ()) -> list[tuple[Any, ...]]:
        """The hits in one of ``states`` (every hit when empty)."""
        return list(self.rows) if not states else [r for r in self.rows if r[1] in states]

    def ids(self, states: Collection[str] = ()) -> list[int]:
        """The ids of the hits in one of ``states`` (every hit when empty)."""
        return [r[0] for r in self.among(states)]

    def counts(self) -> dict[str, int]:
        """How many hits are in each state (the counts beside a queue's state filter)."""
        return dict(Counter(r[1] for r in self.rows))


def capped(found: Hits | None) -> bool:
    """Whether a search (None: none) matched more than SEARCH_CAP records: its list shows the most recent."""
    return found is not None and found.more


def hits(s: Session, table: Table, q: str, *exact: Any, where: Sequence[Any] = (), columns: Sequence[Any] = (),
         key: Hashable = None) -> Hits:
    """The rows of ``table`` whose name contains every word of ``q``, or that meet one of the ``exact``
    conditions (a reference, a number's blind index: each with its own index), under the list's other
    filters ``where``: at most SEARCH_CAP, the most recent first, with their state and ``columns`` (those
    the list sorts by).

    One statement: the name goes through its index once, stopping at SEARCH_CAP + 1 rows where the index
    can (SQLite's FTS5 walks its lists from the highest rowid down). The total and the counts per state are
    counted from the hits, a page is sorted and cut from them (``page_of``), and only its rows are read.
    ``key`` names the filters in ``where``: the hits are kept for the unit of work under (table, q, key),
    so the page, its total and its counts share the look-up (looked up again only if asked for columns
    they lack)."""
    memo: dict[Any, Hits] = s.info.setdefault("search_hits", {})
    memo_key = (table.name, q, key)
    kept = memo.get(memo_key)
    if kept is not None and {c.key for c in columns} <= set(kept.columns):
        return kept
    id_column = table.c.id
    wanted = [id_column, table.c.state, *columns]
    arms: list[Any] = [select(*wanted).where(c, *where).order_by(id_column.desc()).limit(SEARCH_CAP + 1)
                       for c in exact]
    name = _by_name(s, table, q, where, wanted)
    if name is not None:
        arms.append(name)
    found: dict[int, tuple[Any, ...]] = {}
    if arms:
        found = {row[0]: tuple(row) for row in s.execute(union(*(select(*a.subquery().c) for a in arms)))}
    ids = sorted(found, reverse=True)[:SEARCH_CAP]
    memo[memo_key] = result = Hits(tuple(found[i] for i in ids), tuple(c.key for c in wanted),
                                   len(found) > SEARCH_CAP)
    return result


def page_of(s: Session, entity: Any, found: Hits, order: Order, *, states: Collection[str] = (),
            after: str | None = None, before: str | None = None, offset: int = 0, limit: int = 25) -> Slice:
    """A page of the hits in ``order`` (after/before a cursor or at an offset), as ``keyset_slice`` gives
    one of a query: sorted here from the values the search read, then only the page's rows are read, by
    id. Reading all the hits again to sort them cost PostgreSQL 15-30 ms for a thousand at 1,000,000 people
    (a thousand scattered rows), or a walk of the sort index testing every row."""
    at = [found.columns.index(c.key) for c in order.columns]
    sort_key: Callable[[tuple[Any, ...]], tuple[Any, ...]] = itemgetter(*at)  # a tuple: orders have 2+ columns

    rows = sorted(found.among(states), key=sort_key, reverse=order.descending)
    after_key = decode(after, len(at)) if order.keyset else None
    before_key = None if after_key is not None or not order.keyset else decode(before, len(at))
    try:
        if after_key is not None:
            beyond = [r for r in rows if (sort_key(r) < tuple(after_key)) == order.descending
                      and sort_key(r) != tuple(after_key)]
            chosen, more_after, more_before = beyond[:limit], len(beyond) > limit, True
        elif before_key is not None:
            prior = [r for r in rows if (sort_key(r) > tuple(before_key)) == order.descending
                     and sort_key(r) != tuple(before_key)]
            chosen, more_after, more_before = prior[-limit:], True, len(prior) > limit
        else:
            chosen, more_after, more_before = rows[offset:offset + limit], len(rows) > offset + limit, offset > 0
    except TypeError:  # a cursor whose values do not compare with the rows' (not one this list gave): page 1
        chosen, more_after, more_before = rows[:limit], len(rows) > limit, False
    ids = [r[0] for r in chosen]
    loaded = {e.id: e for e in s.execute(select(entity).where(entity.id.in_(ids))).scalars()} if ids else {}
    return slice_of(order, [loaded[i] for i in ids if i in loaded], more_after=more_after, more_before=more_before)


def only_hits(s: Session, query: Any, column: Any, found: Hits | None, states: Collection[str] = ()) -> Any:
    """``query`` kept to the hits in ``states`` (all of them when empty); unchanged without a search."""
    return query if found is None else query.where(id_in(s, column, found.ids(states)))


def id_in(s: Session, column: Any, ids: Sequence[int]) -> Any:
    """``column`` is one of ``ids``, sent as one value: a PostgreSQL array, a JSON array on SQLite (a
    thousand ids as a thousand bound parameters took PostgreSQL 10-30 ms to parse and plan, per query)."""
    if s.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, list(ids), type_=ARRAY(Integer)))
    each = func.json_each(bindparam(None, json.dumps(list(ids)), type_=String)).table_valued("value")
    return column.in_(select(each.c.value))


def _by_name(s: Session, table: Table, q: str, where: Sequence[Any], wanted: list[Any]) -> Any:
    """The ids and states of the SEARCH_CAP + 1 most recent rows whose name holds every word of ``q``
    (None: no words)."""
    found = words(q)
    if not found:
        return None
    id_column = table.c.id
    columns = _SEARCHED[table.name]
    if s.get_bind().dialect.name == "postgresql":
        expr: Any = literal_column(_pg_expression(tuple(f"{table.name}.{c}" for c in columns)))
        likes = [expr.like(f"%{_escape(w)}%", escape="\\") for w in found]
        # "id + 0": the trigram index finds the rows, then the top ones are sorted; ordered by the primary
        # key itself, the planner may walk it from the end and test every row's name (a scan for a rare name).
        return (select(*wanted).where(*likes, *where).order_by((id_column + 0).desc())
                .limit(SEARCH_CAP + 1))
    long = [w for w in found if len(w) >= MIN_WORD]
    short = [w for w in found if len(w) < MIN_WORD]
    name = func.lower(_concat(table, columns))
    shorts = [name.like(f"%{_escape(w)}%", escape="\\") for w in short]
    if not long:  # short words alone: no index serves them; the rows are read from the newest down
        return select(*wanted).where(*shorts, *where).order_by(id_column.desc()).limit(SEARCH_CAP + 1)
    fts = fts_name(table.name)
    phrase = " ".join('"' + w.replace('"', '""') + '"' for w in long)
    index = sql_table(fts, sql_column("rowid"))
    return (select(*wanted).select_from(index.join(table, id_column == index.c.rowid))
            .where(text(f"{fts} MATCH :phrase").bindparams(phrase=phrase), *shorts, *where)
            .order_by(index.c.rowid.desc()).limit(SEARCH_CAP + 1))


def _concat(table: Table, columns: tuple[str, ...]) -> Any:
    expr: Any = table.c[columns[0]]
    for c in columns[1:]:
        expr = expr + " " + table.c[c]
    return expr


def _escape(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
