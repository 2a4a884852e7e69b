from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from permitcard.admin import service
from permitcard.auth.deps import acting, get_db
from permitcard.db import Database
from permitcard.shared.audit import Actor
from permitcard.shared.openapi import errors

router = APIRouter(prefix="/api/v1", tags=["oversight"])


class AuditRow(BaseModel):
    seq: int
    at: datetime
    actor: str
    role: str
    action: str
    target_type: str
    target_id: str
    before: dict | None
    after: dict | None
    hash: str


class AuditList(BaseModel):
    total: int
    page: int
    pages: int
    rows: list[AuditRow]


class ChainOut(BaseModel):
    ok: bool
    rows: int
    first_bad_seq: int | None


class CalendarYearIn(BaseModel):
    year: str = Field(max_length=4)
    holidays: str = Field(description="Lines of `YYYY-MM-DD name`", max_length=5000)
    workdays: str = Field(default="", description="Adjusted working days (调休), same format", max_length=5000)


@router.get("/audit", response_model=AuditList, responses=errors(401, 403))
def audit_list(q: str = "", action: str = "", page: int = 1, db: Database = Depends(get_db),
               _actor: Actor = Depends(acting("audit.read"))) -> AuditList:
    r = service.audit_rows(db, q=q[:100], action=action[:64], page=page)
    return AuditList(total=r.total, page=r.page, pages=r.pages, rows=[
        AuditRow(seq=x.seq, at=x.at, actor=x.actor_label, role=x.actor_role, action=x.action,
                 target_type=x.target_type, target_id=x.target_id, before=x.before, after=x.after, hash=x.hash)
        for x in r.rows])


@router.get("/audit/verify", response_model=ChainOut, responses=errors(401, 403))
def audit_verify(db: Database = Depends(get_db), _actor: Actor = Depends(acting("audit.read"))) -> ChainOut:
    """Recompute the hash chain end to end."""
    r = service.verify_chain(db)
    return ChainOut(ok=r.ok, rows=r.rows, first_bad_seq=r.first_bad_seq)


@router.post("/calendar/years", status_code=201, responses=errors(401, 403, 422))
def calendar_year(body: CalendarYearIn, db: Database = Depends(get_db),
                  actor: Actor = Depends(acting("calendar.manage"))) -> dict[str, int]:
    """Enter a year's official calendar when the State Council has announced it."""
    year = service.enter_calendar_year(db, actor=actor, year=body.year,
                                       holidays=body.holidays, workdays=body.workdays)
    return {"year": year}
