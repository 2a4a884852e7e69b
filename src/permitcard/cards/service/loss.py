"""Lost and damaged cards (SPEC §4 "Loss", fees): report loss, restore, replacement, the fee at the branch.

- ``report_loss``: the worker online, the worker from the e-card (the same call, ``channel="ecard"``),
  or a bank clerk at any issuing branch after checking the passport (``channel="branch"``). The card
  is suspended at once (``CardSuspended``) and the worker is told in their language.
- ``restore``: a suspended card found again, only while no replacement has been applied for.
- ``apply_replacement``: a lost (reported) or damaged card; the fee comes from ``card_fee_fen``.
- ``record_payment``: the clerk records the fee paid at the counter; the card is produced only then.
When the new card is handed over (``branch.hand_over``) the old one is invalidated for good.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from permitcard.auth import views as accounts
from permitcard.banks import service as banks
from permitcard.banks.service import Branch
from permitcard.cards import domain
from permitcard.cards import repository as repo
from permitcard.cards.domain import CardAction, Channel, Kind, LossChannel, Via
from permitcard.cards.errors import AlreadyPaid, NotEligible, ReplacementExists
from permitcard.cards.models import Card, CardApplication, CardPayment
from permitcard.cards.service.common import (
    APPLICANT,
    BANK,
    card_fee_fen,
    check_passport_of,
    issuing_branch,
    load_application,
    load_card,
    move_card,
    notify_applicant,
    require_role,
)
from permitcard.cards.service.production import can_produce, produce
from permitcard.db import Database
from permitcard.notifications.service import notify
from permitcard.photos import service as photos
from permitcard.policy import service as policy
from permitcard.shared import audit, clock, i18n, ids, money
from permitcard.shared.audit import Actor
from permitcard.shared.errors import N_, FieldError, Forbidden, NotFound, RuleViolation, ValidationFailed
from permitcard.shared.registry import PermitInfo, registry_for

# --- who reaches which card ------------------------------------------------------------------------------


def _counter_branch(s: Session, actor: Actor) -> Branch:
    require_role(actor, BANK)
    branch = banks.get_branch(s, actor.branch_id) if actor.branch_id is not None else None
    if branch is None or not branch.issues_cards:
        raise Forbidden()
    return branch


def immediate_replacement(s: Session, branch: Branch) -> bool:
    """Does this branch replace a card on the spot (the city's policy today)?"""
    return policy.policy_for(s, city=branch.city_code, on=clock.today()).immediate_replacement(branch.code)


def _counter_card(s: Session, actor: Actor, card_id: int, passport_number: str) -> Card:
    """A clerk of ANY issuing branch reaches a card through the holder's passport, shown at the counter."""
    _counter_branch(s, actor)
    card = repo.card(s, card_id)
    if card is None or not card.permit_number:
        raise NotFound(N_("No card with this reference"))
    check_passport_of(s, card.permit_number, passport_number)
    return card


def _card_for(s: Session, actor: Actor, card_id: int, channel: str, passport_number: str) -> Card:
    if channel == LossChannel.BRANCH:
        return _counter_card(s, actor, card_id, passport_number)
    if channel not in (LossChannel.ONLINE, LossChannel.ECARD):
        raise ValidationFailed.one("channel", N_("Choose how the loss is reported"))
    require_role(actor, APPLICANT)
    return load_card(s, actor, card_id)


def _holder_locale(s: Session, card: Card, channel: str) -> str:
    """The worker reads in the language they use here; at the counter, the one of their application."""
    if channel != LossChannel.BRANCH:
        return i18n.get_locale()
    app = repo.application(s, card.application_id) if card.application_id else None
    return app.notify_locale if app is not None else i18n.DEFAULT


def _notify_holder(s: Session, card: Card, template: str, *, locale: str) -> None:
    user = accounts.account_of_permit(s, card.permit_number or "")
    if user is None or not user.is_active:
        return
    with i18n.use_locale(locale):
        params = {"name": f"{card.given_names} {card.family_name}".strip(), "card_number": card.card_number,
                  "at": i18n.format_datetime(clock.now()),
                  "fee": money.format_fen(card_fee_fen(s, kind=Kind.REPLACEMENT, on=clock.today()),
                                          i18n.babel_locale(locale).language)}
    notify(s, to=user.email, template=f"card_{template}", params=params, locale=locale,
           dedupe_key=f"card:{card.id}:{template}:{card.version}")


# --- report loss, restore ------------------------------------------------------------------------------

def report_loss(db: Database, *, actor: Actor, card_id: int, version: int, channel: str = "online",
                passport_number: str = "") -> Card:
    """Report card ``card_id`` lost: it is suspended at once (``CardSuspended``) and the worker is told.

    ``channel``: ``"online"`` (this site) or ``"ecard"`` (the e-card) — ``actor`` is then the worker
    (role applicant, their own card only); ``"branch"`` — ``actor`` is a bank clerk of any issuing
    branch and ``passport_number`` is the passport shown at the counter. ``version`` is the card version
    the reporter saw (409 Conflict if it moved). Refusals say why (RuleViolation, 422)."""
    with db.uow() as s:
        card = _card_for(s, actor, card_id, channel, passport_number)
        refusal = domain.loss_refusal(card.state)
        if refusal:
            raise RuleViolation(refusal)
        move_card(s, card, seen=version, action=CardAction.SUSPEND, actor=actor,
                  values={"suspended_at": clock.now(), "loss_reported_via": channel}, note=f"reported lost ({channel})")
        _notify_holder(s, card, "suspended", locale=_holder_locale(s, card, channel))
        s.commit()
        return card


def restore(db: Database, *, actor: Actor, card_id: int, version: int, channel: str = "online",
            passport_number: str = "") -> Card:
    """A suspended card found again is active again — only while no replacement has been applied for."""
    with db.uow() as s:
        card = _card_for(s, actor, card_id, channel, passport_number)
        refusal = domain.restore_refusal(card.state, replacement_applied=repo.live_replacement_for(s, card.id)
                                         is not None)
        if refusal:
            raise RuleViolation(refusal)
        move_card(s, card, seen=version, action=CardAction.RESTORE, actor=actor,
                  values={"suspended_at": None, "loss_reported_via": None}, note=f"found again ({channel})")
        _notify_holder(s, card, "restored", locale=_holder_locale(s, card, channel))
        s.commit()
        return card


# --- replacement -----------------------------------------------------------------------------------------

def replacement_fee_fen(db: Database) -> int:
    """What a replacement card costs today (shown before anyone applies)."""
    with db.uow(write=False) as s:
        return card_fee_fen(s, kind=Kind.REPLACEMENT, on=clock.today())


def apply_replacement(db: Database, *, actor: Actor, card_id: int, reason: str, branch_id: int | None = None,
                      channel: str = "standard", passport_number: str = "", photo_receipt: str = "") -> CardApplication:
    """Apply for a replacement of a lost (already reported, so suspended) or damaged card.

    The worker online chooses the collection branch (standard channel: the agency decides, ready within
    12 working days after approval). A bank clerk enters it at their own branch after checking the
    passport (``channel="instant"`` at an instant-capable branch: produced there once the fee is paid).
    The fee in force today is kept on the application; the old card's photo is reused unless a new
    photo receipt is given."""
    if reason not in {r.value for r in domain.ReplacementReason}:
        raise ValidationFailed.one("reason", N_("Choose whether the card was lost or damaged"))
    with db.uow() as s:
        if actor.role == BANK:
            card = _counter_card(s, actor, card_id, passport_number)
            branch, via = _counter_branch(s, actor), Via.BRANCH
            if channel not in (Channel.STANDARD, Channel.INSTANT):
                raise ValidationFailed.one("channel", N_("Choose how the card is produced"))
            if channel == Channel.INSTANT and not immediate_replacement(s, branch):
                raise ValidationFailed.one("channel",
                                           N_("This branch cannot replace cards immediately. Choose standard."))
            locale = _holder_locale(s, card, LossChannel.BRANCH)
        else:
            require_role(actor, APPLICANT)
            card = load_card(s, actor, card_id)
            branch, via, channel = issuing_branch(s, branch_id), Via.ONLINE, Channel.STANDARD
            locale = i18n.get_locale()
        refusal = domain.replacement_refusal(
            card.state, reason, replacement_applied=repo.live_replacement_for(s, card.id) is not None,
            other_open_application=repo.has_open_application(s, card.permit_number or ""))
        if refusal:
            raise NotEligible(refusal)
        permit = registry_for(s).get(card.permit_number or "")
        if permit is None:
            raise NotEligible(N_("No approved work permit is registered for you"))
        app = _create_replacement(s, actor=actor, card=card, permit=permit, reason=reason, branch=branch, via=via,
                                  channel=channel, photo_receipt=photo_receipt.strip().upper(), locale=locale)
        fee = money.format_fen(app.fee_fen, i18n.babel_locale(locale).language)
        notify_applicant(s, app, "replacement_received", fee=fee)
        s.commit()
        return app


def _create_replacement(s: Session, *, actor: Actor, card: Card, permit: PermitInfo, reason: str, branch: Branch,
                        via: str, channel: str, photo_receipt: str, locale: str) -> CardApplication:
    reference = ids.reference("SSC")
    if photo_receipt:
        photo_id: int | None = photos.use_receipt(s, receipt_number=photo_receipt, family_name=permit.family_name,
                                                  passport_number=permit.passport_number,
                                                  used_for=f"card_application:{reference}", actor=actor)
    else:
        photo_id = card.photo_id
    if photo_id is None:
        raise ValidationFailed.one("photo_receipt", N_("Enter the photo receipt number"))
    fee = card_fee_fen(s, kind=Kind.REPLACEMENT, on=clock.today(), city=branch.city_code)
    owner = accounts.account_of_permit(s, permit.permit_number)
    now = clock.now()
    app = CardApplication(
        reference=reference, permit_number=permit.permit_number, applicant_user_id=owner.id if owner else None,
        family_name=permit.family_name, given_names=permit.given_names, kind=Kind.REPLACEMENT, channel=channel,
        submitted_via=via, branch_id=branch.id, photo_id=photo_id, passport_checked=via == Via.BRANCH,
        passport_checked_by_user_id=actor.user_id if via == Via.BRANCH else None, state=domain.AppState.SUBMITTED,
        version=1, fee_fen=fee, created_at=now, updated_at=now, created_by_user_id=actor.user_id,
        notify_locale=locale, replaces_card_id=card.id, replacement_reason=reason)
    s.add(app)
    try:
        s.flush()
    except IntegrityError as exc:  # another clerk entered a replacement of the same card at the same moment
        raise ReplacementExists() from exc
    audit.record(s, actor=actor, action="card_application.submitted", target_type="card_application",
                 target_id=app.id, after={"reference": reference, "kind": app.kind, "channel": channel, "via": via,
                                          "branch_id": branch.id, "state": app.state, "fee_fen": fee,
                                          "replaces_card": card.card_number, "reason": reason})
    return app


# --- the fee, paid at the branch ---------------------------------------------------------------------------

def record_payment(db: Database, *, actor: Actor, application_id: int, amount: str, method: str) -> CardPayment:
    """The clerk of the application's branch records the fee paid at the counter (amount exactly the fee,
    method cash | card | wechat | alipay, now). A receipt reference is issued; a standard replacement
    already approved goes into production at once. One payment per application."""
    require_role(actor, BANK)
    with db.uow() as s:
        app = load_application(s, actor, application_id)
        earlier = repo.payment_for(s, app.id)
        if earlier is not None:
            raise AlreadyPaid(N_("The fee for this application was already recorded: receipt %(reference)s"),
                              reference=earlier.reference)
        if app.state in domain.DEAD_APPLICATION_STATES:
            raise RuleViolation(N_("This application was rejected or cancelled: no fee can be taken for it."))
        amount_fen = domain.parse_amount_fen(amount)
        problem = domain.payment_problem(fee_fen=app.fee_fen, amount_fen=amount_fen, method=method)
        if problem:
            raise ValidationFailed([FieldError(problem[0], problem[1],
                                               {"fee": money.format_fen(app.fee_fen, i18n.babel_locale().language)})])
        assert amount_fen is not None and actor.branch_id is not None
        payment = _add_payment(s, actor=actor, app=app, amount_fen=amount_fen, method=method)
        if can_produce(s, app):
            produce(s, app, actor=actor, seen=app.version)
        s.commit()
        return payment


def _add_payment(s: Session, *, actor: Actor, app: CardApplication, amount_fen: int, method: str) -> CardPayment:
    assert actor.branch_id is not None
    now = clock.now()
    payment = CardPayment(reference=ids.reference("PAY"), application_id=app.id, branch_id=actor.branch_id,
                          amount_fen=amount_fen, method=method, paid_at=now, paid_date=clock.today(),
                          recorded_by_user_id=actor.user_id)
    s.add(payment)
    try:
        s.flush()
    except IntegrityError as exc:  # the same fee recorded twice at the same moment
        raise AlreadyPaid() from exc
    audit.record(s, actor=actor, action="card_payment.recorded", target_type="card_application", target_id=app.id,
                 after={"receipt": payment.reference, "amount_fen": amount_fen, "method": method,
                        "paid_at": now.isoformat(), "branch_id": payment.branch_id})
    return payment


# --- the counter: find a person's cards by passport; is a card usable? ----------------------------------

@dataclass
class CounterResult:
    permit: PermitInfo
    cards: list[Card]
    replacements: dict[int, CardApplication]  # card id -> its live replacement application
    fee_fen: int
    branch: Branch
    immediate: bool  # this branch replaces cards on the spot


def find_at_counter(db: Database, *, actor: Actor, permit_number: str, passport_number: str,
                    passport_checked: bool) -> CounterResult:
    """A clerk of any issuing branch, with the passport in hand, finds the holder's cards (any branch)."""
    errors: list[FieldError] = []
    number = ids.normalise_permit_number(permit_number)
    if not number:
        errors.append(FieldError("permit_number", N_("Enter the work permit number: 6 to 32 letters and digits")))
    if not passport_number.strip():
        errors.append(FieldError("passport_number", N_("Enter the passport number")))
    if not passport_checked:
        errors.append(FieldError("passport_checked", N_("Check the original passport, then tick the box")))
    if errors:
        raise ValidationFailed(errors)
    with db.uow(write=False) as s:
        branch = _counter_branch(s, actor)
        permit = check_passport_of(s, str(number), passport_number)
        held = [c for c in repo.cards_for_person(s, permit_number=permit.permit_number)
                if c.state != domain.CardState.INVALIDATED]
        live = {c.id: r for c in held if (r := repo.live_replacement_for(s, c.id)) is not None}
        return CounterResult(permit=permit, cards=held, replacements=live,
                             fee_fen=card_fee_fen(s, kind=Kind.REPLACEMENT, on=clock.today(), city=branch.city_code),
                             branch=branch, immediate=immediate_replacement(s, branch))


@dataclass(frozen=True)
class CardCheck:
    card_number: str
    state: str
    valid: bool
    reason: str  # a message id when not valid


def card_check(s: Session, *, card_id: int | None = None, card_number: str | None = None) -> CardCheck | None:
    """Is this card valid now? For verification pages and QR checks (the e-card), inside the caller's unit
    of work. A suspended or invalidated card is never valid; None if there is no such card."""
    card = repo.card(s, card_id) if card_id is not None else repo.card_by_number(s, (card_number or "").upper())
    if card is None:
        return None
    reason = domain.unusable_reason(card.state) or (
        N_("This card has not been activated yet.") if card.state != domain.CardState.ACTIVE else None)
    return CardCheck(card_number=card.card_number, state=card.state, valid=reason is None, reason=reason or "")


def verify_card(db: Database, *, actor: Actor, card_number: str) -> CardCheck:
    """Staff check a card number presented to them."""
    require_role(actor, BANK, "agency_clerk")
    with db.uow(write=False) as s:
        check = card_check(s, card_number=card_number.strip())
        if check is None:
            raise NotFound(N_("No card with this number"))
        return check

