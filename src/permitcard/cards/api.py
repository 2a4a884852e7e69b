"""JSON routes of the physical card: eligibility, applications, decisions, branch work, cards."""

from __future__ import annotations

from datetime import date

from fastapi import Depends, Query

from permitcard.auth.deps import acting, acting_any, get_db
from permitcard.cards import fee_report, mine, service, views
from permitcard.cards.domain import STATE_LABELS
from permitcard.cards.models import Card, CardApplication, CardPayment
from permitcard.cards.repository import QueueFilter
from permitcard.cards.schemas import (
    ApplicationList,
    CancelIn,
    CardApplicationIn,
    CardApplicationOut,
    CardCheckIn,
    CardCheckOut,
    CardDecisionIn,
    CardOut,
    CardResubmitIn,
    CardStateOut,
    CounterIn,
    CounterOut,
    EligibilityOut,
    FeeReportOut,
    HeldCardOut,
    LossIn,
    MyCardOut,
    OpenApplicationOut,
    PassportIn,
    PaymentIn,
    PaymentOut,
    ReplacementIn,
    VersionIn,
)
from permitcard.db import Database
from permitcard.shared import i18n
from permitcard.shared.audit import Actor
from permitcard.shared.errors import N_, NotFound
from permitcard.shared.openapi import AFTER_DOC, BEFORE_DOC, PageMeta, errors
from permitcard.shared.routes import Routes

router = Routes(prefix="/api/v1", tags=["cards"])

READ = ("card.read_own", "card.read_all", "card.read_branch")


def _out(app: CardApplication, *, card_id: int | None, waiting: str | None = None) -> CardApplicationOut:
    """An application as the API shows it. ``card_id`` has no default: every caller says which card the
    application produced (a list gets them for its page in one query), so no list can leave it empty."""
    data = {k: getattr(app, k) for k in CardApplicationOut.model_fields if k not in ("waiting", "card_id")}
    return CardApplicationOut(**data, waiting=i18n.gettext(waiting) if waiting else None, card_id=card_id)


def _detail(db: Database, actor: Actor, application_id: int) -> CardApplicationOut:
    d = views.application_detail(db, actor=actor, application_id=application_id)
    return _out(d.app, waiting=d.waiting, card_id=d.card.id if d.card else None)


@router.get("/me/card-eligibility", response_model=EligibilityOut, responses=errors(401, 403))
def my_eligibility(db: Database = Depends(get_db),
                   actor: Actor = Depends(acting("card.apply_online"))) -> EligibilityOut:
    """May I apply for a card, and is it a first application or an upgrade (and what does it cost)?"""
    permit, e = views.eligibility(db, actor=actor)
    return EligibilityOut(eligible=e.eligible, kind=e.kind, fee_fen=e.fee_fen,
                          reason=i18n.gettext(e.reason) if e.reason else "",
                          permit_number=permit.permit_number if permit else None,
                          permit_status=permit.status if permit else None)


@router.get("/me/card", response_model=MyCardOut, responses=errors(401, 403, 404))
def my_card(db: Database = Depends(get_db), actor: Actor = Depends(acting("card.read_own"))) -> MyCardOut:
    """My card: its state, masked numbers and the work permit information on it, and my application in
    progress (with its promised date). 404 until a work permit is linked to the account."""
    held = mine.held_card(db, actor=actor)
    card, app = held.card, held.application
    return MyCardOut(
        card=HeldCardOut(
            id=card.id, card_number=card.card_number, state=card.state,
            state_label=i18n.gettext(STATE_LABELS[card.state]), version=card.version, family_name=card.family_name,
            given_names=card.given_names, chinese_name=card.chinese_name, ssn_masked=held.ssn_masked,
            bank_account_masked=held.bank_account_masked, branch_id=card.branch_id,
            branch_name=held.branch.name if held.branch else "", produced_at=card.produced_at,
            issued_at=card.issued_at, activated_at=card.activated_at, suspended_at=card.suspended_at,
            permit=views.as_dict_permit(card)) if card else None,
        application=OpenApplicationOut(
            id=app.id, reference=app.reference, kind=app.kind, state=app.state,
            state_label=i18n.gettext(STATE_LABELS[app.state]), promised_date=app.promised_date,
            promised_calendar_year=app.promised_calendar_year) if app else None)


@router.post("/card-applications", response_model=CardApplicationOut, status_code=201,
             responses=errors(401, 403, 404, 422))
def create_application(body: CardApplicationIn,
                       db: Database = Depends(get_db),
                       actor: Actor = Depends(acting_any("card.apply_online", "card.apply_at_branch"))
                       ) -> CardApplicationOut:
    """Applicants apply online (branch, photo receipt, passport); bank clerks enter a paper form."""
    if actor.role == service.BANK:
        app = service.apply_at_branch(db, actor=actor, permit_number=body.permit_number,
                                      family_name=body.family_name, given_names=body.given_names,
                                      passport_number=body.passport_number, passport_checked=body.passport_checked,
                                      photo_receipt=body.photo_receipt, channel=body.channel)
    else:
        app = service.apply_online(db, actor=actor, branch_id=body.branch_id, photo_receipt=body.photo_receipt,
                                   passport_number=body.passport_number, channel=body.channel)
    return _out(app, card_id=None)  # just filed: no card yet


@router.get("/card-applications", response_model=ApplicationList, responses=errors(401, 403))
def list_applications(db: Database = Depends(get_db),
                      actor: Actor = Depends(acting_any(*READ)),
                      state: str = "", channel: str = "", branch_id: int | None = None,
                      q: str = Query("", max_length=100), sort: str = "-created",
                      page: int = Query(1, ge=1), per_page: int = Query(25, ge=1, le=200),
                      after: str | None = Query(None, max_length=500, description=AFTER_DOC),
                      before: str | None = Query(None, max_length=500, description=BEFORE_DOC)) -> ApplicationList:
    """Applications this user may see (own, own branch, or all), filtered, searched, sorted, paged.
    Page through with `next_after` / `prev_before` (keyset); `page` (OFFSET) still works."""
    result = views.queue(db, actor=actor,
                         f=QueueFilter(state=state, channel=channel, branch_id=branch_id, q=q),
                         sort=sort, page=page, per_page=per_page, after=after, before=before)
    return ApplicationList(items=[_out(a, card_id=result.card_ids.get(a.id)) for a in result.items],
                           **PageMeta.fields_of(result))


@router.get("/card-applications/{application_id}", response_model=CardApplicationOut, responses=errors(401, 403, 404))
def get_application(application_id: int, db: Database = Depends(get_db),
                    actor: Actor = Depends(acting_any(*READ))) -> CardApplicationOut:
    return _detail(db, actor, application_id)


@router.post("/card-applications/{application_id}/decision", response_model=CardApplicationOut,
             responses=errors(401, 403, 404, 409, 422))
def decide(application_id: int, body: CardDecisionIn, db: Database = Depends(get_db),
           actor: Actor = Depends(acting("card.decide"))) -> CardApplicationOut:
    """Approve (records the promised date; production starts when the SSN exists), reject or return."""
    service.decide(db, actor=actor, application_id=application_id, **body.model_dump())
    return _detail(db, actor, application_id)


@router.post("/card-applications/{application_id}/resubmit", response_model=CardApplicationOut,
             responses=errors(401, 403, 404, 409, 422))
def resubmit(application_id: int, body: CardResubmitIn, db: Database = Depends(get_db),
             actor: Actor = Depends(acting_any("card.apply_online", "card.apply_at_branch"))) -> CardApplicationOut:
    service.resubmit(db, actor=actor, application_id=application_id, **body.model_dump())
    return _detail(db, actor, application_id)


@router.post("/card-applications/{application_id}/cancel", response_model=CardApplicationOut,
             responses=errors(401, 403, 404, 409, 422))
def cancel(application_id: int, body: CancelIn, db: Database = Depends(get_db),
           actor: Actor = Depends(acting_any("card.apply_online", "card.apply_at_branch", "card.decide"))
           ) -> CardApplicationOut:
    service.cancel(db, actor=actor, application_id=application_id, **body.model_dump())
    return _detail(db, actor, application_id)


@router.post("/card-applications/{application_id}/start-production", response_model=CardApplicationOut,
             responses=errors(401, 403, 404, 409, 422))
def start_production(application_id: int, body: VersionIn, db: Database = Depends(get_db),
                     actor: Actor = Depends(acting("card.decide"))) -> CardApplicationOut:
    service.start_production(db, actor=actor, application_id=application_id,
                             version=body.version)
    return _detail(db, actor, application_id)


@router.post("/card-applications/{application_id}/confirm-receipt", response_model=CardApplicationOut,
             responses=errors(401, 403, 404, 409, 422))
def confirm_receipt(application_id: int, body: VersionIn, db: Database = Depends(get_db),
                    actor: Actor = Depends(acting("card.branch_work"))) -> CardApplicationOut:
    """The branch received the produced card: ready for collection (the applicant is told)."""
    service.confirm_receipt(db, actor=actor, application_id=application_id,
                            version=body.version)
    return _detail(db, actor, application_id)


@router.post("/card-applications/{application_id}/produce-instant", response_model=CardApplicationOut,
             responses=errors(401, 403, 404, 409, 422))
def produce_instant(application_id: int, body: VersionIn, db: Database = Depends(get_db),
                    actor: Actor = Depends(acting("card.branch_work"))) -> CardApplicationOut:
    """Instant channel: approve, produce and ready the card in one action at the branch."""
    service.produce_instant(db, actor=actor, application_id=application_id,
                            version=body.version)
    return _detail(db, actor, application_id)


@router.post("/card-applications/{application_id}/hand-over", response_model=CardApplicationOut,
             responses=errors(401, 403, 404, 409, 422))
def hand_over(application_id: int, body: PassportIn, db: Database = Depends(get_db),
              actor: Actor = Depends(acting("card.branch_work"))) -> CardApplicationOut:
    """Hand the card over; the passport must match the registry record."""
    service.hand_over(db, actor=actor, application_id=application_id,
                      **body.model_dump())
    return _detail(db, actor, application_id)


@router.get("/cards/{card_id}", response_model=CardOut, responses=errors(401, 403, 404))
def get_card(card_id: int, db: Database = Depends(get_db),
             actor: Actor = Depends(acting_any(*READ))) -> CardOut:
    """The card with the work permit information it carries."""
    return CardOut(**views.as_dict(views.card_detail(db, actor=actor, card_id=card_id)))


@router.post("/cards/{card_id}/activate", response_model=CardOut, responses=errors(401, 403, 404, 409, 422))
def activate(card_id: int, body: PassportIn, db: Database = Depends(get_db),
             actor: Actor = Depends(acting("card.branch_work"))) -> CardOut:
    """Activate an issued card at the issuing branch; the passport must match the record."""
    service.activate(db, actor=actor, card_id=card_id, **body.model_dump())
    return CardOut(**views.as_dict(views.card_detail(db, actor=actor, card_id=card_id)))



# --- loss, restore, replacement, the fee ----------------------------------------------------------------

def _state(card: Card) -> CardStateOut:
    return CardStateOut(id=card.id, card_number=card.card_number, state=card.state, version=card.version,
                        suspended_at=card.suspended_at, loss_reported_via=card.loss_reported_via)


def _payment(p: CardPayment) -> PaymentOut:
    return PaymentOut(reference=p.reference, application_id=p.application_id, amount_fen=p.amount_fen,
                      method=p.method, paid_at=p.paid_at, branch_id=p.branch_id)


def _channel(actor: Actor) -> str:
    return "branch" if actor.role == service.BANK else "online"


@router.post("/cards/{card_id}/report-loss", response_model=CardStateOut, responses=errors(401, 403, 404, 409, 422))
def report_loss(card_id: int, body: LossIn, db: Database = Depends(get_db),
                actor: Actor = Depends(acting("card.report_loss"))) -> CardStateOut:
    """Report a card lost: it is suspended at once and the holder is told. The holder reports their own
    card; a bank clerk of any issuing branch sends the passport number shown at the counter."""
    card = service.report_loss(db, actor=actor, card_id=card_id, version=body.version,
                               channel=_channel(actor), passport_number=body.passport_number)
    return _state(card)


@router.post("/cards/{card_id}/restore", response_model=CardStateOut, responses=errors(401, 403, 404, 409, 422))
def restore(card_id: int, body: LossIn, db: Database = Depends(get_db),
            actor: Actor = Depends(acting("card.report_loss"))) -> CardStateOut:
    """A suspended card found again is active again, only while no replacement has been applied for."""
    card = service.restore(db, actor=actor, card_id=card_id, version=body.version,
                           channel=_channel(actor), passport_number=body.passport_number)
    return _state(card)


@router.post("/cards/{card_id}/replacement", response_model=CardApplicationOut, status_code=201,
             responses=errors(401, 403, 404, 409, 422))
def apply_replacement(card_id: int, body: ReplacementIn, db: Database = Depends(get_db),
                      actor: Actor = Depends(acting("card.report_loss"))) -> CardApplicationOut:
    """Apply for a replacement of a lost (reported) or damaged card; its fee is in ``fee_fen``, paid at
    the branch before the card is produced."""
    app = service.apply_replacement(db, actor=actor, card_id=card_id, **body.model_dump())
    return _out(app, card_id=None)  # just filed: no card yet


@router.post("/card-applications/{application_id}/payment", response_model=PaymentOut, status_code=201,
             responses=errors(401, 403, 404, 409, 422))
def record_payment(application_id: int, body: PaymentIn, db: Database = Depends(get_db),
                   actor: Actor = Depends(acting("card.collect_fee"))) -> PaymentOut:
    """The clerk records the fee paid at the counter (exactly the fee); the receipt reference comes back."""
    return _payment(service.record_payment(db, actor=actor, application_id=application_id,
                                           amount=body.amount, method=body.method))


@router.get("/card-applications/{application_id}/payment", response_model=PaymentOut,
            responses=errors(401, 403, 404))
def get_payment(application_id: int, db: Database = Depends(get_db),
                actor: Actor = Depends(acting_any(*READ))) -> PaymentOut:
    d = views.application_detail(db, actor=actor, application_id=application_id)
    if d.payment is None:
        raise NotFound(N_("No fee has been paid for this application"))
    return _payment(d.payment)


@router.post("/card-lookups", response_model=CounterOut, responses=errors(401, 403, 404, 422))
def counter_lookup(body: CounterIn, db: Database = Depends(get_db),
                   actor: Actor = Depends(acting("card.report_loss"))) -> CounterOut:
    """At the counter of any issuing branch: the holder's cards, found by permit number and the passport."""
    found = service.find_at_counter(db, actor=actor, **body.model_dump())
    return CounterOut(permit_number=found.permit.permit_number, cards=[_state(c) for c in found.cards],
                      replacement_fee_fen=found.fee_fen)


@router.post("/card-checks", response_model=CardCheckOut, responses=errors(401, 403, 404, 422))
def card_check(body: CardCheckIn, db: Database = Depends(get_db),
               actor: Actor = Depends(acting("permit.verify"))) -> CardCheckOut:
    """Is this card valid now? A suspended or invalidated card never is (the reason says why)."""
    check = service.verify_card(db, actor=actor, card_number=body.card_number)
    return CardCheckOut(card_number=check.card_number, state=check.state, valid=check.valid,
                        reason=i18n.gettext(check.reason) if check.reason else "")


@router.get("/branch/fee-report", response_model=FeeReportOut, responses=errors(401, 403, 422))
def branch_fee_report(day: date, db: Database = Depends(get_db),
                      actor: Actor = Depends(acting("card.collect_fee"))) -> FeeReportOut:
    """The clerk's branch on ``day``: fees paid, replacement cards handed over, totals per method."""
    r = fee_report.fee_report(db, actor=actor, day=day)
    return FeeReportOut(branch_id=r.branch.id, day=r.day, payments=[_payment(p) for p, _ in r.payments],
                        replacement_card_ids=[c.id for _, c in r.replacements], by_method_fen=r.by_method,
                        total_fen=r.total_fen)
