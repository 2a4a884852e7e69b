"""Outbox handlers of the cards context (idempotent): permit events refresh the permit information
on the person's cards; a new SSN or a valid permit again starts production of approved applications."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import CursorResult, Table, bindparam, or_, select, update
from sqlalchemy.orm import Session, attributes

from permitcard.cards import repository as repo
from permitcard.cards.models import Card
from permitcard.cards.service import can_produce, permit_values, produce, set_waiting_promised_dates
from permitcard.insurance.events import SsnAssigned
from permitcard.permits.events import PERMIT_EVENTS, PermitEvent
from permitcard.shared import audit, audit_bulk, clock, outbox
from permitcard.shared.audit import Actor
from permitcard.shared.calendar_store import CalendarYearEntered
from permitcard.shared.registry import registry_for


def refresh_permit(s: Session, permit_number: str, *, actor: Actor | None = None, force: bool = False) -> int:
    """Load the registry's current permit onto every card of that person (idempotent). Returns changes.

    The registry's current version is loaded, never the event's payload, so a duplicated, replayed or
    out-of-order event cannot leave older information on a card. ``force`` (reconciliation's repair)
    also overwrites a card that claims a newer version than the registry holds: the registry decides."""
    actor = actor or Actor.system("cards.permit-events")
    permit = registry_for(s).get(permit_number)
    if permit is None:
        return 0
    values = permit_values(permit)
    changed = 0
    for card in repo.cards_for_person(s, permit_number=permit_number):
        if not force and card.permit_version is not None and card.permit_version > permit.version:
            continue
        if all(getattr(card, k) == v for k, v in values.items()):
            continue  # a duplicate or a replay: nothing to write, nothing to audit
        before = {"permit_status": card.permit_status, "permit_version": card.permit_version,
                  "permit_valid_to": card.permit_valid_to}
        now = clock.now()
        statement = update(Card).where(Card.id == card.id)
        if not force:
            # Guarded in the database too: of two workers refreshing the same card with different registry
            # versions, the older one never overwrites the newer (PostgreSQL re-checks after the row lock).
            statement = statement.where(or_(Card.permit_version.is_(None), Card.permit_version <= permit.version))
        result = cast(CursorResult[Any], s.execute(
            statement.values(**values, permit_refreshed_at=now).execution_options(synchronize_session=False)))
        if result.rowcount != 1:
            continue
        for key, value in {**values, "permit_refreshed_at": now}.items():
            attributes.set_committed_value(card, key, value)
        changed += 1
        audit.record(s, actor=actor, action="card.permit_refreshed", target_type="card", target_id=card.id,
                     before=before, after={"permit_status": permit.status, "permit_version": permit.version,
                                           "permit_valid_to": permit.valid_to})
    return changed


def start_waiting_production(s: Session, permit_number: str) -> int:
    """Approved applications of this person whose SSN and permit are now there go into production."""
    actor = Actor.system("cards.production")
    started = 0
    for app in repo.approved_waiting(s, permit_number):
        if can_produce(s, app):
            produce(s, app, actor=actor, seen=app.version)
            started += 1
    return started


def on_permit_event(s: Session, event: PermitEvent) -> None:
    refresh_permit(s, event.permit_number)
    start_waiting_production(s, event.permit_number)


class _Raced(Exception):
    """A card changed under the batch (another worker): deliver these events one by one instead."""


_COMPARED = ("permit_number", "permit_category", "employer_name_en", "employer_name_zh", "position",
             "permit_valid_from", "permit_valid_to", "permit_status", "permit_version", "family_name", "given_names",
             "chinese_name")


_CARD_TABLE = cast(Table, Card.__table__)
# One statement for every batch size (an expanding parameter: cached once, no per-value coercion).
_CARDS_OF = (select(_CARD_TABLE.c.id, *(_CARD_TABLE.c[k] for k in _COMPARED))
             .where(_CARD_TABLE.c.permit_number.in_(bindparam("numbers", expanding=True))).order_by(_CARD_TABLE.c.id))


def refresh_permits(s: Session, permit_numbers: list[str]) -> int:
    """``refresh_permit`` for many people in a few statements (the outbox's batches): one read of the
    registry, one of the cards' permit columns, one guarded executemany UPDATE, one audit insert."""
    registry = registry_for(s)
    get_many = getattr(registry, "get_many", None)
    infos = get_many(permit_numbers) if get_many else {n: i for n in permit_numbers if (i := registry.get(n))}
    if not infos:
        return 0
    table = cast(Table, Card.__table__)
    now = clock.now()
    rows: list[dict[str, Any]] = []
    entries: list[tuple[int, dict[str, Any], dict[str, Any]]] = []
    with s.no_autoflush:
        found = s.execute(_CARDS_OF, {"numbers": list(infos)}).all()
    for card in found:
        permit = infos[card.permit_number]
        values = permit_values(permit)
        if card.permit_version is not None and card.permit_version > permit.version:
            continue
        if tuple(card)[1:] == tuple(values[k] for k in _COMPARED):
            continue
        rows.append({"b_id": card.id, "b_version": permit.version, **values, "permit_refreshed_at": now})
        entries.append((card.id, {"permit_status": card.permit_status, "permit_version": card.permit_version,
                                  "permit_valid_to": card.permit_valid_to},
                        {"permit_status": permit.status, "permit_version": permit.version,
                         "permit_valid_to": permit.valid_to}))
    if not rows:
        return 0
    # The SET clause comes from the parameters' column names; the guard is the single path's.
    statement = table.update().where(table.c.id == bindparam("b_id"), or_(
        table.c.permit_version.is_(None), table.c.permit_version <= bindparam("b_version")))
    result = cast(CursorResult[Any], s.connection().execute(statement, rows))
    if result.rowcount not in (-1, len(rows)):
        raise _Raced()
    for card_id, _before, _after in entries:  # cards of this session, if any, read the new values next time
        loaded = s.identity_map.get(s.identity_key(Card, card_id))  # type: ignore[no-untyped-call]
        if loaded is not None:
            s.expire(loaded)
    return audit_bulk.record_many(s, actor=Actor.system("cards.permit-events"), action="card.permit_refreshed",
                                  target_type="card", entries=entries)


def on_permit_events(s: Session, events: list[PermitEvent]) -> None:
    """The batch form of ``on_permit_event`` (same effect, fewer statements)."""
    numbers = list(dict.fromkeys(e.permit_number for e in events))
    refresh_permits(s, numbers)
    actor = Actor.system("cards.production")
    for app in repo.approved_waiting_many(s, numbers):
        if can_produce(s, app):
            produce(s, app, actor=actor, seen=app.version)


def on_ssn_assigned(s: Session, event: SsnAssigned) -> None:
    start_waiting_production(s, event.permit_number)


def on_calendar_year_entered(s: Session, event: CalendarYearEntered) -> None:
    set_waiting_promised_dates(s, year=event.year)


def register() -> None:
    outbox.handles(*PERMIT_EVENTS, batch=on_permit_events)(on_permit_event)
    outbox.handles(SsnAssigned)(on_ssn_assigned)
    outbox.handles(CalendarYearEntered)(on_calendar_year_entered)
