"""HTML: an employer registers itself and corrects its registration; its HR colleagues are invited
and removed; permit officers review registrations; an invitee accepts an invitation."""

from __future__ import annotations

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from permitcard.auth.api import set_session_cookie
from permitcard.auth.deps import acting, client_ip, get_db, optional_user
from permitcard.auth.domain import EMPLOYER_STATE_LABELS, EmployerState
from permitcard.auth.pages.signin import home_for
from permitcard.auth.service import CurrentUser, employers, invitations, registration, sessions
from permitcard.db import Database
from permitcard.shared.audit import Actor
from permitcard.shared.errors import N_, DomainError
from permitcard.shared.routes import Routes
from permitcard.shared.web import form_data, form_errors, redirect, refused_page, render

router = Routes(include_in_schema=False)

_colleagues = acting("employer.colleagues")
_review = acting("employer.review")
DETAILS = employers.FIELDS


@router.get("/employers/register", response_class=HTMLResponse)
def register_page(request: Request, user: CurrentUser | None = Depends(optional_user)) -> Response:
    return render(request, "auth/employer_register.html", {"correcting": None})


@router.post("/employers/register", response_class=HTMLResponse)
async def register(request: Request, db: Database = Depends(get_db)) -> Response:
    data = await form_data(request)
    try:
        await run_in_threadpool(
            registration.request_registration, db, data={k: data.get(k, "") for k in DETAILS},
            email=data.get("email", ""), password=data.get("password", ""), ip=client_ip(request))
    except DomainError as exc:
        data.pop("password", None)
        return refused_page(request, "auth/employer_register.html", {"values": data, "correcting": None}, exc,
                            "uscc")
    return redirect("/employers/register/sent")


@router.get("/employers/register/sent", response_class=HTMLResponse)
def register_sent(request: Request) -> Response:
    """The one answer of a registration, whether the address had an account or not."""
    return render(request, "auth/employer_register_sent.html", {"hours": registration.LINK_HOURS})


@router.get("/employers/register/confirm/{token}", response_class=HTMLResponse)
def register_confirm_page(token: str, request: Request, db: Database = Depends(get_db)) -> Response:
    try:
        registration.check_link(db, token)
    except DomainError as exc:
        if exc.status == 404:
            raise
        return refused_page(request, "auth/employer_register_confirm.html", {"token": token, "refused": True}, exc,
                            "token")
    return render(request, "auth/employer_register_confirm.html", {"token": token})


@router.post("/employers/register/confirm/{token}", response_class=HTMLResponse)
async def register_confirm(token: str, request: Request, db: Database = Depends(get_db)) -> Response:
    await form_data(request)
    try:
        session, _user, _employer = await run_in_threadpool(registration.confirm_registration, db, token=token,
                                                            ip=client_ip(request))
    except DomainError as exc:
        if exc.status == 404:
            raise
        return refused_page(request, "auth/employer_register_confirm.html", {"token": token}, exc, "token")
    response = redirect("/employer?registered=1")
    set_session_cookie(request, response, session)
    return response


@router.get("/employer/registration", response_class=HTMLResponse)
def correct_page(request: Request, db: Database = Depends(get_db),
                 actor: Actor = Depends(acting("permit.read_employer"))) -> Response:
    employer = employers.my_employer(db, actor=actor)
    values = {k: getattr(employer, k) for k in DETAILS}
    return render(request, "auth/employer_register.html", {"values": values, "correcting": employer})


@router.post("/employer/registration", response_class=HTMLResponse)
async def correct(request: Request, db: Database = Depends(get_db),
                  actor: Actor = Depends(acting("permit.read_employer"))) -> Response:
    data = await form_data(request)
    try:
        employers.resubmit(db, actor=actor, version=int(data.get("version") or 0),
                           data={k: data.get(k, "") for k in DETAILS})
    except DomainError as exc:
        employer = employers.my_employer(db, actor=actor)
        return render(request, "auth/employer_register.html", {"values": {**data, "uscc": employer.uscc},
                                                               "correcting": employer},
                      errors=form_errors(exc, "name_en"), status_code=exc.status)
    return redirect("/employer?resubmitted=1")


# --- colleagues ------------------------------------------------------------------------------------


def _colleagues_page(request: Request, db: Database, actor: Actor, **extra: object) -> Response:
    errors = extra.pop("errors", None)
    status = int(str(extra.pop("status_code", 200)))
    ctx = {"people": employers.colleagues(db, actor=actor),
           "invited": invitations.open_colleague_invitations(db, actor=actor), **extra}
    return render(request, "auth/colleagues.html", ctx, errors=errors, status_code=status)  # type: ignore[arg-type]


@router.get("/employer/colleagues", response_class=HTMLResponse)
def colleagues(request: Request, db: Database = Depends(get_db), actor: Actor = Depends(_colleagues)) -> Response:
    return _colleagues_page(request, db, actor)


@router.post("/employer/colleagues", response_class=HTMLResponse)
async def invite(request: Request, db: Database = Depends(get_db),
                 actor: Actor = Depends(_colleagues)) -> Response:
    data = await form_data(request)
    try:
        invitations.invite_colleague(db, actor=actor, email=data.get("email", ""),
                                     display_name=data.get("display_name", ""))
    except DomainError as exc:
        return _colleagues_page(request, db, actor, values=data, errors=form_errors(exc, "email"),
                                status_code=exc.status)
    return redirect("/employer/colleagues?invited=1")


@router.get("/employer/colleagues/{user_id}/remove", response_class=HTMLResponse)
def remove_page(user_id: int, request: Request, db: Database = Depends(get_db),
                actor: Actor = Depends(_colleagues)) -> Response:
    person = next((p for p in employers.colleagues(db, actor=actor)
                   if p.id == user_id and p.is_active and not p.is_you), None)
    if person is None:
        return redirect("/employer/colleagues")
    return render(request, "auth/colleague_remove.html", {"person": person})


@router.post("/employer/colleagues/{user_id}/remove", response_class=HTMLResponse)
async def remove(user_id: int, request: Request, db: Database = Depends(get_db),
                 actor: Actor = Depends(_colleagues)) -> Response:
    await form_data(request)
    employers.remove_colleague(db, actor=actor, user_id=user_id)
    return redirect("/employer/colleagues?removed=1")


@router.post("/employer/invitations/{invitation_id}/revoke", response_class=HTMLResponse)
async def revoke_colleague_invitation(invitation_id: int, request: Request, db: Database = Depends(get_db),
                                      actor: Actor = Depends(_colleagues)) -> Response:
    await form_data(request)
    invitations.revoke(db, actor=actor, invitation_id=invitation_id)
    return redirect("/employer/colleagues?revoked=1")


# --- invitations -----------------------------------------------------------------------------------


@router.get("/invitations/{token}", response_class=HTMLResponse)
def accept_page(token: str, request: Request, db: Database = Depends(get_db)) -> Response:
    return render(request, "auth/invitation.html", {"inv": invitations.for_token(db, token=token), "token": token})


@router.post("/invitations/{token}", response_class=HTMLResponse)
async def accept(token: str, request: Request, db: Database = Depends(get_db)) -> Response:
    data = await form_data(request)
    try:
        session_token, actor, stage = await run_in_threadpool(
            invitations.accept, db, token=token, password=data.get("password", ""), confirm=data.get("confirm", ""),
            ip=client_ip(request))
    except DomainError as exc:
        if exc.status == 404:
            raise
        return render(request, "auth/invitation.html", {"inv": invitations.for_token(db, token=token),
                                                        "token": token},
                      errors=form_errors(exc, "password"), status_code=exc.status)
    response = redirect("/account/second-factor" if stage == sessions.ENROL else home_for(actor))
    set_session_cookie(request, response, session_token)
    return response


# --- permit officers review registrations ----------------------------------------------------------

REVIEW_OPTIONS = [("approve", N_("Approve the employer")), ("request_correction", N_("Ask for a correction")),
                  ("reject", N_("Reject the registration"))]


@router.get("/officer/employers", response_class=HTMLResponse)
def queue(request: Request, state: str = "", db: Database = Depends(get_db),
          actor: Actor = Depends(_review)) -> Response:
    rows, counts = employers.review_queue(db, actor=actor, state=state[:32])
    chosen = state if state in {s.value for s in EmployerState} else EmployerState.SUBMITTED.value
    return render(request, "auth/officer_employers.html", {"rows": rows, "counts": counts, "state": chosen,
                                                           "labels": EMPLOYER_STATE_LABELS})


def _detail(request: Request, db: Database, actor: Actor, employer_id: int, **extra: object) -> Response:
    employer, history = employers.for_review(db, actor=actor, employer_id=employer_id)
    errors = extra.pop("errors", None)
    status = int(str(extra.pop("status_code", 200)))
    return render(request, "auth/officer_employer.html", {"e": employer, "history": history,
                                                          "options": REVIEW_OPTIONS, **extra},
                  errors=errors, status_code=status)  # type: ignore[arg-type]


@router.get("/officer/employers/{employer_id}", response_class=HTMLResponse)
def detail(employer_id: int, request: Request, db: Database = Depends(get_db),
           actor: Actor = Depends(_review)) -> Response:
    return _detail(request, db, actor, employer_id)


@router.post("/officer/employers/{employer_id}", response_class=HTMLResponse)
async def decide(employer_id: int, request: Request, db: Database = Depends(get_db),
                 actor: Actor = Depends(_review)) -> Response:
    data = await form_data(request)
    try:
        employers.review(db, actor=actor, employer_id=employer_id,
                         version=int(data.get("version") or 0), action=data.get("action", ""),
                         reason=data.get("reason", ""))
    except DomainError as exc:
        return _detail(request, db, actor, employer_id, values=data, errors=form_errors(exc, "action"),
                       status_code=exc.status)
    return redirect(f"/officer/employers/{employer_id}?decided=1")
