"""Applying for a card: online question by question, or a paper form at the branch; resubmit, cancel."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from permitcard.auth import views as accounts
from permitcard.banks import service as banks
from permitcard.banks.service import Branch
from permitcard.cards import domain
from permitcard.cards.domain import (
    AppAction,
    Channel,
    Via,
)
from permitcard.cards.errors import NotEligible
from permitcard.cards.models import CardApplication
from permitcard.cards.service.common import (
    AGENCY,
    APPLICANT,
    BANK,
    eligible_kind,
    issuing_branch,
    load_application,
    move_application,
    notify_applicant,
    require_role,
    verify_permit,
)
from permitcard.db import Database
from permitcard.photos import service as photos
from permitcard.shared import audit, clock, i18n, ids
from permitcard.shared.audit import Actor
from permitcard.shared.errors import (
    N_,
    FieldError,
    Forbidden,
    ValidationFailed,
)
from permitcard.shared.registry import PermitInfo, registry_for

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
    notify_applicant(s, app, "received")
    return app


ONLINE_IS_STANDARD = N_("Same-day cards are made only in person at the counter of a branch that makes them: "
                        "go there with your passport and photo receipt. An online application is a standard "
                        "one, ready by the promised date.")


def apply_online(db: Database, *, actor: Actor, branch_id: int | None, photo_receipt: str,
                 passport_number: str, channel: str = Channel.STANDARD) -> CardApplication:
    """An applicant applies for their own card, to collect at the branch they chose. Online is always the
    standard channel: asking for the instant one is refused (422 on ``channel``), never quietly changed."""
    require_role(actor, APPLICANT)
    if channel != Channel.STANDARD:
        raise ValidationFailed.one("channel", ONLINE_IS_STANDARD)
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
        branch = issuing_branch(s, branch_id)
        permit, kind, fee = eligible_kind(s, actor.permit_number, branch.city_code)
        verify_permit(s, permit_number=permit.permit_number, family_name=permit.family_name,
                given_names=permit.given_names, passport_number=passport_number, require_valid=True)
        app = _create(s, actor=actor, permit=permit, kind=kind, fee=fee, channel=Channel.STANDARD, via=Via.ONLINE,
                      branch=branch, photo_receipt=photo_receipt.strip(), passport_checked=False,
                      reference=ids.reference("SSC"), locale=i18n.get_locale(), family_name=permit.family_name)
        s.commit()
        return app


def check_online_photo(db: Database, *, actor: Actor, photo_receipt: str) -> None:
    """One step of the online form: is this receipt usable for this applicant's card?"""
    require_role(actor, APPLICANT)
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
    require_role(actor, APPLICANT)
    if not passport_number.strip():
        raise ValidationFailed.one("passport_number", N_("Enter your passport number"))
    with db.uow(write=False) as s:
        permit = registry_for(s).get(actor.permit_number or "")
        if permit is None:
            raise NotEligible(N_("Connect your work permit to your account first"))
        verify_permit(s, permit_number=permit.permit_number, family_name=permit.family_name,
                given_names=permit.given_names, passport_number=passport_number, require_valid=True)


def check_branch_form(db: Database, *, actor: Actor, permit_number: str, family_name: str, given_names: str,
                      passport_number: str, passport_checked: bool, photo_receipt: str,
                      channel: str) -> tuple[PermitInfo, str]:
    """The paper form before the clerk confirms it: (registry record, kind). Saves nothing."""
    require_role(actor, BANK)
    if actor.branch_id is None:
        raise Forbidden()
    number = validate_branch_form(permit_number=permit_number, family_name=family_name,
                                  passport_number=passport_number, passport_checked=passport_checked,
                                  photo_receipt=photo_receipt, channel=channel)
    with db.uow(write=False) as s:
        branch = banks.get_branch(s, actor.branch_id)
        if channel == Channel.INSTANT and not branch.instant_production:
            raise ValidationFailed.one("channel", N_("This branch cannot produce cards the same day. Choose standard."))
        permit = verify_permit(s, permit_number=number, family_name=family_name, given_names=given_names,
                         passport_number=passport_number, require_valid=True)
        permit, kind, _fee = eligible_kind(s, permit.permit_number, branch.city_code)
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
                    channel: str, locale: str = i18n.DEFAULT) -> CardApplication:
    """A bank clerk enters a paper application at their own branch, having checked the passport.
    ``locale``: the language the applicant chose on the paper form; every message to them is in it."""
    require_role(actor, BANK)
    if actor.branch_id is None:
        raise Forbidden()
    number = validate_branch_form(permit_number=permit_number, family_name=family_name,
                                  passport_number=passport_number, passport_checked=passport_checked,
                                  photo_receipt=photo_receipt, channel=channel)
    with db.uow() as s:
        branch = banks.get_branch(s, actor.branch_id)
        if channel == Channel.INSTANT and not branch.instant_production:
            raise ValidationFailed.one("channel", N_("This branch cannot produce cards the same day. Choose standard."))
        permit = verify_permit(s, permit_number=number, family_name=family_name, given_names=given_names,
                         passport_number=passport_number, require_valid=True)
        permit, kind, fee = eligible_kind(s, permit.permit_number, branch.city_code)
        app = _create(s, actor=actor, permit=permit, kind=kind, fee=fee, channel=channel, via=Via.BRANCH,
                      branch=branch, photo_receipt=photo_receipt.strip(), passport_checked=True,
                      reference=ids.reference("SSC"), locale=i18n.normalise(locale) or i18n.DEFAULT,
                      family_name=family_name.strip())
        s.commit()
        return app


def resubmit(db: Database, *, actor: Actor, application_id: int, version: int,
             photo_receipt: str = "") -> CardApplication:
    """The applicant (or the branch that took the paper form) sends a returned application again."""
    require_role(actor, APPLICANT, BANK)
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
    require_role(actor, APPLICANT, BANK, AGENCY)
    with db.uow() as s:
        app = load_application(s, actor, application_id)
        move_application(s, app, seen=version, action=AppAction.CANCEL, actor=actor, note=reason[:500])
        s.commit()
        return app


