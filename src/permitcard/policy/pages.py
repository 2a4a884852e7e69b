"""HTML: the administrator's page of rules per city (current and planned values, add a value)."""

from __future__ import annotations

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, Response

from permitcard.auth.deps import acting, get_db, require
from permitcard.auth.service import CurrentUser
from permitcard.db import Database
from permitcard.policy import service, views
from permitcard.shared.audit import Actor
from permitcard.shared.errors import N_, DomainError, NotFound, ValidationFailed
from permitcard.shared.routes import Routes
from permitcard.shared.web import Form, form_data, form_errors, redirect, render

router = Routes(include_in_schema=False)


def _city_page(request: Request, db: Database, code: str, values: dict[str, str], errors: list | None = None,
               status_code: int = 200) -> Response:
    sched = views.schedule(db, code=code)
    return render(request, "policy/city.html", {
        "sched": sched, "lines": views.rule_lines(sched), "choices": views.rule_choices(), "hints": views.hints(),
        "values": values, "cities": views.all_cities(db),
        "can_manage": request.state.user.role == "admin"}, errors=errors, status_code=status_code)


@router.get("/admin/policy", response_class=HTMLResponse)
def index(db: Database = Depends(get_db), _user: CurrentUser = Depends(require("policy.read"))) -> Response:
    cities = views.all_cities(db)
    if not cities:
        raise NotFound(N_("No city is set up yet"))
    return redirect(f"/admin/policy/{cities[0].code}", status_code=302)


@router.get("/admin/policy/{code}", response_class=HTMLResponse)
def city(request: Request, code: str, db: Database = Depends(get_db),
         _user: CurrentUser = Depends(require("policy.read"))) -> Response:
    return _city_page(request, db, code, {})


@router.post("/admin/policy/{code}", response_class=HTMLResponse)
async def add_value(request: Request, code: str, db: Database = Depends(get_db),
                    actor: Actor = Depends(acting("policy.manage"))) -> Response:
    data = await form_data(request)
    form = Form(data)
    day = form.date("effective_from", required_message=N_("Enter the date the value takes effect"))
    try:
        if form.errors:
            raise ValidationFailed(form.errors)
        service.add_value(db, actor=actor, city_code=code, key=data.get("key", ""),
                          value=data.get("value", ""), effective_from=day, note=data.get("note", ""))
    except DomainError as exc:
        return _city_page(request, db, code, data, errors=form_errors(exc, "value"), status_code=exc.status)
    return redirect(f"/admin/policy/{code}?saved=1")
