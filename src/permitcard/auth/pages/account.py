"""HTML: your account — change the password, set up the second factor (QR code) and keep the
recovery codes; forgotten password (one-time e-mailed link)."""

from __future__ import annotations

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from permitcard.auth import service
from permitcard.auth.api import set_session_cookie
from permitcard.auth.deps import SESSION_COOKIE, client_ip, get_db, optional_user, require
from permitcard.auth.errors import BadCredentials
from permitcard.auth.pages.signin import home_for, safe_next
from permitcard.auth.service import CurrentUser, passwords, second_factor, sessions
from permitcard.db import Database
from permitcard.shared.errors import DomainError, Unauthenticated
from permitcard.shared.routes import Routes
from permitcard.shared.web import form_data, form_errors, redirect, refused_page, render

router = Routes(include_in_schema=False)


@router.get("/account", response_class=HTMLResponse)
def account(request: Request, user: CurrentUser = Depends(require())) -> Response:
    return render(request, "auth/account.html", {"home": home_for(user)})


@router.get("/account/password", response_class=HTMLResponse)
def password_page(request: Request, user: CurrentUser = Depends(require())) -> Response:
    return render(request, "auth/password_change.html")


@router.post("/account/password", response_class=HTMLResponse)
async def password_change(request: Request, db: Database = Depends(get_db),
                          user: CurrentUser = Depends(require())) -> Response:
    data = await form_data(request)
    try:
        await run_in_threadpool(
            passwords.change_password, db, user=user, current=data.get("current", ""),
            password=data.get("password", ""), confirm=data.get("confirm", ""),
            session_token=request.cookies.get(SESSION_COOKIE), ip=client_ip(request))
    except DomainError as exc:
        return refused_page(request, "auth/password_change.html", {}, exc, "current")
    return redirect("/account?done=password")


# --- forgotten password ----------------------------------------------------------------------------


@router.get("/password/forgot", response_class=HTMLResponse)
def forgot_page(request: Request) -> Response:
    return render(request, "auth/password_forgot.html")


@router.post("/password/forgot", response_class=HTMLResponse)
async def forgot(request: Request, db: Database = Depends(get_db)) -> Response:
    data = await form_data(request)
    try:
        email = service.normalise_email(data.get("email", ""))
    except DomainError as exc:
        return render(request, "auth/password_forgot.html", {"values": data}, errors=form_errors(exc, "email"),
                      status_code=exc.status)
    passwords.request_reset(db, email=email, ip=client_ip(request))
    return redirect("/password/forgot/sent")


@router.get("/password/forgot/sent", response_class=HTMLResponse)
def forgot_sent(request: Request) -> Response:
    return render(request, "auth/password_forgot_sent.html")


@router.get("/password/reset/{token}", response_class=HTMLResponse)
def reset_page(token: str, request: Request, db: Database = Depends(get_db)) -> Response:
    passwords.check_reset(db, token=token)
    return render(request, "auth/password_reset.html", {"token": token})


@router.post("/password/reset/{token}", response_class=HTMLResponse)
async def reset(token: str, request: Request, db: Database = Depends(get_db)) -> Response:
    data = await form_data(request)
    try:
        await run_in_threadpool(passwords.reset_password, db, token=token, password=data.get("password", ""),
                                confirm=data.get("confirm", ""), ip=client_ip(request))
    except DomainError as exc:
        if exc.status == 404:
            raise
        return render(request, "auth/password_reset.html", {"token": token}, errors=form_errors(exc, "password"),
                      status_code=exc.status)
    response = redirect("/login?reset=1")
    set_session_cookie(request, response, None)
    return response


# --- second factor ---------------------------------------------------------------------------------


def _enrolling(request: Request, db: Database, user: CurrentUser | None) -> CurrentUser:
    """Signed in, or half-way through a staff sign-in that must set up its factor first."""
    if user is not None:
        return user
    found = service.pending(db, request.cookies.get(SESSION_COOKIE))
    if found is None or found[1] != sessions.ENROL:
        raise Unauthenticated()
    return found[0]


@router.get("/account/second-factor", response_class=HTMLResponse)
def factor_page(request: Request, next: str | None = None, db: Database = Depends(get_db),
                user: CurrentUser | None = Depends(optional_user)) -> Response:
    who = _enrolling(request, db, user)
    if who.has_second_factor:
        return redirect("/account")
    enrolment = second_factor.begin(db, user_id=who.id)
    return render(request, "auth/second_factor.html", {"enrolment": enrolment, "next": safe_next(next, ""),
                                                       "forced": user is None})


@router.post("/account/second-factor", response_class=HTMLResponse)
async def factor_confirm(request: Request, db: Database = Depends(get_db),
                         user: CurrentUser | None = Depends(optional_user)) -> Response:
    data = await form_data(request)
    who = _enrolling(request, db, user)
    next_url = safe_next(data.get("next"), "")
    try:
        token = sessions.confirm_enrolment(db, token=request.cookies.get(SESSION_COOKIE), user_id=who.id,
                                           code=data.get("code", ""), ip=client_ip(request))
    except BadCredentials:
        return redirect("/login")
    except DomainError as exc:
        enrolment = second_factor.begin(db, user_id=who.id)
        return render(request, "auth/second_factor.html", {"enrolment": enrolment, "next": next_url,
                                                           "forced": user is None},
                      errors=form_errors(exc, "code"), status_code=exc.status)
    response = redirect("/account/recovery-codes" + (f"?next={next_url}" if next_url else ""))
    if token:
        set_session_cookie(request, response, token)
    return response


@router.get("/account/recovery-codes", response_class=HTMLResponse)
def codes_page(request: Request, next: str | None = None, db: Database = Depends(get_db),
               user: CurrentUser = Depends(require())) -> Response:
    codes = second_factor.unseen_recovery_codes(db, user_id=user.id)
    if not codes:
        return redirect(safe_next(next, "/account"))
    return render(request, "auth/recovery_codes.html", {"codes": codes, "next": safe_next(next, "")})


@router.post("/account/recovery-codes", response_class=HTMLResponse)
async def codes_kept(request: Request, db: Database = Depends(get_db), user: CurrentUser = Depends(require())
                     ) -> Response:
    data = await form_data(request)
    second_factor.recovery_codes_kept(db, user=user, ip=client_ip(request))
    return redirect(safe_next(data.get("next"), home_for(user)))


@router.post("/account/recovery-codes/new", response_class=HTMLResponse)
async def codes_new(request: Request, db: Database = Depends(get_db), user: CurrentUser = Depends(require())
                    ) -> Response:
    await form_data(request)
    second_factor.new_codes(db, user=user, ip=client_ip(request))
    return redirect("/account/recovery-codes")


@router.get("/account/second-factor/off")
def factor_off_page() -> Response:
    """The language switch on a refused turn-off lands here: back to the account page."""
    return redirect("/account")


@router.post("/account/second-factor/off", response_class=HTMLResponse)
async def factor_off(request: Request, db: Database = Depends(get_db), user: CurrentUser = Depends(require())
                     ) -> Response:
    data = await form_data(request)
    try:
        second_factor.turn_off(db, user=user, code=data.get("code", ""), ip=client_ip(request))
    except DomainError as exc:
        return render(request, "auth/account.html", {"home": home_for(user)}, errors=form_errors(exc, "code"),
                      status_code=exc.status)
    return redirect("/account?done=factor_off")
