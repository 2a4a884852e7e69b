"""Outbox handlers of the cards context (idempotent): permit events refresh the permit information
on the person's cards; a new SSN or a valid permit again starts production of approved applications."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from permitcard.cards import repository as repo
from permitcard.cards.service import PERMIT_TOPICS, SSN_TOPIC, _apply_snapshot, _can_produce, _produce
from permitcard.shared import audit, outbox
from permitcard.shared.audit import Actor
from permitcard.shared.registry import registry_for


def refresh_permit(s: Session, permit_number: str, *, actor: Actor | None = None) -> int:
    """Load the registry's current permit onto every card of that person (idempotent). Returns changes."""
    actor = actor or Actor.system("cards.permit-events")
    permit = registry_for(s).get(permit_number)
    if permit is None:
        return 0
    changed = 0
    for card in repo.cards_for_person(s, permit_number=permit_number):
        before = {"permit_status": card.permit_status, "permit_version": card.permit_version,
                  "permit_valid_to": card.permit_valid_to}
        if _apply_snapshot(card, permit):
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
        if _can_produce(s, app):
            _produce(s, app, actor=actor, seen=app.version)
            started += 1
    return started


def on_permit_event(s: Session, payload: dict[str, Any]) -> None:
    number = str(payload.get("permit_number") or "")
    if not number:
        return
    refresh_permit(s, number)
    start_waiting_production(s, number)


def on_ssn_assigned(s: Session, payload: dict[str, Any]) -> None:
    number = str(payload.get("permit_number") or "")
    if number:
        start_waiting_production(s, number)


def register() -> None:
    for topic in PERMIT_TOPICS:
        outbox.subscribe(topic)(on_permit_event)
    outbox.subscribe(SSN_TOPIC)(on_ssn_assigned)
