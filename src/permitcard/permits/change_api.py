"""JSON: an employer's changes to its permits (decided through /permit-applications/{id}/decision like
new applications) and a permit's history."""

from __future__ import annotations

from typing import Any

from fastapi import Depends
from pydantic import BaseModel

from permitcard.auth.deps import acting, get_db
from permitcard.db import Database
from permitcard.permits import change_service, change_views, service
from permitcard.permits.change_schemas import (
    CancellationIn,
    ChangeResubmitIn,
    ElectronicPermitIn,
    ExtensionIn,
    ModificationIn,
    PermitHistoryOut,
)
from permitcard.permits.schemas import PermitApplicationOut
from permitcard.shared.audit import Actor
from permitcard.shared.openapi import errors
from permitcard.shared.routes import Routes

router = Routes(tags=["permit changes"])
_apply = acting("permit.apply")


def _file(db: Database, actor: Actor, kind: str, permit_number: str, body: BaseModel) -> PermitApplicationOut:
    data: dict[str, Any] = {**body.model_dump(), "permit_number": permit_number[:64]}
    view = change_service.file_change(db, actor=actor, kind=kind, data=data)
    return PermitApplicationOut.of(view, full_passport=service.can_see_passport(actor, view.employer_id))


@router.post("/permits/{permit_number}/extensions", response_model=PermitApplicationOut, status_code=201,
             responses=errors(401, 403, 409, 422))
def file_extension(permit_number: str, body: ExtensionIn, db: Database = Depends(get_db),
                   actor: Actor = Depends(_apply)) -> PermitApplicationOut:
    """Extend one of your permits: filed 90 to 30 days before its last day (outside, 422 names the
    first and last day); never past the category limit, the contract end or the passport expiry."""
    return _file(db, actor, "extension", permit_number, body)


@router.post("/permits/{permit_number}/modifications", response_model=PermitApplicationOut, status_code=201,
             responses=errors(401, 403, 409, 422))
def file_modification(permit_number: str, body: ModificationIn, db: Database = Depends(get_db),
                      actor: Actor = Depends(_apply)) -> PermitApplicationOut:
    """Name, passport (renewed), position or category changed. Filed later than 10 working days after
    the change, it is accepted and flagged late (`days_late`). A change of employer is refused (422)."""
    return _file(db, actor, "modification", permit_number, body)


@router.post("/permits/{permit_number}/cancellations", response_model=PermitApplicationOut, status_code=201,
             responses=errors(401, 403, 409, 422))
def file_cancellation(permit_number: str, body: CancellationIn, db: Database = Depends(get_db),
                      actor: Actor = Depends(_apply)) -> PermitApplicationOut:
    """The contract ended: cancel the permit (flagged late after 10 working days)."""
    return _file(db, actor, "cancellation", permit_number, body)


@router.post("/permits/{permit_number}/electronic-requests", response_model=PermitApplicationOut,
             status_code=201, responses=errors(401, 403, 409, 422))
def request_electronic(permit_number: str, body: ElectronicPermitIn, db: Database = Depends(get_db),
                       actor: Actor = Depends(_apply)) -> PermitApplicationOut:
    """The electronic permit of a still-valid paper permit, nothing changed (the worker can then get an
    e-card)."""
    return _file(db, actor, "electronic", permit_number, body)


@router.post("/permit-applications/{application_id}/resubmit-change", response_model=PermitApplicationOut,
             responses=errors(401, 403, 404, 409, 422))
def resubmit_change(application_id: int, body: ChangeResubmitIn, db: Database = Depends(get_db),
                    actor: Actor = Depends(_apply)) -> PermitApplicationOut:
    """Send a returned change application again, corrected."""
    view = change_service.resubmit_change(db, actor=actor, application_id=application_id, version=body.version,
                                          data=body.model_dump(exclude={"version"}))
    return PermitApplicationOut.of(view, full_passport=service.can_see_passport(actor, view.employer_id))


@router.get("/permits/{permit_number}/versions", response_model=PermitHistoryOut, responses=errors(401, 404))
def permit_history(permit_number: str, db: Database = Depends(get_db),
                   actor: Actor = Depends(acting())) -> PermitHistoryOut:
    """Every version of the person's permits, newest first: what changed, who filed, who decided, when
    and why. For the permit's employer, officers, agency clerks, auditors and the holder."""
    return PermitHistoryOut.of(change_views.history(db, actor=actor, permit_number=permit_number))
