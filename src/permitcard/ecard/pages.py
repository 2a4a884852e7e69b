"""HTML: the e-card on a phone — register, real-name verification, sign in, the e-card with its dynamic
QR code, showing the SSN, reporting the card lost, changing the password; and the public page
``/verify/<token>`` that anyone (an employer, the exit-entry administration's residence-permit check)
opens by scanning the code."""

from __future__ import annotations

from typing import Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from permitcard.auth.deps import client_ip, get_db
from permitcard.config import get_settings
from permitcard.db import Database
from permitcard.ecard import domain, service, views
from permitcard.ecard.deps import ECARD_COOKIE, page_holder
from permitcard.ecard.errors import TooManyAttempts
from permitcard.ecard.service import Holder
from permitcard.shared.errors import DomainError
from permitcard.shared.routes import Routes
from permitcard.shared.web import form_data, form_errors, redirect, render, set_session_cookies

router = Routes(include_in_schema=False)


def _set_session(request: Request, response: Response, token: str | None) -> Response:
    """Set the e-card's page session (None: end it); the CSRF token rotates with it."""
    set_session_cookies(request, response, {ECARD_COOKIE: token},
                        max_age=get_settings().ecard_session_minutes * 60 * 4)
    return response


def _form_page(request: Request, template: str, exc: DomainError, field: str,
               context: dict[str, Any] | None = None) -> HTMLResponse:
    response = render(request, template, context, errors=form_errors(exc, field), status_code=exc.status)
    if isinstance(exc, TooManyAttempts):
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


def _without_secrets(data: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in data.items() if "password" not in k and k != "code"}


# --- register, verify, sign in ----------------------------------------------------------------------------

@router.get("/ecard/register", response_class=HTMLResponse)
def register_page(request: Request) -> Response:
    return render(request, "ecard/register.html", {"values": {"number_kind": "permit"}})


@router.post("/ecard/register", response_class=HTMLResponse)
async def register(request: Request, db: Database = Depends(get_db)) -> Response:
    data = await form_data(request)
    try:
        started = await _threaded(service.register, db, family_name=data.get("family_name", ""),
                                  given_names=data.get("given_names", ""), number_kind=data.get("number_kind", ""),
                                  number=data.get("number", ""), passport_number=data.get("passport_number", ""),
                                  email=data.get("email", ""), password=data.get("password", ""),
                                  password_again=data.get("password_again", ""), ip=client_ip(request))
    except DomainError as exc:
        return _form_page(request, "ecard/register.html", exc, "family_name", {"values": _without_secrets(data)})
    return _set_session(request, redirect("/ecard/verify?sent=1"), started.token)


@router.get("/ecard/verify", response_class=HTMLResponse)
def verify_page(request: Request, holder: Holder | None = Depends(page_holder)) -> Response:
    if holder is None:
        return redirect("/ecard/login")
    if holder.verified:
        return redirect("/ecard")
    return render(request, "ecard/verify.html", {"sent": request.query_params.get("sent") == "1"})


@router.post("/ecard/verify", response_class=HTMLResponse)
async def verify(request: Request, db: Database = Depends(get_db),
                 holder: Holder | None = Depends(page_holder)) -> Response:
    data = await form_data(request)
    if holder is None:
        return redirect("/ecard/login")
    try:
        token = await _threaded(service.verify_code, db, holder=holder, code=data.get("code", ""),
                                ip=client_ip(request))
    except DomainError as exc:
        return _form_page(request, "ecard/verify.html", exc, "code", {"sent": False})
    return _set_session(request, redirect("/ecard"), token) if token else redirect("/ecard")


@router.post("/ecard/verify/resend", response_class=HTMLResponse)
async def resend(request: Request, db: Database = Depends(get_db),
                 holder: Holder | None = Depends(page_holder)) -> Response:
    await form_data(request)
    if holder is None:
        return redirect("/ecard/login")
    try:
        await _threaded(service.resend_code, db, holder=holder, ip=client_ip(request))
    except DomainError as exc:
        return _form_page(request, "ecard/verify.html", exc, "code", {"sent": False})
    return redirect("/ecard/verify?sent=1")


@router.get("/ecard/login", response_class=HTMLResponse)
def login_page(request: Request) -> Response:
    return render(request, "ecard/login.html", {"signed_out": request.query_params.get("signed_out") == "1"})


@router.post("/ecard/login", response_class=HTMLResponse)
async def login(request: Request, db: Database = Depends(get_db)) -> Response:
    data = await form_data(request)
    try:
        started = await _threaded(service.sign_in, db, number=data.get("number", ""),
                                  password=data.get("password", ""), ip=client_ip(request))
    except DomainError as exc:
        return _form_page(request, "ecard/login.html", exc, "number",
                          {"values": _without_secrets(data), "signed_out": False})
    return _set_session(request, redirect("/ecard" if started.verified else "/ecard/verify"), started.token)


@router.post("/ecard/logout")
async def logout(request: Request, db: Database = Depends(get_db),
                 holder: Holder | None = Depends(page_holder)) -> Response:
    await form_data(request)
    if holder is not None:
        await _threaded(service.sign_out, db, holder=holder, ip=client_ip(request))
    return _set_session(request, redirect("/ecard/login?signed_out=1"), None)


# --- the e-card ----------------------------------------------------------------------------------------------

def _ecard_page(request: Request, db: Database, holder: Holder, *, ssn: str = "", notice: str = "",
                errors_from: DomainError | None = None) -> HTMLResponse:
    view = views.ecard(db, holder=holder)
    code = None
    if view.service_state != "suspended":
        code = views.issue_qr(db, holder=holder)
    context = {"v": view, "code": code, "ssn": ssn, "notice": notice,
               "loss_available": views.loss_reporting_available()}
    if errors_from is not None:
        return render(request, "ecard/ecard.html", context, errors=form_errors(errors_from, "loss"),
                      status_code=errors_from.status)
    return render(request, "ecard/ecard.html", context)


@router.get("/ecard", response_class=HTMLResponse)
def ecard(request: Request, db: Database = Depends(get_db), holder: Holder | None = Depends(page_holder)) -> Response:
    if holder is None:
        return redirect("/ecard/login")
    if not holder.verified:
        return redirect("/ecard/verify")
    notice = {"loss": "loss", "password": "password"}.get(request.query_params.get("done", ""), "")
    return _ecard_page(request, db, holder, notice=notice)


@router.post("/ecard/ssn", response_class=HTMLResponse)
async def show_ssn(request: Request, db: Database = Depends(get_db),
                   holder: Holder | None = Depends(page_holder)) -> Response:
    await form_data(request)
    if holder is None or not holder.verified:
        return redirect("/ecard/login")
    ssn = await _threaded(views.reveal_ssn, db, holder=holder, ip=client_ip(request))
    return _ecard_page(request, db, holder, ssn=ssn)


@router.post("/ecard/loss", response_class=HTMLResponse)
async def report_loss(request: Request, db: Database = Depends(get_db),
                      holder: Holder | None = Depends(page_holder)) -> Response:
    data = await form_data(request)
    if holder is None or not holder.verified:
        return redirect("/ecard/login")
    try:
        await _threaded(views.report_loss, db, holder=holder, card_id=int(data.get("card_id") or 0),
                        version=int(data.get("version") or 0), ip=client_ip(request))
    except DomainError as exc:
        return _ecard_page(request, db, holder, errors_from=exc)
    return redirect("/ecard?done=loss")


@router.get("/ecard/password", response_class=HTMLResponse)
def password_page(request: Request, holder: Holder | None = Depends(page_holder)) -> Response:
    if holder is None or not holder.verified:
        return redirect("/ecard/login")
    return render(request, "ecard/password.html")


@router.post("/ecard/password", response_class=HTMLResponse)
async def change_password(request: Request, db: Database = Depends(get_db),
                          holder: Holder | None = Depends(page_holder)) -> Response:
    data = await form_data(request)
    if holder is None or not holder.verified:
        return redirect("/ecard/login")
    try:
        await _threaded(service.change_password, db, holder=holder, current=data.get("current_password", ""),
                        new=data.get("new_password", ""), new_again=data.get("new_password_again", ""),
                        ip=client_ip(request))
    except DomainError as exc:
        return _form_page(request, "ecard/password.html", exc, "current_password")
    return redirect("/ecard?done=password")


# --- public verification ---------------------------------------------------------------------------------

@router.get("/verify/{token}", response_class=HTMLResponse)
def verify_token(request: Request, token: str, db: Database = Depends(get_db)) -> Response:
    result = views.verify_online(db, token)
    return render(request, "ecard/verification.html", {"r": result, "card_state_labels": domain.CARD_STATE_LABELS})


async def _threaded(fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Run a blocking use case (argon2, database) off the event loop."""
    return await run_in_threadpool(fn, *args, **kwargs)
