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
from collections.abc import Iterator
from typing import Any

from sqlalchemy import (
    DDL,
    ColumnElement,
    Connection,
    Table,
    and_,
    event,
    func,
    literal_column,
    select,
    text,
    true,
    union,
)
from sqlalchemy.orm import Session

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


def matches(s: Session, table: Table, q: str) -> ColumnElement[bool] | None:
    """A condition true for the rows of ``table`` whose name contains every word of ``q`` (None: no words)."""
    found = words(q)
    if not found:
        return None
    columns = _SEARCHED[table.name]
    if s.get_bind().dialect.name == "postgresql":
        # Written as in the index (no bound ' '), so the planner recognises the indexed expression.
        expr: Any = literal_column(_pg_expression(tuple(f"{table.name}.{c}" for c in columns)))
        return and_(true(), *(expr.like(f"%{_escape(w)}%", escape="\\") for w in found))
    long = [w for w in found if len(w) >= MIN_WORD]
    short = [w for w in found if len(w) < MIN_WORD]
    conditions: list[Any] = []
    if long:
        fts = fts_name(table.name)
        phrase = " ".join('"' + w.replace('"', '""') + '"' for w in long)
        rowids: Any = select(literal_column("rowid")).select_from(text(fts)).where(
            text(f"{fts} MATCH :phrase").bindparams(phrase=phrase))
        conditions.append(table.c.id.in_(rowids))
    name = func.lower(_concat(table, columns))
    conditions += [name.like(f"%{_escape(w)}%", escape="\\") for w in short]
    return and_(true(), *conditions)


def any_of(id_column: Any, *conditions: Any) -> ColumnElement[bool]:
    """Rows meeting any condition, as ``id IN (SELECT id … WHERE c1 UNION SELECT id … WHERE c2 …)``: each
    alternative goes through its own index. The same conditions joined by OR in one WHERE let SQLite walk
    the ORDER BY index and test every row instead (a scan of the table on a search)."""
    return id_column.in_(union(*(select(id_column).where(c) for c in conditions)))


def _concat(table: Table, columns: tuple[str, ...]) -> Any:
    expr: Any = table.c[columns[0]]
    for c in columns[1:]:
        expr = expr + " " + table.c[c]
    return expr


def _escape(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
