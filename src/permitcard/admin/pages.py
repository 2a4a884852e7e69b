from __future__ import annotations

import json

from fastapi import Depends, Path, Request
from fastapi.responses import HTMLResponse, Response

from permitcard.admin import accounts_pages, service
from permitcard.auth.deps import acting, get_db
from permitcard.db import Database
from permitcard.shared import csvexport
from permitcard.shared.audit import Actor
from permitcard.shared.errors import DomainError
from permitcard.shared.routes import Routes
from permitcard.shared.web import form_data, form_errors, redirect, render

router = Routes(include_in_schema=False)
router.include(accounts_pages.router)


@router.get("/audit", response_class=HTMLResponse)
def audit_log(request: Request, q: str = "", action: str = "", page: int = 1, verify: bool = False,
              db: Database = Depends(get_db), _actor: Actor = Depends(acting("audit.read"))) -> Response:
    result = service.audit_rows(db, q=q[:100], action=action[:64], page=page)
    report = service.verify_chain(db) if verify else None
    return render(request, "admin/audit.html", {"result": result, "q": q, "action": action, "report": report,
                                                "actions": service.audit_actions(db)})


@router.get("/audit/{entry_id}", response_class=HTMLResponse)
def audit_entry(request: Request, entry_id: int = Path(ge=1, le=2**31 - 1), db: Database = Depends(get_db),
                actor: Actor = Depends(acting("audit.read"))) -> Response:
    entry = service.audit_entry(db, entry_id=entry_id, role=actor.role)
    return render(request, "admin/audit_entry.html", {"e": entry, "r": entry.row})


@router.get("/audit.csv")
def audit_csv(q: str = "", action: str = "", db: Database = Depends(get_db),
              actor: Actor = Depends(acting("audit.read"))) -> Response:
    result = service.audit_rows(db, q=q[:100], action=action[:64], page=1, size=100_000)
    header = ["id", "at (Asia/Shanghai, UTC+08:00)", "actor", "role", "ip", "action", "target_type", "target_id",
              "before", "after", "note", "mac"]
    rows = [[r.id, r.at, r.actor_label, r.actor_role, r.ip, r.action, r.target_type, r.target_id,
             json.dumps(r.before, ensure_ascii=False) if r.before is not None else "",
             json.dumps(r.after, ensure_ascii=False) if r.after is not None else "", r.note, r.mac]
            for r in result.rows]
    return csvexport.export(db, actor=actor, what="audit_log", header=header, rows=rows,
                            filename="audit-log.csv", filters={"q": q, "action": action})


@router.get("/admin/calendar", response_class=HTMLResponse)
def calendar_page(request: Request, db: Database = Depends(get_db),
                  _actor: Actor = Depends(acting("calendar.manage"))) -> Response:
    return render(request, "admin/calendar.html", {"data": service.calendar(db), "values": {}})


@router.post("/admin/calendar", response_class=HTMLResponse)
async def calendar_enter(request: Request, db: Database = Depends(get_db),
                         actor: Actor = Depends(acting("calendar.manage"))) -> Response:
    data = await form_data(request)
    try:
        service.enter_calendar_year(db, actor=actor, year=data.get("year", ""),
                                    holidays=data.get("holidays", ""), workdays=data.get("workdays", ""))
    except DomainError as exc:
        return render(request, "admin/calendar.html", {"data": service.calendar(db), "values": data},
                      errors=form_errors(exc, "year"), status_code=exc.status)
    return redirect("/admin/calendar?saved=1")
