"""What every use case of the physical card shares: ownership loaders, state moves, rules that need
other contexts, notifications.

Each command is one unit of work with exactly one commit. Aggregates are changed through a guarded
``UPDATE … WHERE version = seen``: of two clerks acting on the same version one wins, the other
gets Conflict (409). Reads and ownership live in ``cards.views``; this module loads through the
same ownership rules (a record that is not yours is NotFound).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from permitcard.auth import service as auth_service
from permitcard.auth import views as accounts
from permitcard.banks import service as banks
from permitcard.banks.service import Branch
from permitcard.cards import domain, events
from permitcard.cards import repository as repo
from permitcard.cards.domain import (
    CardAction,
    Eligibility,
)
from permitcard.cards.errors import NotEligible
from permitcard.cards.models import Card, CardApplication
from permitcard.insurance import service as insurance
from permitcard.notifications.service import notify
from permitcard.policy import service as policy
from permitcard.shared import clock, i18n, state
from permitcard.shared.audit import Actor
from permitcard.shared.crypto import blind_index
from permitcard.shared.errors import (
    N_,
    Forbidden,
    NotFound,
    ValidationFailed,
)
from permitcard.shared.registry import REFUSAL_MESSAGES, PermitInfo, RegistryRefusal, registry_for

APPLICANT, AGENCY, BANK, AUDITOR, SYSTEM = "applicant", "agency_clerk", "bank_clerk", "auditor", "system"


# --- ownership: who may see which record ---------------------------------------------------------

def can_see_application(actor: Actor, app: CardApplication) -> bool:
    if actor.role in (AGENCY, AUDITOR, SYSTEM):
        return True
    if actor.role == BANK:
        return actor.branch_id is not None and app.branch_id == actor.branch_id
    if actor.role == APPLICANT:
        return actor.permit_number is not None and app.permit_number == actor.permit_number
    return False


def can_see_card(actor: Actor, card: Card) -> bool:
    if actor.role in (AGENCY, AUDITOR, SYSTEM):
        return True
    if actor.role == BANK:
        return actor.branch_id is not None and card.branch_id == actor.branch_id
    if actor.role == APPLICANT:
        return actor.permit_number is not None and card.permit_number == actor.permit_number
    return False


def load_application(s: Session, actor: Actor, application_id: int) -> CardApplication:
    app = repo.application(s, application_id)
    if app is None or not can_see_application(actor, app):
        raise NotFound(N_("No card application with this reference"))
    return app


def load_card(s: Session, actor: Actor, card_id: int) -> Card:
    card = repo.card(s, card_id)
    if card is None or not can_see_card(actor, card):
        raise NotFound(N_("No card with this reference"))
    return card


def require_role(actor: Actor, *roles: str) -> None:
    if actor.role not in roles:
        raise Forbidden()


# --- state changes: through shared.state, each with its typed event -----------------------------------

CARD_EVENTS: dict[str, type[events.CardEvent]] = {
    CardAction.ISSUE: events.CardIssued, CardAction.ACTIVATE: events.CardActivated,
    CardAction.SUSPEND: events.CardSuspended, CardAction.RESTORE: events.CardRestored,
    CardAction.INVALIDATE: events.CardInvalidated,
}


def move_application(s: Session, app: CardApplication, *, seen: int, action: str, actor: Actor,
                     values: dict[str, Any] | None = None, note: str = "") -> None:
    def event(new_state: str) -> events.CardApplicationChanged:
        return events.CardApplicationChanged(application_id=app.id, reference=app.reference,
                                             permit_number=app.permit_number, action=str(action), state=new_state)

    state.change(s, app, machine=domain.APPLICATION, action=action, seen=seen, actor=actor, values=values,
                 note=note, event=event)


def move_card(s: Session, card: Card, *, seen: int, action: str, actor: Actor,
              values: dict[str, Any] | None = None, note: str = "") -> None:
    event = CARD_EVENTS[action](card_id=card.id, permit_number=card.permit_number or "", version=seen + 1)
    state.change(s, card, machine=domain.CARD, action=action, seen=seen, actor=actor, values=values, note=note,
                 event=event)


# --- rules that need the other contexts -----------------------------------------------------------

def card_fee_fen(s: Session, *, kind: str, on: date, city: str | None = None) -> int:
    """The fee in integer fen for a card of ``kind`` applied for on ``on`` in ``city`` (None: the default
    city): the ONE place card fees are read — the policy rows per city and effective date."""
    return policy.policy_for(s, city=city, on=on).fee_fen(kind)


def eligibility_in(s: Session, permit_number: str | None,
                   city: str | None = None) -> tuple[PermitInfo | None, Eligibility]:
    """Eligibility of a person (inside the caller's unit of work), with the fee of ``city`` today
    (None: the city of the permit's employer, where the person will most likely apply)."""
    if not permit_number:
        return None, Eligibility(False, reason=N_("Connect your work permit to your account first"))
    permit = registry_for(s).get(permit_number)
    ssn = insurance.ssn_for(s, permit_number=permit_number)
    cards = repo.cards_for_person(s, permit_number=permit_number, ssn_hash=blind_index(ssn) if ssn else None)
    result = domain.eligibility(
        permit, had_card_here=bool(cards),
        holds_card_with_permit=any(c.state in domain.HELD_CARD_STATES and c.permit_number for c in cards),
        has_open_application=repo.has_open_application(s, permit_number))
    if result.eligible and result.kind and permit is not None:
        city = city or auth_service.employer_city(s, uscc=permit.employer_uscc)
        fee = card_fee_fen(s, kind=result.kind, on=clock.today(), city=city)
        result = Eligibility(True, kind=result.kind, fee_fen=fee)
    return permit, result


def eligible_kind(s: Session, permit_number: str, city: str) -> tuple[PermitInfo, str, int]:
    permit, result = eligibility_in(s, permit_number, city)
    if not result.eligible or permit is None or result.kind is None:
        raise NotEligible(result.reason)
    return permit, result.kind, result.fee_fen


_REFUSAL_FIELD = {"unknown": "permit_number", "name_mismatch": "family_name",
                  "passport_mismatch": "passport_number"}


def verify_permit(s: Session, *, permit_number: str, family_name: str, given_names: str, passport_number: str,
            require_valid: bool) -> PermitInfo:
    try:
        return registry_for(s).verify(permit_number=permit_number, family_name=family_name,
                                      given_names=given_names, passport_number=passport_number,
                                      require_valid=require_valid)
    except RegistryRefusal as exc:
        field = _REFUSAL_FIELD.get(exc.reason)
        if field is None:
            raise NotEligible(REFUSAL_MESSAGES.get(exc.reason, exc.message)) from exc
        raise ValidationFailed.one(field, REFUSAL_MESSAGES[exc.reason]) from exc


def check_passport_of(s: Session, permit_number: str, passport_number: str) -> PermitInfo:
    """The passport shown at the counter must be the one on the registry record."""
    if not passport_number.strip():
        raise ValidationFailed.one("passport_number", N_("Enter the passport number"))
    permit = registry_for(s).get(permit_number)
    if permit is None:
        raise NotFound(N_("No work permit with this number is registered"))
    return verify_permit(s, permit_number=permit_number, family_name=permit.family_name, given_names=permit.given_names,
                   passport_number=passport_number, require_valid=False)


def issuing_branch(s: Session, branch_id: int | None) -> Branch:
    try:
        branch = banks.get_branch(s, branch_id) if branch_id is not None else None
    except NotFound:
        branch = None
    if branch is None or not branch.issues_cards:
        raise ValidationFailed.one("branch_id", N_("Choose the branch where you want to collect your card"))
    return branch


def notify_applicant(s: Session, app: CardApplication, template: str, **params: Any) -> None:
    user = accounts.account_of_permit(s, app.permit_number)
    if user is None or not user.is_active:
        return
    with i18n.use_locale(app.notify_locale):
        branch = banks.get_branch(s, app.branch_id)
        days = policy.policy_for(s, city=branch.city_code, on=clock.today()).card_ready_working_days
        params = {"reference": app.reference, "name": f"{app.given_names} {app.family_name}".strip(),
                  "branch": branch.name, "branch_address": branch.address, "working_days": days,
                  "promised_date": i18n.format_date(app.promised_date) if app.promised_date else "", **params}
    notify(s, to=user.email, template=f"card_{template}", params=params, locale=app.notify_locale,
           dedupe_key=f"card_application:{app.id}:{template}:{app.version}")


