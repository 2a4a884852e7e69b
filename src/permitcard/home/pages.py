"""HTML: the home pages where each role lands after signing in — what needs doing now."""

from __future__ import annotations

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, Response

from permitcard.auth.deps import acting, acting_any, get_db
from permitcard.auth.service.employers import TEAM_ACTIONS
from permitcard.db import Database
from permitcard.home import views
from permitcard.shared.audit import Actor
from permitcard.shared.errors import N_
from permitcard.shared.routes import Routes
from permitcard.shared.web import render

router = Routes(include_in_schema=False)


@router.get("/employer", response_class=HTMLResponse)
def employer(request: Request, db: Database = Depends(get_db),
             actor: Actor = Depends(acting("permit.read_employer"))) -> Response:
    home = views.employer_home(db, actor=actor)
    return render(request, "home/employer.html", {"home": home, "e": home.employer, "team_actions": TEAM_ACTIONS})


@router.get("/officer", response_class=HTMLResponse)
def officer(request: Request, db: Database = Depends(get_db),
            actor: Actor = Depends(acting("employer.review"))) -> Response:
    todos = views.officer_home(db, actor=actor)
    return render(request, "home/todo.html", {"todos": todos, "links": [
        ("/officer/permits", N_("Permit applications")), ("/officer/employers", N_("Employer registrations"))]})


@router.get("/agency", response_class=HTMLResponse)
def agency(request: Request, db: Database = Depends(get_db),
           actor: Actor = Depends(acting_any("card.decide"))) -> Response:
    todos = views.agency_home(db, actor=actor)
    return render(request, "home/todo.html", {"todos": todos, "links": [
        ("/agency/cards", N_("Card applications")), ("/agency/insurance", N_("Insurance registrations")),
        ("/agency/insurance/new", N_("Register someone for social insurance"))]})


@router.get("/admin", response_class=HTMLResponse)
def admin(request: Request, db: Database = Depends(get_db),
          actor: Actor = Depends(acting("account.manage"))) -> Response:
    todos = views.admin_home(db, actor=actor)
    return render(request, "home/todo.html", {"todos": todos, "calendar_warning": views.calendar_warning(db), "links": [
        ("/admin/accounts", N_("Staff accounts")), ("/admin/accounts/invite", N_("Invite a staff member")),
        ("/admin/studios", N_("Accredited photo studios")), ("/admin/calendar", N_("Working-day calendar")),
        ("/audit", N_("Audit log"))]})
