"""The agency's decision and production: approve, reject, return; produce when the SSN, a valid
permit (and, for a replacement, the paid fee) are there; keep the permit snapshot on a card."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from permitcard.banks import service as banks
from permitcard.cards import domain, events
from permitcard.cards import repository as repo
from permitcard.cards.domain import (
    AppAction,
    CardState,
    Channel,
)
from permitcard.cards.errors import WaitingForSsn
from permitcard.cards.models import Card, CardApplication
from permitcard.cards.producer import producer_for
from permitcard.cards.service.common import (
    AGENCY,
    SYSTEM,
    load_application,
    move_application,
    notify_applicant,
    require_role,
)
from permitcard.db import Database
from permitcard.insurance import service as insurance
from permitcard.policy import service as policy
from permitcard.shared import audit, clock, outbox
from permitcard.shared.audit import Actor
from permitcard.shared.calendar_store import calendar_data
from permitcard.shared.crypto import blind_index
from permitcard.shared.errors import (
    N_,
    Conflict,
    RuleViolation,
    ValidationFailed,
)
from permitcard.shared.registry import PermitInfo, registry_for

# --- the agency's decision and production ------------------------------------------------------------

DECISIONS = ("approve", "reject", "return")


def decide(db: Database, *, actor: Actor, application_id: int, version: int, action: str,
           reason: str = "") -> CardApplication:
    """Approve (promised date; production starts at once if the SSN exists), reject or return."""
    require_role(actor, AGENCY)
    if action not in DECISIONS:
        raise ValidationFailed.one("action", N_("Choose approve, reject or return"))
    reason = reason.strip()
    if action in ("reject", "return") and not reason:
        message = N_("Say why the application is rejected") if action == "reject" else N_("Say what to correct")
        raise ValidationFailed.one("reason", message)
    with db.uow() as s:
        app = load_application(s, actor, application_id)
        if app.channel == Channel.INSTANT:
            raise RuleViolation(N_("Instant applications are decided and produced at the branch"))
        now = clock.now()
        if action == "approve":
            today = clock.today()
            rules = policy.policy_for(s, city=banks.get_branch(s, app.branch_id).city_code, on=today)
            # Never refused for an unknown calendar year: the date is then set when the year is entered.
            promise = domain.promise(approval_date=today, channel=app.channel,
                                     working_days=rules.card_ready_working_days, calendar=calendar_data(s))
            move_application(s, app, seen=version, action=AppAction.APPROVE, actor=actor, note=reason[:500],
                              values={"approved_at": now, "decided_at": now, "promised_date": promise.due,
                                      "promised_calendar_year": promise.waits_for_year})
            notify_applicant(s, app, "approved", waits_for_year=promise.waits_for_year or "")
            if can_produce(s, app):
                produce(s, app, actor=actor, seen=app.version)
        elif action == "reject":
            move_application(s, app, seen=version, action=AppAction.REJECT, actor=actor,
                              values={"reject_reason": reason[:2000], "decided_at": now}, note=reason[:500])
            notify_applicant(s, app, "rejected", reason=reason)
        else:
            move_application(s, app, seen=version, action=AppAction.RETURN, actor=actor,
                              values={"return_note": reason[:2000], "decided_at": now}, note=reason[:500])
            notify_applicant(s, app, "returned", reason=reason)
        s.commit()
        return app


def set_waiting_promised_dates(s: Session, *, year: int) -> int:
    """Applications approved while ``year``'s official calendar was unknown get their promised date now
    (idempotent: a set date is not set again), and the applicant is told. Returns how many were set."""
    calendar, actor, done = calendar_data(s), Actor.system("cards.calendar"), 0
    for app in repo.waiting_for_calendar(s, year=year):
        approved_on = clock.local(app.approved_at).date() if app.approved_at else clock.today()
        rules = policy.policy_for(s, city=banks.get_branch(s, app.branch_id).city_code, on=approved_on)
        promise = domain.promise(approval_date=approved_on, channel=app.channel,
                                 working_days=rules.card_ready_working_days, calendar=calendar)
        before = {"promised_date": None, "promised_calendar_year": app.promised_calendar_year}
        app.promised_date, app.promised_calendar_year = promise.due, promise.waits_for_year
        s.flush()
        audit.record(s, actor=actor, action="card_application.promised_date_set", target_type="card_application",
                     target_id=app.id, before=before, after={"promised_date": promise.due,
                                                             "promised_calendar_year": promise.waits_for_year})
        if promise.due is not None:
            notify_applicant(s, app, "promised_date_set")
            done += 1
    return done


def waiting_reason(s: Session, app: CardApplication) -> str | None:
    """Why an approved application is not in production yet (a message id), or None."""
    if app.state != domain.AppState.APPROVED:
        return None
    # A replacement is produced only once its fee is paid at the branch (SPEC §4 "Loss"). A city that
    # charges for a first card or an upgrade (policy rows) takes that fee at collection, as before.
    if app.kind == domain.Kind.REPLACEMENT and app.fee_fen > 0 and repo.payment_for(s, app.id) is None:
        return N_("Waiting for the fee: the card is produced once the fee is paid at the branch.")
    if not insurance.ssn_for(s, permit_number=app.permit_number):
        return N_("Waiting for the social security number: the card is produced as soon as the person "
                  "is registered for social insurance.")
    permit = registry_for(s).get(app.permit_number)
    if permit is None or not permit.is_valid:
        return N_("Waiting for a valid work permit: the card cannot be produced while the permit is "
                  "cancelled or expired.")
    return None


def can_produce(s: Session, app: CardApplication) -> bool:
    return app.state == domain.AppState.APPROVED and waiting_reason(s, app) is None


def produce(s: Session, app: CardApplication, *, actor: Actor, seen: int) -> Card:
    reason = waiting_reason(s, app) if app.state == domain.AppState.APPROVED else None
    if reason:
        raise WaitingForSsn(reason)
    ssn = insurance.ssn_for(s, permit_number=app.permit_number)
    permit = registry_for(s).get(app.permit_number)
    branch = banks.get_branch(s, app.branch_id)
    move_application(s, app, seen=seen, action=AppAction.START_PRODUCTION, actor=actor,
                      values={"production_started_at": clock.now()})
    assert ssn is not None and permit is not None
    made = producer_for(s).produce(application_ref=app.reference, branch=branch, ssn=ssn, permit=permit)
    card = Card(card_number=made.card_number, bank_account=made.bank_account_number,
                bank_account_last4=made.bank_account_number[-4:], application_id=app.id, branch_id=app.branch_id,
                ssn=ssn, ssn_hash=blind_index(ssn), photo_id=app.photo_id, state=CardState.PRODUCED, version=1,
                family_name=permit.family_name, given_names=permit.given_names, produced_at=clock.now())
    apply_snapshot(card, permit)
    s.add(card)
    s.flush()
    audit.record(s, actor=actor, action="card.produced", target_type="card", target_id=card.id,
                 after={"card_number": card.card_number, "application": app.reference, "branch_id": card.branch_id,
                        "bank_account": made.bank_account_number, "state": card.state})
    outbox.publish(s, events.CardProduced(card_id=card.id, permit_number=card.permit_number or "", version=1,
                                          application_id=app.id))
    return card


def start_production(db: Database, *, actor: Actor, application_id: int, version: int) -> CardApplication:
    """Start production of an approved application (needs the SSN and a valid permit)."""
    require_role(actor, AGENCY, SYSTEM)
    with db.uow() as s:
        app = load_application(s, actor, application_id)
        if app.version != version:
            raise Conflict()
        domain.APPLICATION.next_state(app.state, AppAction.START_PRODUCTION)
        produce(s, app, actor=actor, seen=version)
        s.commit()
        return app



# --- permit events and the SSN: keep cards current, start waiting production ------------------------

def permit_values(permit: PermitInfo) -> dict[str, Any]:
    """The card's columns that carry the registry's permit information (what reconciliation compares)."""
    return {"permit_number": permit.permit_number, "permit_category": permit.category,
            "employer_name_en": permit.employer_name_en, "employer_name_zh": permit.employer_name_zh,
            "position": permit.position, "permit_valid_from": permit.valid_from,
            "permit_valid_to": permit.valid_to, "permit_status": permit.status,
            "permit_version": permit.version, "family_name": permit.family_name,
            "given_names": permit.given_names, "chinese_name": permit.chinese_name or None}


def apply_snapshot(card: Card, permit: PermitInfo) -> bool:
    values = permit_values(permit)
    changed = any(getattr(card, k) != v for k, v in values.items())
    for k, v in values.items():
        setattr(card, k, v)
    if changed:
        card.permit_refreshed_at = clock.now()
    return changed
