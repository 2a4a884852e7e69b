from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Literal

from fastapi import Depends
from pydantic import Field

from permitcard.admin import service
from permitcard.auth.deps import acting, get_db
from permitcard.db import Database
from permitcard.shared.audit import Actor
from permitcard.shared.i18n import translate
from permitcard.shared.openapi import errors
from permitcard.shared.routes import Routes
from permitcard.shared.schemas import ApiModel

router = Routes(prefix="/api/v1", tags=["oversight"])


class AuditRow(ApiModel):
    id: int
    seq: int = Field(description="The same as `id` (kept for earlier clients)")
    at: datetime
    actor: str
    role: str
    ip: str
    action: str
    target_type: str
    target_id: str
    before: dict | None
    after: dict | None
    note: str
    mac: str = Field(description="HMAC-SHA256 of the entry under the audit key (hex)")


class AuditList(ApiModel):
    total: int
    page: int
    pages: int
    rows: list[AuditRow]


class FindingOut(ApiModel):
    kind: str = Field(description="row_edited, row_key, row_missing, row_copied, row_late, seal_root, "
                                  "seal_signature, seal_key, seal_chain or unsealed_old")
    serious: bool
    message: str
    row: int | None
    seal: int | None


class SealOut(ApiModel):
    id: int
    last_id: int
    tree_size: int
    root: str
    sealed_at: datetime
    key_id: str


class ChainOut(ApiModel):
    ok: bool
    rows: int
    sealed: int
    unsealed: int
    seals: int
    first_bad_seq: int | None
    findings: list[FindingOut]
    latest_seal: SealOut | None


class CalendarYearIn(ApiModel):
    year: str = Field(max_length=4)
    holidays: str = Field(description="Lines of `YYYY-MM-DD name`", max_length=5000)
    workdays: str = Field(default="", description="Adjusted working days (调休), same format", max_length=5000)


@router.get("/audit", response_model=AuditList, responses=errors(401, 403))
def audit_list(q: str = "", action: str = "", page: int = 1, db: Database = Depends(get_db),
               _actor: Actor = Depends(acting("audit.read"))) -> AuditList:
    r = service.audit_rows(db, q=q[:100], action=action[:64], page=page)
    return AuditList(total=r.total, page=r.page, pages=r.pages, rows=[
        AuditRow(id=x.id, seq=x.id, at=x.at if x.at.tzinfo else x.at.replace(tzinfo=UTC), actor=x.actor_label,
                 role=x.actor_role, ip=x.ip, action=x.action, target_type=x.target_type, target_id=x.target_id,
                 before=x.before, after=x.after, note=x.note, mac=x.mac)
        for x in r.rows])


@router.get("/audit/verify", response_model=ChainOut, responses=errors(401, 403))
def audit_verify(db: Database = Depends(get_db), _actor: Actor = Depends(acting("audit.read"))) -> ChainOut:
    """Check every entry's MAC and every seal's Merkle root, chain and signature."""
    r = service.verify_chain(db)
    latest = r.latest and SealOut(**dataclasses.asdict(r.latest))
    return ChainOut(ok=r.ok, rows=r.rows, sealed=r.sealed, unsealed=r.unsealed, seals=r.seals,
                    first_bad_seq=r.first_bad_seq, latest_seal=latest or None, findings=[
                        FindingOut(kind=f.kind, serious=f.serious, message=translate(f.message, f.params),
                                   row=f.row_id, seal=f.seal_id) for f in r.findings])


@router.post("/calendar/years", status_code=201, responses=errors(401, 403, 422))
def calendar_year(body: CalendarYearIn, db: Database = Depends(get_db),
                  actor: Actor = Depends(acting("calendar.manage"))) -> dict[str, int]:
    """Enter a year's official calendar when the State Council has announced it."""
    year = service.enter_calendar_year(db, actor=actor, year=body.year,
                                       holidays=body.holidays, workdays=body.workdays)
    return {"year": year}


class StaffInvitationIn(ApiModel):
    email: str = Field(max_length=254)
    display_name: str = Field(max_length=200)
    role: Literal["permit_officer", "agency_clerk", "bank_clerk", "photo_studio", "auditor", "admin"]
    branch_id: int | None = Field(default=None, description="Bank clerks: the branch they work at")
    studio_id: int | None = Field(default=None, description="Photo studio accounts: their accredited studio")


class StaffInvitationOut(ApiModel):
    id: int
    email: str
    display_name: str
    role: str
    binding: str = Field(description="What the account acts for: the branch, studio or city")
    expires_at: datetime


@router.post("/invitations", response_model=StaffInvitationOut, status_code=201, tags=["onboarding"],
             responses=errors(401, 403, 422))
def invite_staff(body: StaffInvitationIn, db: Database = Depends(get_db),
                 actor: Actor = Depends(acting("account.manage"))) -> StaffInvitationOut:
    """An administrator invites a staff member: a bank clerk to a branch, a studio account to its
    accredited studio, the others to the city. The invitee gets a one-time link valid for 7 days."""
    v = service.invite_staff(db, actor=actor, email=body.email, display_name=body.display_name, role=body.role,
                             branch_id=body.branch_id, studio_id=body.studio_id)
    return StaffInvitationOut(id=v.id, email=v.email, display_name=v.display_name, role=v.role, binding=v.binding,
                         expires_at=v.expires_at)
