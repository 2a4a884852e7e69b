"""Work at the branch: receipt from the vendor, instant production, hand-over, activation."""

from __future__ import annotations

from sqlalchemy.orm import Session

from permitcard.banks import service as banks
from permitcard.cards import domain
from permitcard.cards import repository as repo
from permitcard.cards.domain import (
    AppAction,
    CardAction,
    CardState,
    Channel,
)
from permitcard.cards.errors import WaitingForSsn
from permitcard.cards.models import Card, CardApplication
from permitcard.cards.service.common import (
    BANK,
    check_passport_of,
    load_application,
    load_card,
    move_application,
    move_card,
    notify_applicant,
    require_role,
)
from permitcard.cards.service.production import produce, waiting_reason
from permitcard.db import Database
from permitcard.shared import clock
from permitcard.shared.audit import Actor
from permitcard.shared.errors import (
    N_,
    Conflict,
    RuleViolation,
)

# --- at the branch -------------------------------------------------------------------------------

def _branch_application(s: Session, actor: Actor, application_id: int) -> CardApplication:
    require_role(actor, BANK)
    return load_application(s, actor, application_id)


def confirm_receipt(db: Database, *, actor: Actor, application_id: int, version: int) -> CardApplication:
    """The branch received the produced card from the vendor: ready for collection."""
    with db.uow() as s:
        app = _branch_application(s, actor, application_id)
        move_application(s, app, seen=version, action=AppAction.MARK_READY, actor=actor,
                          values={"ready_at": clock.now()})
        notify_applicant(s, app, "ready")
        s.commit()
        return app


def produce_instant(db: Database, *, actor: Actor, application_id: int, version: int) -> CardApplication:
    """Instant channel: the clerk approves, produces and readies the card in one action."""
    with db.uow() as s:
        app = _branch_application(s, actor, application_id)
        if app.channel != Channel.INSTANT:
            raise RuleViolation(N_("Only instant applications are produced at the branch"))
        if not banks.get_branch(s, app.branch_id).instant_production:
            raise RuleViolation(N_("This branch cannot produce cards the same day"))
        if app.version != version:
            raise Conflict()
        domain.APPLICATION.next_state(app.state, AppAction.APPROVE)
        today, now = clock.today(), clock.now()
        move_application(s, app, seen=version, action=AppAction.APPROVE, actor=actor,
                          values={"approved_at": now, "decided_at": now, "promised_date": today})
        reason = waiting_reason(s, app)
        if reason:
            raise WaitingForSsn(reason)
        produce(s, app, actor=actor, seen=app.version)
        move_application(s, app, seen=app.version, action=AppAction.MARK_READY, actor=actor,
                          values={"ready_at": clock.now()})
        notify_applicant(s, app, "ready")
        s.commit()
        return app


def hand_over(db: Database, *, actor: Actor, application_id: int, version: int,
              passport_number: str) -> CardApplication:
    """The holder collects the card with their passport: application collected, card issued."""
    with db.uow() as s:
        app = _branch_application(s, actor, application_id)
        if app.version != version:
            raise Conflict()
        domain.APPLICATION.next_state(app.state, AppAction.HAND_OVER)
        check_passport_of(s, app.permit_number, passport_number)
        card = repo.card_for_application(s, app.id)
        if card is None:
            raise RuleViolation(N_("No card has been produced for this application"))
        if card.state != CardState.PRODUCED:  # e.g. suspended: never handed over
            raise RuleViolation(domain.unusable_reason(card.state) or N_("This card has already been handed over"))
        move_application(s, app, seen=version, action=AppAction.HAND_OVER, actor=actor,
                          values={"collected_at": clock.now()})
        # An upgrade or a replacement replaces the cards the person held before, for good (a lost, suspended
        # card too); the new card carries the current permit information (loaded when it was produced).
        for old in repo.held_cards_by_ssn(s, card.ssn_hash):
            if old.id != card.id:
                move_card(s, old, seen=old.version, action=CardAction.INVALIDATE, actor=actor,
                           values={"invalidated_at": clock.now()}, note=f"replaced by {card.card_number}")
        move_card(s, card, seen=card.version, action=CardAction.ISSUE, actor=actor,
                   values={"issued_at": clock.now()})
        s.commit()
        return app


def activate(db: Database, *, actor: Actor, card_id: int, version: int, passport_number: str) -> Card:
    """At the issuing branch, with the card and the passport: the card becomes active."""
    require_role(actor, BANK)
    with db.uow() as s:
        card = load_card(s, actor, card_id)
        if card.version != version:
            raise Conflict()
        unusable = domain.unusable_reason(card.state)
        if unusable:
            raise RuleViolation(unusable)
        domain.CARD.next_state(card.state, CardAction.ACTIVATE)
        if not card.permit_number:
            raise RuleViolation(N_("This card carries no work permit to check the passport against"))
        check_passport_of(s, card.permit_number, passport_number)
        move_card(s, card, seen=version, action=CardAction.ACTIVATE, actor=actor,
                   values={"activated_at": clock.now()})
        s.commit()
        return card


