"""Use cases of the physical card (SPEC §4): apply, decide, produce, hand over, activate.

Each command is one unit of work with exactly one commit. Aggregates are changed through a guarded
``UPDATE … WHERE version = seen``: of two clerks acting on the same version one wins, the other
gets Conflict (409). Reads and ownership live in ``cards.views``; this module loads through the
same ownership rules (a record that is not yours is NotFound).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from permitcard.auth import service as auth_service
from permitcard.auth import views as accounts
from permitcard.banks import service as banks
from permitcard.banks.service import Branch
from permitcard.cards import domain, events
from permitcard.cards import repository as repo
from permitcard.cards.domain import (
    AppAction,
    CardAction,
    CardState,
    Channel,
    Eligibility,
    Via,
)
from permitcard.cards.errors import NotEligible, WaitingForSsn
from permitcard.cards.models import Card, CardApplication
from permitcard.cards.producer import producer_for
from permitcard.db import Database
from permitcard.insurance import service as insurance
from permitcard.notifications.service import notify
from permitcard.photos import service as photos
from permitcard.policy import service as policy
from permitcard.shared import audit, clock, i18n, ids, outbox, state
from permitcard.shared.audit import Actor
from permitcard.shared.calendar_store import calendar_data
from permitcard.shared.crypto import blind_index
from permitcard.shared.errors import (
    N_,
    Conflict,
    FieldError,
    Forbidden,
    NotFound,
    RuleViolation,
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


def _require_role(actor: Actor, *roles: str) -> None:
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
        fee = policy.policy_for(s, city=city, on=clock.today()).fee_fen(result.kind)
        result = Eligibility(True, kind=result.kind, fee_fen=fee)
    return permit, result


def _eligible_kind(s: Session, permit_number: str, city: str) -> tuple[PermitInfo, str, int]:
    permit, result = eligibility_in(s, permit_number, city)
    if not result.eligible or permit is None or result.kind is None:
        raise NotEligible(result.reason)
    return permit, result.kind, result.fee_fen


_REFUSAL_FIELD = {"unknown": "permit_number", "name_mismatch": "family_name",
                  "passport_mismatch": "passport_number"}


def _verify(s: Session, *, permit_number: str, family_name: str, given_names: str, passport_number: str,
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


def _check_passport_of(s: Session, permit_number: str, passport_number: str) -> PermitInfo:
    """The passport shown at the counter must be the one on the registry record."""
    if not passport_number.strip():
        raise ValidationFailed.one("passport_number", N_("Enter the passport number"))
    permit = registry_for(s).get(permit_number)
    if permit is None:
        raise NotFound(N_("No work permit with this number is registered"))
    return _verify(s, permit_number=permit_number, family_name=permit.family_name, given_names=permit.given_names,
                   passport_number=passport_number, require_valid=False)


def _issuing_branch(s: Session, branch_id: int | None) -> Branch:
    try:
        branch = banks.get_branch(s, branch_id) if branch_id is not None else None
    except NotFound:
        branch = None
    if branch is None or not branch.issues_cards:
        raise ValidationFailed.one("branch_id", N_("Choose the branch where you want to collect your card"))
    return branch


def _notify(s: Session, app: CardApplication, template: str, **params: Any) -> None:
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


# --- applying ------------------------------------------------------------------------------------

def _create(s: Session, *, actor: Actor, permit: PermitInfo, kind: str, fee: int, channel: str, via: str,
            branch: Branch, photo_receipt: str, passport_checked: bool, reference: str, locale: str,
            family_name: str) -> CardApplication:
    photo_id = photos.use_receipt(s, receipt_number=photo_receipt, family_name=family_name,
                                  passport_number=permit.passport_number, used_for=f"card_application:{reference}",
                                  actor=actor)
    owner = accounts.account_of_permit(s, permit.permit_number)
    now = clock.now()
    app = CardApplication(
        reference=reference, permit_number=permit.permit_number, applicant_user_id=owner.id if owner else None,
        family_name=permit.family_name, given_names=permit.given_names, kind=kind, channel=channel,
        submitted_via=via, branch_id=branch.id, photo_id=photo_id, passport_checked=passport_checked,
        passport_checked_by_user_id=actor.user_id if passport_checked else None, state=domain.AppState.SUBMITTED,
        version=1, fee_fen=fee, created_at=now, updated_at=now, created_by_user_id=actor.user_id,
        notify_locale=locale,
    )
    s.add(app)
    s.flush()
    audit.record(s, actor=actor, action="card_application.submitted", target_type="card_application",
                 target_id=app.id, after={"reference": reference, "kind": kind, "channel": channel, "via": via,
                                          "branch_id": branch.id, "state": app.state, "fee_fen": fee})
    _notify(s, app, "received")
    return app


def apply_online(db: Database, *, actor: Actor, branch_id: int | None, photo_receipt: str,
                 passport_number: str) -> CardApplication:
    """An applicant applies for their own card, to collect at the branch they chose."""
    _require_role(actor, APPLICANT)
    errors: list[FieldError] = []
    if branch_id is None:
        errors.append(FieldError("branch_id", N_("Choose the branch where you want to collect your card")))
    if not photo_receipt.strip():
        errors.append(FieldError("photo_receipt", N_("Enter the photo receipt number")))
    if not passport_number.strip():
        errors.append(FieldError("passport_number", N_("Enter your passport number")))
    if errors:
        raise ValidationFailed(errors)
    if not actor.permit_number:
        raise NotEligible(N_("Connect your work permit to your account first"))
    with db.uow() as s:
        branch = _issuing_branch(s, branch_id)
        permit, kind, fee = _eligible_kind(s, actor.permit_number, branch.city_code)
        _verify(s, permit_number=permit.permit_number, family_name=permit.family_name,
                given_names=permit.given_names, passport_number=passport_number, require_valid=True)
        app = _create(s, actor=actor, permit=permit, kind=kind, fee=fee, channel=Channel.STANDARD, via=Via.ONLINE,
                      branch=branch, photo_receipt=photo_receipt.strip(), passport_checked=False,
                      reference=ids.reference("SSC"), locale=i18n.get_locale(), family_name=permit.family_name)
        s.commit()
        return app


def check_online_photo(db: Database, *, actor: Actor, photo_receipt: str) -> None:
    """One step of the online form: is this receipt usable for this applicant's card?"""
    _require_role(actor, APPLICANT)
    if not photo_receipt.strip():
        raise ValidationFailed.one("photo_receipt", N_("Enter the photo receipt number"))
    with db.uow(write=False) as s:
        permit = registry_for(s).get(actor.permit_number or "")
        if permit is None:
            raise NotEligible(N_("Connect your work permit to your account first"))
        photos.check_receipt(s, receipt_number=photo_receipt.strip(), family_name=permit.family_name,
                             passport_number=permit.passport_number)


def check_online_passport(db: Database, *, actor: Actor, passport_number: str) -> None:
    """One step of the online form: the passport must be the one on the applicant's permit."""
    _require_role(actor, APPLICANT)
    if not passport_number.strip():
        raise ValidationFailed.one("passport_number", N_("Enter your passport number"))
    with db.uow(write=False) as s:
        permit = registry_for(s).get(actor.permit_number or "")
        if permit is None:
            raise NotEligible(N_("Connect your work permit to your account first"))
        _verify(s, permit_number=permit.permit_number, family_name=permit.family_name,
                given_names=permit.given_names, passport_number=passport_number, require_valid=True)


def check_branch_form(db: Database, *, actor: Actor, permit_number: str, family_name: str, given_names: str,
                      passport_number: str, passport_checked: bool, photo_receipt: str,
                      channel: str) -> tuple[PermitInfo, str]:
    """The paper form before the clerk confirms it: (registry record, kind). Saves nothing."""
    _require_role(actor, BANK)
    if actor.branch_id is None:
        raise Forbidden()
    number = validate_branch_form(permit_number=permit_number, family_name=family_name,
                                  passport_number=passport_number, passport_checked=passport_checked,
                                  photo_receipt=photo_receipt, channel=channel)
    with db.uow(write=False) as s:
        branch = banks.get_branch(s, actor.branch_id)
        if channel == Channel.INSTANT and not branch.instant_production:
            raise ValidationFailed.one("channel", N_("This branch cannot produce cards the same day. Choose standard."))
        permit = _verify(s, permit_number=number, family_name=family_name, given_names=given_names,
                         passport_number=passport_number, require_valid=True)
        permit, kind, _fee = _eligible_kind(s, permit.permit_number, branch.city_code)
        photos.check_receipt(s, receipt_number=photo_receipt.strip(), family_name=family_name.strip(),
                             passport_number=permit.passport_number)
        return permit, kind


def validate_branch_form(*, permit_number: str, family_name: str, passport_number: str, passport_checked: bool,
                         photo_receipt: str, channel: str) -> str:
    """Field checks of the paper form; returns the normalised permit number."""
    errors: list[FieldError] = []
    number = ids.normalise_permit_number(permit_number)
    if not number:
        errors.append(FieldError("permit_number", N_("Enter the work permit number: 6 to 32 letters and digits")))
    if not family_name.strip():
        errors.append(FieldError("family_name", N_("Enter the family name as it is in the passport")))
    if not passport_number.strip():
        errors.append(FieldError("passport_number", N_("Enter the passport number")))
    if not passport_checked:
        errors.append(FieldError("passport_checked", N_("Check the original passport, then tick the box")))
    if not photo_receipt.strip():
        errors.append(FieldError("photo_receipt", N_("Enter the photo receipt number")))
    if channel not in (Channel.STANDARD, Channel.INSTANT):
        errors.append(FieldError("channel", N_("Choose how the card is produced")))
    if errors:
        raise ValidationFailed(errors)
    return str(number)


def apply_at_branch(db: Database, *, actor: Actor, permit_number: str, family_name: str, given_names: str,
                    passport_number: str, passport_checked: bool, photo_receipt: str,
                    channel: str) -> CardApplication:
    """A bank clerk enters a paper application at their own branch, having checked the passport."""
    _require_role(actor, BANK)
    if actor.branch_id is None:
        raise Forbidden()
    number = validate_branch_form(permit_number=permit_number, family_name=family_name,
                                  passport_number=passport_number, passport_checked=passport_checked,
                                  photo_receipt=photo_receipt, channel=channel)
    with db.uow() as s:
        branch = banks.get_branch(s, actor.branch_id)
        if channel == Channel.INSTANT and not branch.instant_production:
            raise ValidationFailed.one("channel", N_("This branch cannot produce cards the same day. Choose standard."))
        permit = _verify(s, permit_number=number, family_name=family_name, given_names=given_names,
                         passport_number=passport_number, require_valid=True)
        permit, kind, fee = _eligible_kind(s, permit.permit_number, branch.city_code)
        app = _create(s, actor=actor, permit=permit, kind=kind, fee=fee, channel=channel, via=Via.BRANCH,
                      branch=branch, photo_receipt=photo_receipt.strip(), passport_checked=True,
                      reference=ids.reference("SSC"), locale=i18n.DEFAULT, family_name=family_name.strip())
        s.commit()
        return app


def resubmit(db: Database, *, actor: Actor, application_id: int, version: int,
             photo_receipt: str = "") -> CardApplication:
    """The applicant (or the branch that took the paper form) sends a returned application again."""
    _require_role(actor, APPLICANT, BANK)
    with db.uow() as s:
        app = load_application(s, actor, application_id)
        values: dict[str, Any] = {}
        if photo_receipt.strip():
            permit = registry_for(s).get(app.permit_number)
            values["photo_id"] = photos.use_receipt(
                s, receipt_number=photo_receipt.strip(), family_name=app.family_name,
                passport_number=permit.passport_number if permit else "",
                used_for=f"card_application:{app.reference}", actor=actor)
        move_application(s, app, seen=version, action=AppAction.RESUBMIT, actor=actor, values=values)
        s.commit()
        return app


def cancel(db: Database, *, actor: Actor, application_id: int, version: int, reason: str = "") -> CardApplication:
    _require_role(actor, APPLICANT, BANK, AGENCY)
    with db.uow() as s:
        app = load_application(s, actor, application_id)
        move_application(s, app, seen=version, action=AppAction.CANCEL, actor=actor, note=reason[:500])
        s.commit()
        return app


# --- the agency's decision and production ------------------------------------------------------------

DECISIONS = ("approve", "reject", "return")


def decide(db: Database, *, actor: Actor, application_id: int, version: int, action: str,
           reason: str = "") -> CardApplication:
    """Approve (promised date; production starts at once if the SSN exists), reject or return."""
    _require_role(actor, AGENCY)
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
            promised = domain.promised_date(approval_date=today, channel=app.channel,
                                            working_days=rules.card_ready_working_days, calendar=calendar_data(s))
            move_application(s, app, seen=version, action=AppAction.APPROVE, actor=actor, note=reason[:500],
                              values={"approved_at": now, "decided_at": now, "promised_date": promised})
            _notify(s, app, "approved")
            if can_produce(s, app):
                produce(s, app, actor=actor, seen=app.version)
        elif action == "reject":
            move_application(s, app, seen=version, action=AppAction.REJECT, actor=actor,
                              values={"reject_reason": reason[:2000], "decided_at": now}, note=reason[:500])
            _notify(s, app, "rejected", reason=reason)
        else:
            move_application(s, app, seen=version, action=AppAction.RETURN, actor=actor,
                              values={"return_note": reason[:2000], "decided_at": now}, note=reason[:500])
            _notify(s, app, "returned", reason=reason)
        s.commit()
        return app


def waiting_reason(s: Session, app: CardApplication) -> str | None:
    """Why an approved application is not in production yet (a message id), or None."""
    if app.state != domain.AppState.APPROVED:
        return None
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
    _require_role(actor, AGENCY, SYSTEM)
    with db.uow() as s:
        app = load_application(s, actor, application_id)
        if app.version != version:
            raise Conflict()
        domain.APPLICATION.next_state(app.state, AppAction.START_PRODUCTION)
        produce(s, app, actor=actor, seen=version)
        s.commit()
        return app


# --- at the branch -------------------------------------------------------------------------------

def _branch_application(s: Session, actor: Actor, application_id: int) -> CardApplication:
    _require_role(actor, BANK)
    return load_application(s, actor, application_id)


def confirm_receipt(db: Database, *, actor: Actor, application_id: int, version: int) -> CardApplication:
    """The branch received the produced card from the vendor: ready for collection."""
    with db.uow() as s:
        app = _branch_application(s, actor, application_id)
        move_application(s, app, seen=version, action=AppAction.MARK_READY, actor=actor,
                          values={"ready_at": clock.now()})
        _notify(s, app, "ready")
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
        _notify(s, app, "ready")
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
        _check_passport_of(s, app.permit_number, passport_number)
        card = repo.card_for_application(s, app.id)
        if card is None:
            raise RuleViolation(N_("No card has been produced for this application"))
        move_application(s, app, seen=version, action=AppAction.HAND_OVER, actor=actor,
                          values={"collected_at": clock.now()})
        # An upgrade (or any new card) replaces the cards the person held before, for good.
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
    _require_role(actor, BANK)
    with db.uow() as s:
        card = load_card(s, actor, card_id)
        if card.version != version:
            raise Conflict()
        domain.CARD.next_state(card.state, CardAction.ACTIVATE)
        if not card.permit_number:
            raise RuleViolation(N_("This card carries no work permit to check the passport against"))
        _check_passport_of(s, card.permit_number, passport_number)
        move_card(s, card, seen=version, action=CardAction.ACTIVATE, actor=actor,
                   values={"activated_at": clock.now()})
        s.commit()
        return card


# --- permit events and the SSN: keep cards current, start waiting production ------------------------

def apply_snapshot(card: Card, permit: PermitInfo) -> bool:
    values = {"permit_number": permit.permit_number, "permit_category": permit.category,
              "employer_name_en": permit.employer_name_en, "employer_name_zh": permit.employer_name_zh,
              "position": permit.position, "permit_valid_from": permit.valid_from,
              "permit_valid_to": permit.valid_to, "permit_status": permit.status,
              "permit_version": permit.version, "family_name": permit.family_name,
              "given_names": permit.given_names}
    changed = any(getattr(card, k) != v for k, v in values.items())
    for k, v in values.items():
        setattr(card, k, v)
    if changed:
        card.permit_refreshed_at = clock.now()
    return changed
