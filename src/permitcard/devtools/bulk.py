"""Batched writes for generated data: executemany on SQLite, COPY on PostgreSQL.

Rows are dicts keyed by column name. Every value goes through the column's own type, as the ORM
would write it: an ``Encrypted`` column is encrypted by ``Encrypted``'s bind processor, a date is
formatted by the dialect's date type, so the application reads generated rows like its own.
A column a row leaves out gets its scalar default (a column another branch adds later with a
default keeps working).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import JSON, Connection, Table, func, select, text
from sqlalchemy.types import TypeDecorator

Processor = Callable[[Any], Any] | None


class BulkWriter:
    """Writes rows into tables through one connection (the caller commits)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.dialect = conn.dialect
        self.is_sqlite = self.dialect.name == "sqlite"
        self._plans: dict[tuple[str, tuple[str, ...]], _Plan] = {}

    def next_id(self, table: Table) -> int:
        """The first free id of ``table`` (generated rows carry their ids, so children can point at them)."""
        return int(self.conn.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one()) + 1

    def _plan(self, table: Table, keys: tuple[str, ...]) -> _Plan:
        plan = self._plans.get((table.name, keys))
        if plan is None:
            missing = [c for c in table.columns if c.name not in keys and c.default is not None
                       and getattr(c.default, "is_scalar", False)]  # others: nullable, server default, id
            by_name = {c.name: c for c in table.columns}
            names = list(keys) + [c.name for c in missing]
            procs = [(i, p) for i, name in enumerate(keys) if (p := self._processor(by_name[name].type))]
            defaults = [c.default.arg for c in missing]  # type: ignore[union-attr]
            plan = _Plan(keys, names, procs, defaults)
            self._plans[(table.name, keys)] = plan
        return plan

    def _processor(self, type_: Any) -> Processor:
        if self.is_sqlite or isinstance(type_, TypeDecorator):
            # SQLite: the dialect's own formatting (dates as text); TypeDecorator: Encrypted encrypts.
            proc: Processor = type_._cached_bind_processor(self.dialect)
            return proc
        if isinstance(type_, JSON):
            return json.dumps
        return None  # psycopg's COPY adapts dates, datetimes, booleans and numbers itself

    def insert(self, table: Table, rows: Sequence[dict[str, Any]]) -> None:
        if not rows:
            return
        plan = self._plan(table, tuple(rows[0]))
        keys, procs, defaults = plan.keys, plan.procs, plan.defaults
        tuples = []
        for row in rows:
            values = [row[k] for k in keys]
            for i, proc in procs:
                if values[i] is not None:
                    values[i] = proc(values[i])
            tuples.append(tuple(values + defaults) if defaults else tuple(values))
        names = plan.names
        cols = ", ".join(names)
        if self.is_sqlite:
            marks = ", ".join("?" for _ in names)
            self.conn.exec_driver_sql(f"INSERT INTO {table.name} ({cols}) VALUES ({marks})", tuples)  # noqa: S608
            return
        raw = self.conn.connection.driver_connection
        assert raw is not None
        with raw.cursor() as cur, cur.copy(f"COPY {table.name} ({cols}) FROM STDIN") as copy:
            for t in tuples:
                copy.write_row(t)

    def reset_sequences(self, tables: Sequence[Table]) -> None:
        """PostgreSQL: move each serial id sequence past the ids written explicitly."""
        if self.is_sqlite:
            return
        for table in tables:
            if "id" not in table.c or not table.c.id.primary_key:
                continue
            self.conn.execute(text(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "  # noqa: S608
                f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {table.name}), false)"))


@dataclass(frozen=True)
class _Plan:
    keys: tuple[str, ...]  # the columns rows give, in their order
    names: list[str]  # those, then the columns filled with their scalar default
    procs: list[tuple[int, Callable[[Any], Any]]]  # (position, bind processor) where the type has one
    defaults: list[Any]
