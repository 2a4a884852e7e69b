"""The one way an aggregate changes state.

Every aggregate with a state machine (an ORM class with ``id``, ``state`` and ``version`` columns)
declares a ``Machine`` in its context's ``domain.py``: the name used in the audit log and its
transition table ``{(state, action): new_state}``. ``change`` then, in the caller's transaction:

1. refuses an action the table does not allow (``IllegalTransition``, 409, with the message);
2. refuses a stale command (``Conflict``, 409) — the version the user saw must still be current,
   and ``UPDATE … WHERE id = :id AND version = :seen`` checks it again in the database, so of two
   people acting at once exactly one wins;
3. writes the audit row ``<machine>.<verb of the action>`` with before/after;
4. publishes the typed event, if any, to the outbox.

The object in the session is updated from the values written (no read-back).
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, insert, update
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, attributes, make_transient_to_detached

from permitcard.prebuilt import Prebuilt
from permitcard.shared import audit, clock, labels, outbox
from permitcard.shared.audit import Actor
from permitcard.shared.errors import N_, Conflict, DomainError, IllegalTransition
from permitcard.shared.events import Event


@dataclass(frozen=True)
class Machine:
    """A state machine: ``name`` (audit target type and action prefix) and its transition table.
    Pure data, so it lives in the context's ``domain.py``; ``change`` takes the ORM class from the object."""

    name: str
    transitions: Mapping[tuple[str, str], str]
    # A database constraint the UPDATE may hit (e.g. one active card per person) → this error.
    on_integrity_error: type[DomainError] | None = None
    # How the audit log names an action ("approve" -> "approved"); the action itself by default.
    verbs: Mapping[str, str] = field(default_factory=dict)
    # A column set to the time of every change (e.g. "updated_at"), if the aggregate keeps one.
    stamp: str | None = None

    def next_state(self, state: str, action: str) -> str:
        new_state = self.transitions.get((str(state), str(action)))
        if new_state is None:
            # The state in the reader's words (the code where none is registered), never the raw action.
            raise IllegalTransition(N_("This is not possible while the record is “%(state)s”."),
                                    action=str(action), state=labels.field_value(str(state), self.name, "state"))
        return str(new_state)

    def allowed(self, state: str) -> list[str]:
        return [str(a) for (s, a) in self.transitions if s == str(state)]


@dataclass(frozen=True)
class Created:
    """The audit row of an object's creation, written just before its first move (``change(created=...)``)."""

    action: str
    actor: Actor
    after: Mapping[str, Any]


def _plain(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if not isinstance(v, datetime | bytes)
            and (isinstance(v, str | int | float | bool | date) or v is None)}


def change(
    s: Session,
    obj: Any,
    *,
    machine: Machine,
    action: str,
    seen: int,
    actor: Actor,
    values: Mapping[str, Any] | None = None,
    event: Event | Callable[[str], Event] | None = None,
    note: str = "",
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    created: Created | None = None,
) -> str:
    """Move ``obj`` by ``action``; returns the new state. See the module docstring.

    ``event`` is the typed event to publish, or a function of the new state that makes it.
    ``before``/``after`` add fields to the audit row beyond state, version and ``values``.
    ``created`` (an object added in this unit of work, not yet written): the audit row of its creation,
    recorded first; the row is then inserted once, already moved (no UPDATE).
    """
    if obj.version != seen:
        raise Conflict()
    new_state = machine.next_state(obj.state, action)
    changes = {"state": new_state, "version": seen + 1, **(values or {})}
    if machine.stamp:
        changes.setdefault(machine.stamp, clock.now())
    audit_before = {"state": obj.state, "version": seen, **(before or {})}
    if created is not None and obj in s.new:
        _insert_moved(s, obj, machine, changes)
        audit.record(s, actor=created.actor, action=created.action, target_type=machine.name, target_id=obj.id,
                     after=dict(created.after))
        return _recorded(s, obj, machine, action, actor, audit_before, changes, after, note, event, new_state)
    model = type(obj)
    columns = _column_keys(model)  # type: ignore[arg-type]
    params = {columns[key]: value for key, value in changes.items()}
    params.update(_id=obj.id, _seen=seen)
    if obj in s.new:  # created in this unit of work: its row must exist before it can move
        s.flush([obj])
    try:
        # Other pending rows (audit, outbox) wait for the commit, where each table is one batch.
        with s.no_autoflush:
            moving = _updating(model.__table__)
            if machine.on_integrity_error is None:
                result = moving.run(s, params)
            else:
                with s.begin_nested():
                    result = moving.run(s, params)
    except IntegrityError as exc:
        assert machine.on_integrity_error is not None
        raise machine.on_integrity_error() from exc
    if result.rowcount != 1:
        raise Conflict()
    for key, value in changes.items():  # what we wrote is what the row holds now: no read-back
        attributes.set_committed_value(obj, key, value)
    return _recorded(s, obj, machine, action, actor, audit_before, changes, after, note, event, new_state)


def _insert_moved(s: Session, obj: Any, machine: Machine, changes: Mapping[str, Any]) -> None:
    """A new object takes its moved values before its one INSERT (the database's constraints still apply).

    The INSERT is one Core statement (``RETURNING id``), not a unit-of-work flush; the object then joins
    the session as persistent with the values written. An object the ORM must complete itself (a
    column left to a callable or server default) is flushed the usual way."""
    for key, value in changes.items():
        setattr(obj, key, value)
    values = _insert_values(obj)
    try:
        with contextlib.nullcontext() if machine.on_integrity_error is None else s.begin_nested():
            if values is None:
                s.flush([obj])
                return
            with s.no_autoflush:  # the object itself is pending: only this statement writes it
                new_id = _inserting(type(obj).__table__).run(s, values).scalar_one()
    except IntegrityError as exc:
        if machine.on_integrity_error is None:
            raise
        raise machine.on_integrity_error() from exc
    s.expunge(obj)
    attributes.set_committed_value(obj, "id", new_id)
    for key, value in values.items():
        attributes.set_committed_value(obj, key, value)
    make_transient_to_detached(obj)
    s.add(obj)


@functools.cache
def _updating(table: Any) -> Prebuilt:
    """A move's UPDATE, only if the row is still at the version the actor saw (compiled once per set of
    columns it sets)."""
    return Prebuilt(update(table).where(table.c.id == bindparam("_id"), table.c.version == bindparam("_seen")))


@functools.cache
def _column_keys(model: Any) -> dict[str, str]:
    """Attribute name → column key of a mapped class."""
    return {prop.key: prop.columns[0].key for prop in sa_inspect(model).column_attrs}


@functools.cache
def _inserting(table: Any) -> Prebuilt:
    """A table's INSERT … RETURNING id, built once (compiled once per set of columns)."""
    return Prebuilt(insert(table).returning(table.c.id))


def _insert_values(obj: Any) -> dict[str, Any] | None:
    """Every column's value for a Core INSERT (scalar defaults filled in), or None if the ORM must fill one."""
    state = sa_inspect(obj)
    values: dict[str, Any] = {}
    for prop in state.mapper.column_attrs:
        column = prop.columns[0]
        if column.primary_key:
            continue
        if prop.key in state.dict:
            values[column.key] = state.dict[prop.key]
        elif column.server_default is not None or (column.default is not None and not column.default.is_scalar):
            return None
        else:
            values[column.key] = column.default.arg if column.default is not None else None
    return values


def _recorded(s: Session, obj: Any, machine: Machine, action: str, actor: Actor, audit_before: Mapping[str, Any],
              changes: Mapping[str, Any], after: Mapping[str, Any] | None, note: str,
              event: Event | Callable[[str], Event] | None, new_state: str) -> str:
    """The audit row of the move and its event."""
    verb = machine.verbs.get(str(action), str(action))
    audit.record(s, actor=actor, action=f"{machine.name}.{verb}", target_type=machine.name, target_id=obj.id,
                 before=dict(audit_before), after={**_plain(changes), **(after or {})}, note=note)
    if event is not None:
        outbox.publish(s, event if isinstance(event, Event) else event(new_state))
    return new_state
