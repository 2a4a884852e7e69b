"""Statements of the hot paths, compiled once and run on the DBAPI cursor of the session's connection.

``Prebuilt(statement)`` keeps a Core statement; ``run(session, params)`` executes it in the session's
transaction. The first run on a dialect (and, for an INSERT or UPDATE without explicit values, per
set of keys) compiles the SQL and looks up each parameter's bind processor and each result column's
result processor; every later run only applies them and calls the driver. What it skips is
SQLAlchemy's per-execution work (the compiled cache look-up, the execution context, parameter and
result objects): about two thirds of a statement's time on the registration path (py-spy,
bench/REPORT.md).

What stays the same as ``session.execute``: the types' conversions (encryption, JSON, SQLite's
datetimes), the engine's ``before_cursor_execute``/``after_cursor_execute`` listeners (the statement
counters of the tests and the bench see these statements), a driver's error raised as SQLAlchemy's
(``IntegrityError`` …, a dropped PostgreSQL connection invalidated), and the appended rows of an
``AppSession`` written before a query. A statement whose SQL depends on its values (an ``IN`` list
expanded per call, ``literal_execute``) or that has a default computed per row runs through
``session.execute`` instead (its rows fetched at once, as here).
"""

from __future__ import annotations

import collections
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, NamedTuple

from sqlalchemy import Connection
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import MultipleResultsFound, NoResultFound
from sqlalchemy.orm import Session
from sqlalchemy.sql import ClauseElement

_NO_VALUE = object()


class _Plan(NamedTuple):
    sql: str
    positional: bool
    binds: tuple[tuple[str, str, Any, Any], ...]  # (driver name, key, processor, default)
    returns_rows: bool
    row: Any  # a namedtuple class of the result columns
    results: tuple[Any, ...] | None  # a processor per result column (None: no column needs one)


class Result:
    """The rows of one execution (already fetched) and its row count, with the accessors the
    repositories use."""

    __slots__ = ("_rows", "rowcount")

    def __init__(self, rows: list[Any], rowcount: int) -> None:
        self._rows = rows
        self.rowcount = rowcount

    def all(self) -> list[Any]:
        return self._rows

    def __iter__(self) -> Iterator[Any]:
        return iter(self._rows)

    def first(self) -> Any | None:
        return self._rows[0] if self._rows else None

    def one(self) -> Any:
        if len(self._rows) != 1:
            raise NoResultFound("No row was found") if not self._rows else MultipleResultsFound("Multiple rows")
        return self._rows[0]

    def one_or_none(self) -> Any | None:
        if len(self._rows) > 1:
            raise MultipleResultsFound("Multiple rows were found when one or none was required")
        return self._rows[0] if self._rows else None

    def scalar_one(self) -> Any:
        return self.one()[0]

    def scalar_one_or_none(self) -> Any | None:
        row = self.one_or_none()
        return None if row is None else row[0]

    def scalar(self) -> Any | None:
        return self._rows[0][0] if self._rows else None

    def scalars(self) -> list[Any]:
        return [r[0] for r in self._rows]


class Prebuilt:
    """A Core statement run below SQLAlchemy's per-execution layers (see the module)."""

    __slots__ = ("_plans", "statement")

    def __init__(self, statement: ClauseElement) -> None:
        self.statement = statement
        self._plans: dict[tuple[str, tuple[str, ...] | None], _Plan | None] = {}

    def __repr__(self) -> str:
        return f"Prebuilt({self.statement!r})"

    def plan(self, dialect: Dialect, keys: Iterable[str] | None = None) -> _Plan | None:
        """The compiled statement for ``dialect`` (None: it runs through SQLAlchemy's execution);
        ``keys``: the parameters' names (an INSERT or UPDATE without explicit values writes the
        columns named)."""
        key = (dialect.name, tuple(sorted(keys)) if keys is not None and _needs_keys(self.statement) else None)
        try:
            return self._plans[key]
        except KeyError:
            found = self._plans[key] = _make_plan(self.statement, dialect, key[1])
            return found

    def run(self, session: Session, params: Mapping[str, Any] | None = None) -> Result:
        """Execute once in ``session``'s transaction (a query first writes the session's appended rows)."""
        params = params or {}
        connection = _connection(session, self.statement)
        plan = self.plan(connection.dialect, params.keys())
        if plan is None:
            usual: Any = session.execute(self.statement, dict(params))  # type: ignore[call-overload]
            return Result(usual.all() if usual.returns_rows else [], usual.rowcount)  # fetched now, as below
        return _execute(connection, plan, _values(plan, params), many=False)

    def run_many(self, session: Session, rows: Sequence[Mapping[str, Any]]) -> None:
        """Execute once per row (``executemany``), for a statement that returns nothing; every row has
        the same keys."""
        if not rows:
            return
        connection = _connection(session, self.statement)
        plan = self.plan(connection.dialect, rows[0].keys())
        if plan is None:
            session.execute(self.statement, [dict(r) for r in rows])  # type: ignore[call-overload]
            return
        if plan.returns_rows:
            raise ValueError("run_many is for statements that return no rows")
        _execute(connection, plan, [_values(plan, row) for row in rows], many=True)


def _needs_keys(statement: ClauseElement) -> bool:
    return bool(getattr(statement, "is_dml", False)) and not getattr(statement, "_values", None) \
        and not getattr(statement, "_multi_values", None)


def _connection(session: Session, statement: ClauseElement) -> Connection:
    if not getattr(statement, "is_dml", False):
        write_appended = getattr(session, "write_appended", None)
        if write_appended is not None:
            write_appended()  # a query sees what the unit of work appended (as AppSession.execute)
    return session.connection()


def _make_plan(statement: ClauseElement, dialect: Dialect, keys: tuple[str, ...] | None) -> _Plan | None:
    """The plan, or None where the statement needs SQLAlchemy's execution context (it then runs the
    usual way): SQL that depends on the values, a default computed per row, dialect-specific
    emulations."""
    dml = bool(getattr(statement, "is_dml", False))
    # A write without RETURNING of its own returns nothing (no implicit RETURNING of the new key).
    plain_write = dml and not getattr(statement, "_returning", ())
    compiled: Any = statement.compile(dialect=dialect, column_keys=list(keys) if keys is not None else None,
                                      for_executemany=plain_write)
    sql = str(compiled)
    if "POSTCOMPILE" in sql or compiled.literal_execute_params or compiled.post_compile_params:
        return None
    defaults: dict[str, Any] = {}
    for column in [*compiled.insert_prefetch, *compiled.update_prefetch]:
        default = column.default if column in compiled.insert_prefetch else column.onupdate
        if default is None or not default.is_scalar:
            return None  # computed per execution: SQLAlchemy's context does it
        defaults[column.key] = default.arg
    positional = bool(compiled.positional)
    names = list(compiled.positiontup) if positional else list(compiled.bind_names.values())
    by_name = {name: bind for bind, name in compiled.bind_names.items()}
    escaped = getattr(compiled, "escaped_bind_names", None) or {}
    binds = []
    for name in names:
        bind = by_name[name]
        if bind.callable is not None:
            return None
        value = defaults.get(bind.key, bind.value)
        if value is None and bind.required and bind.key not in defaults:
            value = _NO_VALUE
        processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
        binds.append((escaped.get(name, name), bind.key, processor, value))
    columns = compiled._result_columns or []
    returns_rows = not plain_write and bool(compiled.returning or getattr(statement, "is_select", False) or columns)
    row: Any = None
    results: tuple[Any, ...] | None = None
    if returns_rows:
        row = collections.namedtuple("Row", [c.keyname for c in columns], rename=True)  # type: ignore[misc, no-redef]
        processors = tuple(c.type.dialect_impl(dialect).result_processor(dialect, None) for c in columns)
        results = processors if any(p is not None for p in processors) else None
    return _Plan(sql, positional, tuple(binds), returns_rows, row, results)


def _values(plan: _Plan, params: Mapping[str, Any]) -> Any:
    if plan.positional:
        out: Any = []
        for _name, key, processor, default in plan.binds:
            value = params.get(key, default)
            if value is _NO_VALUE:
                raise KeyError(f"a value for the parameter {key!r} is required")
            out.append(value if processor is None else processor(value))  # None too, as SQLAlchemy does
        return tuple(out)
    named: dict[str, Any] = {}
    for name, key, processor, default in plan.binds:
        value = params.get(key, default)
        if value is _NO_VALUE:
            raise KeyError(f"a value for the parameter {key!r} is required")
        named[name] = value if processor is None else processor(value)
    return named


def _execute(connection: Connection, plan: _Plan, values: Any, *, many: bool) -> Result:
    dbapi_connection: Any = connection.connection.dbapi_connection
    cursor = dbapi_connection.cursor()
    sql = plan.sql
    events = connection._has_events or connection.engine._has_events
    if events:
        for listener in connection.dispatch.before_cursor_execute:
            listener(connection, cursor, sql, values, None, many)
    try:
        if many:
            cursor.executemany(sql, values)
        else:
            cursor.execute(sql, values)
        rows = cursor.fetchall() if plan.returns_rows else []
        rowcount = cursor.rowcount
    except Exception as exc:
        cursor.close()
        connection._handle_dbapi_exception(exc, sql, values, cursor, None)  # raises SQLAlchemy's error
        raise  # unreachable: for the type checker
    cursor.close()
    if events:
        for listener in connection.dispatch.after_cursor_execute:
            listener(connection, cursor, sql, values, None, many)
    if not plan.returns_rows:
        return Result(rows, rowcount)
    make = plan.row._make
    if plan.results is None:
        return Result([make(r) for r in rows], rowcount)
    processors = plan.results
    return Result([make(p(v) if p is not None else v for p, v in zip(processors, r, strict=True)) for r in rows],
                  rowcount)
