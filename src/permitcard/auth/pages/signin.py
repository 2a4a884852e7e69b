"""HTML: sign in (password, then the second factor), sign out, create an account, link your work
permit, language switch, the start page."""

from __future__ import annotations

from urllib.parse import quote, urlsplit

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from permitcard.auth import service
from permitcard.auth.api import set_session_cookie
from permitcard.auth.deps import SESSION_COOKIE, client_ip, get_db, optional_user, require
from permitcard.auth.domain import Role
from permitcard.auth.errors import BadCredentials
from permitcard.auth.service import CurrentUser, sessions
from permitcard.auth.service import signup as signups
from permitcard.db import Database
from permitcard.shared import forms, i18n
from permitcard.shared.errors import DomainError
from permitcard.shared.routes import Routes
from permitcard.shared.web import check_csrf, form_data, form_errors, redirect, refused_page, render

router = Routes(include_in_schema=False)

HOME_BY_ROLE = {
    Role.APPLICANT: "/my",
    Role.EMPLOYER: "/employer",
    Role.PERMIT_OFFICER: "/officer",
    Role.AGENCY_CLERK: "/agency",
    Role.BANK_CLERK: "/branch",
    Role.PHOTO_STUDIO: "/studio/photos",
    Role.AUDITOR: "/audit",
    Role.ADMIN: "/admin",
}


def safe_next(target: str | None, default: str = "/") -> str:
    """Only local paths: never an open redirect."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    return target


def home_for(user: CurrentUser) -> str:
    return HOME_BY_ROLE.get(Role(user.role), "/")


@router.get("/", response_class=HTMLResponse)
def start(request: Request, user: CurrentUser | None = Depends(optional_user)) -> Response:
    return render(request, "start.html", {"home": home_for(user) if user else None})


async def _remember(request: Request, db: Database, locale: str) -> None:
    """A signed-in person's choice is kept on their account: their e-mails are written in it."""
    user = await optional_user(request)
    if user is not None:
        await run_in_threadpool(service.remember_locale, db, actor=user.actor(client_ip(request)), locale=locale)


@router.get("/lang/{code}")
async def switch_language(request: Request, code: str, next: str | None = None,
                          db: Database = Depends(get_db)) -> RedirectResponse:
    locale = i18n.normalise(code) or i18n.DEFAULT
    await _remember(request, db, locale)
    response = redirect(safe_next(next), status_code=303)
    response.set_cookie(i18n.COOKIE, locale, max_age=365 * 86400, samesite="lax", path="/")
    return response


@router.post("/lang")
async def switch_language_keeping_input(request: Request, db: Database = Depends(get_db)) -> RedirectResponse:
    """The switcher of a page shown for a POST: back to the form's GET page with its draft (what was
    typed and the errors), in the chosen language."""
    form = await request.form()
    check_csrf(request, str(form.get("csrf_token") or ""))
    locale = i18n.normalise(str(form.get("lang") or "")) or i18n.DEFAULT
    await _remember(request, db, locale)
    target = safe_next(str(form.get("next") or ""))
    draft = str(form.get("draft") or "")
    if draft and target != "/":
        target = forms.with_draft(target, draft)
    response = redirect(target, status_code=303)
    response.set_cookie(i18n.COOKIE, locale, max_age=365 * 86400, samesite="lax", path="/")
    return response


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str | None = None) -> Response:
    return render(request, "auth/login.html", {"next": safe_next(next, "")})


@router.post("/login", response_class=HTMLResponse)
async def login(request: Request, db: Database = Depends(get_db)) -> Response:
    data = await form_data(request)
    next_url = safe_next(data.get("next"), "")
    try:
        token, user, stage = await run_in_threadpool(  # a password hash: never on the event loop
            service.start_sign_in, db, email=data.get("email", ""), password=data.get("password", ""),
            ip=client_ip(request))
    except DomainError as exc:
        data.pop("password", None)
        return refused_page(request, "auth/login.html", {"values": data, "next": next_url}, exc, "email")
    if stage == sessions.CODE:
        response = redirect("/login/code" + (f"?next={quote(next_url)}" if next_url else ""))
    elif stage == sessions.ENROL:
        response = redirect("/account/second-factor" + (f"?next={quote(next_url)}" if next_url else ""))
    else:
        response = redirect(next_url or home_for(user))
    set_session_cookie(request, response, token)
    return response


@router.get("/login/code", response_class=HTMLResponse)
def code_page(request: Request, next: str | None = None, db: Database = Depends(get_db)) -> Response:
    found = service.pending(db, request.cookies.get(SESSION_COOKIE))
    if found is None or found[1] != sessions.CODE:
        return redirect("/login")
    return render(request, "auth/login_code.html", {"next": safe_next(next, "")})


@router.post("/login/code", response_class=HTMLResponse)
async def code(request: Request, db: Database = Depends(get_db)) -> Response:
    data = await form_data(request)
    next_url = safe_next(data.get("next"), "")
    try:
        token, user = service.complete_sign_in(db, token=request.cookies.get(SESSION_COOKIE),
                                               code=data.get("code", ""), ip=client_ip(request))
    except BadCredentials:
        return redirect("/login")
    except DomainError as exc:
        return render(request, "auth/login_code.html", {"next": next_url}, errors=form_errors(exc, "code"),
                      status_code=exc.status)
    response = redirect(next_url or home_for(user))
    set_session_cookie(request, response, token)
    return response


@router.post("/logout")
async def logout(request: Request, db: Database = Depends(get_db)) -> Response:
    await form_data(request)
    service.sign_out(db, token=request.cookies.get(SESSION_COOKIE), ip=client_ip(request))
    response = redirect("/login?signed_out=1")
    set_session_cookie(request, response, None)
    return response


@router.get("/signup", response_class=HTMLResponse)
def signup_page(request: Request) -> Response:
    return render(request, "auth/signup.html")


@router.post("/signup", response_class=HTMLResponse)
async def signup(request: Request, db: Database = Depends(get_db)) -> Response:
    data = await form_data(request)
    try:
        await run_in_threadpool(signups.request_sign_up, db, email=data.get("email", ""),
                                password=data.get("password", ""), display_name=data.get("display_name", ""),
                                ip=client_ip(request))
    except DomainError as exc:
        data.pop("password", None)
        return refused_page(request, "auth/signup.html", {"values": data}, exc, "email")
    return redirect("/signup/sent")


@router.get("/signup/sent", response_class=HTMLResponse)
def signup_sent(request: Request) -> Response:
    """The one answer of a sign-up, whether the address had an account or not."""
    return render(request, "auth/signup_sent.html", {"hours": signups.LINK_HOURS})


@router.get("/signup/confirm/{token}", response_class=HTMLResponse)
def signup_confirm_page(token: str, request: Request) -> Response:
    signups.check_link(token)
    return render(request, "auth/signup_confirm.html", {"token": token})


@router.post("/signup/confirm/{token}", response_class=HTMLResponse)
async def signup_confirm(token: str, request: Request, db: Database = Depends(get_db)) -> Response:
    await form_data(request)
    session, _user = await run_in_threadpool(signups.confirm_sign_up, db, token=token, ip=client_ip(request))
    response = redirect("/my/link")
    set_session_cookie(request, response, session)
    return response


@router.get("/my/link", response_class=HTMLResponse)
def link_page(request: Request, user: CurrentUser = Depends(require("account.link_permit"))) -> Response:
    return render(request, "auth/link.html", {"values": {}})


@router.post("/my/link", response_class=HTMLResponse)
async def link(request: Request, db: Database = Depends(get_db),
               user: CurrentUser = Depends(require("account.link_permit"))) -> Response:
    data = await form_data(request)
    try:
        service.link_permit(db, user=user, family_name=data.get("family_name", ""),
                            given_names=data.get("given_names", ""), permit_number=data.get("permit_number", ""),
                            passport_number=data.get("passport_number", ""), ip=client_ip(request))
    except DomainError as exc:
        return render(request, "auth/link.html", {"values": data}, errors=form_errors(exc, "family_name"),
                      status_code=exc.status)
    return redirect("/my")
