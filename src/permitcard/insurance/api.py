"""JSON: register for social insurance, read registrations (tag "insurance")."""

from __future__ import annotations

from typing import Literal

from fastapi import Depends, Path, Query, Response

from permitcard.auth.deps import acting_any, get_db
from permitcard.db import Database
from permitcard.insurance import service, views
from permitcard.insurance.errors import RegistrationRefused
from permitcard.insurance.schemas import RegistrationIn, RegistrationList, RegistrationOut
from permitcard.shared.audit import Actor
from permitcard.shared.openapi import AFTER_DOC, BEFORE_DOC, PageMeta, answer, errors
from permitcard.shared.routes import Routes

router = Routes(prefix="/api/v1", tags=["insurance"])

_REGISTER = ("insurance.register_employee", "insurance.register_self", "insurance.register_any")
_READ = ("insurance.read_employer", "insurance.read_own", "insurance.read_all")


def _out(v: views.RegistrationView, *, already: bool = False) -> RegistrationOut:
    return RegistrationOut(id=v.id, reference=v.reference, state=v.state, channel=v.channel,
                           credential=v.credential, permit_number=v.permit_number, family_name=v.family_name,
                           given_names=v.given_names, ssn=v.ssn, refusal_reason=v.refusal_reason,
                           refusal_message=v.refusal_message, created_at=v.created_at, decided_at=v.decided_at,
                           already_registered=already)


@router.post("/insurance-registrations", response_model=RegistrationOut, status_code=201,
             responses=errors(401, 403, 422))
def register(body: RegistrationIn, db: Database = Depends(get_db),
             actor: Actor = Depends(acting_any(*_REGISTER))) -> Response:
    """Register a foreign national for social insurance (employer: own employees; applicant: themself;
    agency clerk: anyone). The permit is verified with the registry; if eligible an SSN is assigned at
    once. A refused registration is saved and answered with 422, `code` `registration_refused` and the
    reason. Registering a person again returns the same SSN (200)."""
    result = service.register(db, actor=actor, **body.model_dump())
    if result.state == "refused":
        raise RegistrationRefused(result.refusal_message or "", reason=result.refusal_reason or "unknown",
                                  reference=result.reference, registration_id=result.id)
    return answer(_out(views.view_of_result(result, actor), already=result.already_registered),
                  status_code=200 if result.already_registered else 201)


@router.get("/insurance-registrations", response_model=RegistrationList, responses=errors(401, 403, 422))
def registrations(
    db: Database = Depends(get_db), actor: Actor = Depends(acting_any(*_READ)),
    state: Literal["submitted", "registered", "refused"] | None = None,
    channel: Literal["employer", "individual", "agency"] | None = None,
    q: str = Query(default="", max_length=100, description="Reference, permit or notice number, name or SSN"),
    sort: Literal["newest", "oldest", "name", "state"] = "newest",
    page: int = Query(default=1, ge=1, le=100000), per_page: int = Query(default=25, ge=1, le=200),
    after: str | None = Query(default=None, max_length=500, description=AFTER_DOC),
    before: str | None = Query(default=None, max_length=500, description=BEFORE_DOC),
) -> RegistrationList:
    """Registrations this reader may see: the employer's own, the applicant's own, or all (agency, auditor).
    Page through with `next_after` / `prev_before` (keyset); `page` (OFFSET) still works."""
    result = views.list_registrations(db, actor=actor, state=state, channel=channel,
                                        q=q, sort=sort, page=page, per_page=per_page, after=after, before=before)
    return RegistrationList(items=[_out(v) for v in result.items], **PageMeta.fields_of(result))


@router.get("/insurance-registrations/{registration_id}", response_model=RegistrationOut,
            responses=errors(401, 403, 404))
def registration(db: Database = Depends(get_db),
                 actor: Actor = Depends(acting_any(*_READ)),
                 registration_id: int = Path(ge=1, le=2**31 - 1)) -> RegistrationOut:
    return _out(views.get_registration(db, actor=actor, registration_id=registration_id))
