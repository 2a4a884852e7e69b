"""JSON: permit applications, officer decisions, permits, notices and registry verification."""

from __future__ import annotations

from typing import Literal

from fastapi import Depends, Query

from permitcard.auth.deps import acting, acting_any, get_db
from permitcard.db import Database
from permitcard.permits import change_api, service, views
from permitcard.permits.schemas import (
    ApplicationListOut,
    NoticeOut,
    PermitApplicationIn,
    PermitApplicationOut,
    PermitDecisionIn,
    PermitOut,
    PermitResubmitIn,
    VerifiedPermit,
    VerifyIn,
    VerifyOut,
    WithdrawIn,
)
from permitcard.shared import i18n
from permitcard.shared.audit import Actor
from permitcard.shared.openapi import AFTER_DOC, BEFORE_DOC, errors
from permitcard.shared.registry import RegistryRefusal
from permitcard.shared.routes import Routes

router = Routes(prefix="/api/v1", tags=["permits"])

_read = acting_any("permit.read_employer", "permit.read_all")
StateFilter = Literal["submitted", "returned", "resubmitted", "approved", "rejected", "cancelled"]


def _out(actor: Actor, view: service.ApplicationView) -> PermitApplicationOut:
    return PermitApplicationOut.of(view, full_passport=service.can_see_passport(actor, view.employer_id))


@router.post("/permit-applications", response_model=PermitApplicationOut, status_code=201,
             responses=errors(401, 403, 422))
def file_application(body: PermitApplicationIn, db: Database = Depends(get_db),
                     actor: Actor = Depends(acting("permit.apply"))) -> PermitApplicationOut:
    """An employer files a new work permit application for a foreign employee."""
    view = service.file_application(db, actor=actor, data=body.model_dump())
    return _out(actor, view)


@router.get("/permit-applications", response_model=ApplicationListOut, responses=errors(401, 403, 422))
def list_applications(
    state: list[StateFilter] = Query(default=[]), q: str = Query(default="", max_length=100),
    sort: Literal["newest", "oldest", "name", "state"] = "newest", page: int = Query(default=1, ge=1, le=10_000),
    per_page: int = Query(default=25, ge=1, le=100), after: str | None = Query(default=None, max_length=500,
                                                                               description=AFTER_DOC),
    before: str | None = Query(default=None, max_length=500, description=BEFORE_DOC),
    db: Database = Depends(get_db), actor: Actor = Depends(_read),
) -> ApplicationListOut:
    """Employers see their own applications; officers and auditors see all.

    Page through with ``next_after`` / ``prev_before`` (keyset: as fast on page 1000 as on page 1);
    ``page`` (OFFSET) still works for short lists."""
    result = views.list_applications(db, actor=actor, states=tuple(state), q=q,
                                       sort=sort, page=page, per_page=per_page, after=after, before=before)
    return ApplicationListOut.of(result, [_out(actor, v) for v in result.items])


@router.get("/permit-applications/{application_id}", response_model=PermitApplicationOut,
            responses=errors(401, 403, 404))
def get_application(application_id: int, db: Database = Depends(get_db),
                    actor: Actor = Depends(_read)) -> PermitApplicationOut:
    view = views.get_application(db, actor=actor, application_id=application_id)
    return _out(actor, view)


@router.post("/permit-applications/{application_id}/resubmit", response_model=PermitApplicationOut,
             responses=errors(401, 403, 404, 409, 422))
def resubmit(application_id: int, body: PermitResubmitIn, db: Database = Depends(get_db),
             actor: Actor = Depends(acting("permit.apply"))) -> PermitApplicationOut:
    """Send a returned application again, corrected."""
    data = body.model_dump(exclude={"version"})
    view = service.resubmit(db, actor=actor, application_id=application_id,
                            version=body.version, data=data)
    return _out(actor, view)


@router.post("/permit-applications/{application_id}/withdraw", response_model=PermitApplicationOut,
             responses=errors(401, 403, 404, 409, 422))
def withdraw(application_id: int, body: WithdrawIn, db: Database = Depends(get_db),
             actor: Actor = Depends(acting("permit.apply"))) -> PermitApplicationOut:
    view = service.withdraw(db, actor=actor, application_id=application_id,
                            version=body.version)
    return _out(actor, view)


@router.post("/permit-applications/{application_id}/decision", response_model=PermitApplicationOut,
             responses=errors(401, 403, 404, 409, 422))
def decide(application_id: int, body: PermitDecisionIn, db: Database = Depends(get_db),
           actor: Actor = Depends(acting("permit.decide"))) -> PermitApplicationOut:
    """Approve (issues the permit and the notice), reject with a reason, or return with what to fix.
    A stale `version` (someone decided first) is 409."""
    view = service.decide(db, actor=actor, application_id=application_id,
                          version=body.version, action=body.action, reason=body.reason)
    return _out(actor, view)


@router.get("/permits/{permit_number}", response_model=PermitOut, responses=errors(401, 404))
def get_permit(permit_number: str, db: Database = Depends(get_db),
               actor: Actor = Depends(acting())) -> PermitOut:
    """A permit as it is now: for its employer, its holder, officers, agency clerks and auditors."""
    info = views.get_permit(db, actor=actor, permit_number=permit_number[:64])
    return PermitOut.of(info, full_passport=views.shows_full_passport(actor, info))


@router.get("/notices/{notice_number}", response_model=NoticeOut, responses=errors(401, 404))
def get_notice(notice_number: str, db: Database = Depends(get_db),
               actor: Actor = Depends(acting())) -> NoticeOut:
    """The Foreign Work Permit Notice's data and its signed verification address."""
    notice = views.get_notice(db, actor=actor, notice_number=notice_number[:64])
    permit = PermitOut.of(notice.info, full_passport=views.shows_full_passport(actor, notice.info))
    return NoticeOut(**permit.model_dump(), issued_at=notice.issued_at, verify_url=notice.verify_url)


@router.post("/registry/verify", response_model=VerifyOut, responses=errors(401, 403, 422))
def verify(body: VerifyIn, db: Database = Depends(get_db),
           actor: Actor = Depends(acting("permit.verify"))) -> VerifyOut:
    """Is permit N valid for this person (name and passport)? A refusal says why in `reason`."""
    try:
        info = views.verify_permit(db, actor=actor, **body.model_dump())
    except RegistryRefusal as exc:
        return VerifyOut(confirmed=False, reason=exc.reason,  # type: ignore[arg-type]
                         message=i18n.translate(exc.message, exc.params))
    permit = VerifiedPermit(**{k: getattr(info, k) for k in VerifiedPermit.model_fields})
    return VerifyOut(confirmed=True, permit=permit)


router.include(change_api.router)
