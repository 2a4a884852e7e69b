"""JSON routes of the physical card: eligibility, applications, decisions, branch work, cards."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query

from permitcard.auth.deps import acting, acting_any, get_db
from permitcard.cards import service, views
from permitcard.cards.models import CardApplication
from permitcard.cards.repository import QueueFilter
from permitcard.cards.schemas import (
    ApplicationIn,
    ApplicationList,
    ApplicationOut,
    CancelIn,
    CardOut,
    DecisionIn,
    EligibilityOut,
    PassportIn,
    ResubmitIn,
    VersionIn,
)
from permitcard.db import Database
from permitcard.shared import i18n
from permitcard.shared.audit import Actor
from permitcard.shared.openapi import AFTER_DOC, BEFORE_DOC, PageMeta, errors

router = APIRouter(prefix="/api/v1", tags=["cards"])

READ = ("card.read_own", "card.read_all", "card.read_branch")


def _out(app: CardApplication, *, waiting: str | None = None, card_id: int | None = None) -> ApplicationOut:
    data = {k: getattr(app, k) for k in ApplicationOut.model_fields if k not in ("waiting", "card_id")}
    return ApplicationOut(**data, waiting=i18n.gettext(waiting) if waiting else None, card_id=card_id)


def _detail(db: Database, actor: Actor, application_id: int) -> ApplicationOut:
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


@router.post("/card-applications", response_model=ApplicationOut, status_code=201,
             responses=errors(401, 403, 404, 422))
def create_application(body: ApplicationIn,
                       db: Database = Depends(get_db),
                       actor: Actor = Depends(acting_any("card.apply_online", "card.apply_at_branch"))
                       ) -> ApplicationOut:
    """Applicants apply online (branch, photo receipt, passport); bank clerks enter a paper form."""
    if actor.role == service.BANK:
        app = service.apply_at_branch(db, actor=actor, permit_number=body.permit_number,
                                      family_name=body.family_name, given_names=body.given_names,
                                      passport_number=body.passport_number, passport_checked=body.passport_checked,
                                      photo_receipt=body.photo_receipt, channel=body.channel)
    else:
        app = service.apply_online(db, actor=actor, branch_id=body.branch_id, photo_receipt=body.photo_receipt,
                                   passport_number=body.passport_number)
    return _out(app)


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
    return ApplicationList(items=[_out(a) for a in result.items], **PageMeta.fields_of(result))


@router.get("/card-applications/{application_id}", response_model=ApplicationOut, responses=errors(401, 403, 404))
def get_application(application_id: int, db: Database = Depends(get_db),
                    actor: Actor = Depends(acting_any(*READ))) -> ApplicationOut:
    return _detail(db, actor, application_id)


@router.post("/card-applications/{application_id}/decision", response_model=ApplicationOut,
             responses=errors(401, 403, 404, 409, 422))
def decide(application_id: int, body: DecisionIn, db: Database = Depends(get_db),
           actor: Actor = Depends(acting("card.decide"))) -> ApplicationOut:
    """Approve (records the promised date; production starts when the SSN exists), reject or return."""
    service.decide(db, actor=actor, application_id=application_id, **body.model_dump())
    return _detail(db, actor, application_id)


@router.post("/card-applications/{application_id}/resubmit", response_model=ApplicationOut,
             responses=errors(401, 403, 404, 409, 422))
def resubmit(application_id: int, body: ResubmitIn, db: Database = Depends(get_db),
             actor: Actor = Depends(acting_any("card.apply_online", "card.apply_at_branch"))) -> ApplicationOut:
    service.resubmit(db, actor=actor, application_id=application_id, **body.model_dump())
    return _detail(db, actor, application_id)


@router.post("/card-applications/{application_id}/cancel", response_model=ApplicationOut,
             responses=errors(401, 403, 404, 409, 422))
def cancel(application_id: int, body: CancelIn, db: Database = Depends(get_db),
           actor: Actor = Depends(acting_any("card.apply_online", "card.apply_at_branch", "card.decide"))
           ) -> ApplicationOut:
    service.cancel(db, actor=actor, application_id=application_id, **body.model_dump())
    return _detail(db, actor, application_id)


@router.post("/card-applications/{application_id}/start-production", response_model=ApplicationOut,
             responses=errors(401, 403, 404, 409, 422))
def start_production(application_id: int, body: VersionIn, db: Database = Depends(get_db),
                     actor: Actor = Depends(acting("card.decide"))) -> ApplicationOut:
    service.start_production(db, actor=actor, application_id=application_id,
                             version=body.version)
    return _detail(db, actor, application_id)


@router.post("/card-applications/{application_id}/confirm-receipt", response_model=ApplicationOut,
             responses=errors(401, 403, 404, 409, 422))
def confirm_receipt(application_id: int, body: VersionIn, db: Database = Depends(get_db),
                    actor: Actor = Depends(acting("card.branch_work"))) -> ApplicationOut:
    """The branch received the produced card: ready for collection (the applicant is told)."""
    service.confirm_receipt(db, actor=actor, application_id=application_id,
                            version=body.version)
    return _detail(db, actor, application_id)


@router.post("/card-applications/{application_id}/produce-instant", response_model=ApplicationOut,
             responses=errors(401, 403, 404, 409, 422))
def produce_instant(application_id: int, body: VersionIn, db: Database = Depends(get_db),
                    actor: Actor = Depends(acting("card.branch_work"))) -> ApplicationOut:
    """Instant channel: approve, produce and ready the card in one action at the branch."""
    service.produce_instant(db, actor=actor, application_id=application_id,
                            version=body.version)
    return _detail(db, actor, application_id)


@router.post("/card-applications/{application_id}/hand-over", response_model=ApplicationOut,
             responses=errors(401, 403, 404, 409, 422))
def hand_over(application_id: int, body: PassportIn, db: Database = Depends(get_db),
              actor: Actor = Depends(acting("card.branch_work"))) -> ApplicationOut:
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
