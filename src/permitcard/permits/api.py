"""JSON: permit applications, officer decisions, permits, notices and registry verification."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Query, Request

from permitcard.auth.deps import client_ip, get_db, require, require_any
from permitcard.auth.domain import Role
from permitcard.auth.service import CurrentUser
from permitcard.db import Database
from permitcard.permits import service, views
from permitcard.permits.schemas import (
    ApplicationIn,
    ApplicationListOut,
    ApplicationOut,
    DecisionIn,
    NoticeOut,
    PermitOut,
    ResubmitIn,
    VerifiedPermit,
    VerifyIn,
    VerifyOut,
    WithdrawIn,
)
from permitcard.shared import i18n
from permitcard.shared.openapi import errors
from permitcard.shared.registry import PermitInfo, RegistryRefusal

router = APIRouter(prefix="/api/v1", tags=["permits"])

_read = require_any("permit.read_employer", "permit.read_all")
StateFilter = Literal["submitted", "returned", "resubmitted", "approved", "rejected", "cancelled"]


def _out(request: Request, user: CurrentUser, view: service.ApplicationView) -> ApplicationOut:
    actor = user.actor(client_ip(request))
    return ApplicationOut.of(view, full_passport=service.can_see_passport(actor, view.employer_id))


def _holder_or_owner(user: CurrentUser, info: PermitInfo, employer_owner: bool) -> bool:
    return (user.role == Role.PERMIT_OFFICER or employer_owner
            or (user.role == Role.APPLICANT and user.permit_number == info.permit_number))


@router.post("/permit-applications", response_model=ApplicationOut, status_code=201,
             responses=errors(401, 403, 422))
def file_application(body: ApplicationIn, request: Request, db: Database = Depends(get_db),
                     user: CurrentUser = Depends(require("permit.apply"))) -> ApplicationOut:
    """An employer files a new work permit application for a foreign employee."""
    view = service.file_application(db, actor=user.actor(client_ip(request)), data=body.model_dump())
    return _out(request, user, view)


@router.get("/permit-applications", response_model=ApplicationListOut, responses=errors(401, 403, 422))
def list_applications(
    request: Request, state: list[StateFilter] = Query(default=[]), q: str = Query(default="", max_length=100),
    sort: Literal["newest", "oldest", "name", "state"] = "newest", page: int = Query(default=1, ge=1, le=10_000),
    per_page: int = Query(default=25, ge=1, le=100), db: Database = Depends(get_db),
    user: CurrentUser = Depends(_read),
) -> ApplicationListOut:
    """Employers see their own applications; officers and auditors see all."""
    result = views.list_applications(db, actor=user.actor(client_ip(request)), states=tuple(state), q=q,
                                       sort=sort, page=page, per_page=per_page)
    return ApplicationListOut.of(result, [_out(request, user, v) for v in result.items])


@router.get("/permit-applications/{application_id}", response_model=ApplicationOut,
            responses=errors(401, 403, 404))
def get_application(application_id: int, request: Request, db: Database = Depends(get_db),
                    user: CurrentUser = Depends(_read)) -> ApplicationOut:
    view = views.get_application(db, actor=user.actor(client_ip(request)), application_id=application_id)
    return _out(request, user, view)


@router.post("/permit-applications/{application_id}/resubmit", response_model=ApplicationOut,
             responses=errors(401, 403, 404, 409, 422))
def resubmit(application_id: int, body: ResubmitIn, request: Request, db: Database = Depends(get_db),
             user: CurrentUser = Depends(require("permit.apply"))) -> ApplicationOut:
    """Send a returned application again, corrected."""
    data = body.model_dump(exclude={"version"})
    view = service.resubmit(db, actor=user.actor(client_ip(request)), application_id=application_id,
                            version=body.version, data=data)
    return _out(request, user, view)


@router.post("/permit-applications/{application_id}/withdraw", response_model=ApplicationOut,
             responses=errors(401, 403, 404, 409, 422))
def withdraw(application_id: int, body: WithdrawIn, request: Request, db: Database = Depends(get_db),
             user: CurrentUser = Depends(require("permit.apply"))) -> ApplicationOut:
    view = service.withdraw(db, actor=user.actor(client_ip(request)), application_id=application_id,
                            version=body.version)
    return _out(request, user, view)


@router.post("/permit-applications/{application_id}/decision", response_model=ApplicationOut,
             responses=errors(401, 403, 404, 409, 422))
def decide(application_id: int, body: DecisionIn, request: Request, db: Database = Depends(get_db),
           user: CurrentUser = Depends(require("permit.decide"))) -> ApplicationOut:
    """Approve (issues the permit and the notice), reject with a reason, or return with what to fix.
    A stale `version` (someone decided first) is 409."""
    view = service.decide(db, actor=user.actor(client_ip(request)), application_id=application_id,
                          version=body.version, action=body.action, reason=body.reason)
    return _out(request, user, view)


@router.get("/permits/{permit_number}", response_model=PermitOut, responses=errors(401, 404))
def get_permit(permit_number: str, request: Request, db: Database = Depends(get_db),
               user: CurrentUser = Depends(require())) -> PermitOut:
    """A permit as it is now: for its employer, its holder, officers, agency clerks and auditors."""
    info = views.get_permit(db, actor=user.actor(client_ip(request)), permit_number=permit_number[:64])
    # The service answers an employer only about its own permits.
    return PermitOut.of(info, full_passport=_holder_or_owner(user, info, user.role == Role.EMPLOYER))


@router.get("/notices/{notice_number}", response_model=NoticeOut, responses=errors(401, 404))
def get_notice(notice_number: str, request: Request, db: Database = Depends(get_db),
               user: CurrentUser = Depends(require())) -> NoticeOut:
    """The Foreign Work Permit Notice's data and its signed verification address."""
    notice = views.get_notice(db, actor=user.actor(client_ip(request)), notice_number=notice_number[:64])
    permit = PermitOut.of(notice.info, full_passport=_holder_or_owner(user, notice.info, user.role == Role.EMPLOYER))
    return NoticeOut(**permit.model_dump(), issued_at=notice.issued_at, verify_url=notice.verify_url)


@router.post("/registry/verify", response_model=VerifyOut, responses=errors(401, 403, 422))
def verify(body: VerifyIn, request: Request, db: Database = Depends(get_db),
           user: CurrentUser = Depends(require("permit.verify"))) -> VerifyOut:
    """Is permit N valid for this person (name and passport)? A refusal says why in `reason`."""
    try:
        info = views.verify_permit(db, actor=user.actor(client_ip(request)), **body.model_dump())
    except RegistryRefusal as exc:
        return VerifyOut(confirmed=False, reason=exc.reason,  # type: ignore[arg-type]
                         message=i18n.translate(exc.message, exc.params))
    permit = VerifiedPermit(**{k: getattr(info, k) for k in VerifiedPermit.model_fields})
    return VerifyOut(confirmed=True, permit=permit)
