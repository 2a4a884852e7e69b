"""Outbox handlers of the cards context (idempotent): permit events refresh the permit information
on the person's cards; a new SSN or a valid permit again starts production of approved applications."""

from __future__ import annotations

from sqlalchemy.orm import Session

from permitcard.cards import repository as repo
from permitcard.cards.service import apply_snapshot, can_produce, produce, set_waiting_promised_dates
from permitcard.insurance.events import SsnAssigned
from permitcard.permits.events import PERMIT_EVENTS, PermitEvent
from permitcard.shared import audit, outbox
from permitcard.shared.audit import Actor
from permitcard.shared.calendar_store import CalendarYearEntered
from permitcard.shared.registry import registry_for


def refresh_permit(s: Session, permit_number: str, *, actor: Actor | None = None) -> int:
    """Load the registry's current permit onto every card of that person (idempotent). Returns changes.

    The registry's current version is loaded, never the event's payload, so a duplicated, replayed or
    out-of-order event cannot leave older information on a card."""
    actor = actor or Actor.system("cards.permit-events")
    permit = registry_for(s).get(permit_number)
    if permit is None:
        return 0
    changed = 0
    for card in repo.cards_for_person(s, permit_number=permit_number):
        if card.permit_version is not None and card.permit_version > permit.version:
            continue
        before = {"permit_status": card.permit_status, "permit_version": card.permit_version,
                  "permit_valid_to": card.permit_valid_to}
        if apply_snapshot(card, permit):
            changed += 1
            s.flush()
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


def on_ssn_assigned(s: Session, event: SsnAssigned) -> None:
    start_waiting_production(s, event.permit_number)


def on_calendar_year_entered(s: Session, event: CalendarYearEntered) -> None:
    set_waiting_promised_dates(s, year=event.year)


def register() -> None:
    outbox.handles(*PERMIT_EVENTS)(on_permit_event)
    outbox.handles(SsnAssigned)(on_ssn_assigned)
    outbox.handles(CalendarYearEntered)(on_calendar_year_entered)
