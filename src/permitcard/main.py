"""create_app(): the web app over what ``bootstrap`` assembles: middleware, static files, and the one place
domain errors become HTTP."""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from functools import partial
from typing import Any
from urllib.parse import quote, urlsplit

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import cookie_parser
from swagger_ui_bundle import swagger_ui_path

from permitcard import __version__, bootstrap
from permitcard.auth.domain import Role
from permitcard.config import Settings, get_settings
from permitcard.db import Database
from permitcard.policy import service as policy
from permitcard.shared import audit, clock, forms, i18n, labels, passwords
from permitcard.shared.audit import Actor
from permitcard.shared.errors import N_, TOO_LONG, TOO_SHORT, DomainError, FieldError, ValidationFailed
from permitcard.shared.inputs import check_request
from permitcard.shared.limits import BodyLimitMiddleware, BodyTooLarge, human_size
from permitcard.shared.web import (
    CSRF_COOKIE,
    CSRF_COOKIE_ATTRIBUTES,
    PACKAGE_DIR,
    CsrfFailed,
    csrf_binding,
    csrf_valid,
    problem,
    render,
    templates,
)
from permitcard.shared.web import new_csrf as new_csrf_token

log = logging.getLogger("permitcard")

NAV: dict[Role, list[tuple[str, str]]] = {
    Role.APPLICANT: [("/my", N_("My card"))],
    Role.EMPLOYER: [("/employer", N_("Home")), ("/employer/permits", N_("Work permits")),
                    ("/employer/insurance", N_("Social insurance")), ("/employer/colleagues", N_("HR colleagues"))],
    Role.PERMIT_OFFICER: [("/officer", N_("Home")), ("/officer/permits", N_("Permit applications")),
                          ("/officer/employers", N_("Employer registrations"))],
    Role.AGENCY_CLERK: [("/agency", N_("Home")), ("/agency/insurance", N_("Insurance registrations")),
                        ("/agency/cards", N_("Card applications"))],
    Role.BANK_CLERK: [("/branch", N_("Branch queue")), ("/branch/applications/new", N_("Paper application"))],
    Role.PHOTO_STUDIO: [("/studio/photos", N_("Card photos"))],
    Role.AUDITOR: [("/audit", N_("Audit log")), ("/officer/permits", N_("Permit applications")),
                   ("/agency/cards", N_("Card applications")), ("/admin/policy", N_("Rules per city"))],
    Role.ADMIN: [("/admin", N_("Home")), ("/admin/accounts", N_("Staff accounts")),
                 ("/admin/studios", N_("Photo studios")), ("/admin/calendar", N_("Working-day calendar")),
                 ("/admin/policy", N_("Rules per city")), ("/audit", N_("Audit log"))],
}


def nav_links(user: Any) -> list[tuple[str, str]]:
    return [(href, i18n.gettext(label)) for href, label in NAV.get(Role(user.role), [])]


def role_label(role: str) -> str:
    """A role's label (translated; ``_()`` of it in a template is harmless); the audit log also names
    "system" and "anonymous" actors."""
    return labels.label(role, "role")


def city_name(db: Database, code: str | None = None) -> str:
    """The name of a city (default: the default city) in the reader's language, from the city data."""
    for c in policy.city_names(db):
        if c.code == code or (code is None and c.is_default):
            return c.name
    return ""


def city_rules(db: Database, code: str | None = None) -> policy.Policy:
    """The rules of a city (default: the default city) in force today, for what pages promise."""
    with db.uow(write=False) as s:
        return policy.policy_for(s, city=code, on=clock.today())


templates.globals.update(nav_links=nav_links, role_label=role_label)

_VALIDATION_MESSAGES = {
    "missing": N_("This field is required"),
    "string_too_long": TOO_LONG,
    "string_too_short": TOO_SHORT,
    "date_parsing": N_("Enter a real date as YYYY-MM-DD"),
    "date_from_datetime_parsing": N_("Enter a real date as YYYY-MM-DD"),
    "date_type": N_("Enter a real date as YYYY-MM-DD"),
    "int_parsing": N_("Enter a whole number"),
    "int_type": N_("Enter a whole number"),
    "enum": N_("Choose one of: %(expected)s"),
    "literal_error": N_("Choose one of: %(expected)s"),
    "json_invalid": N_("The request body is not valid JSON"),
    "model_attributes_type": N_("The request body must be a JSON object"),
    "dict_type": N_("The request body must be a JSON object"),
    "string_type": N_("Enter text"),
    "bool_parsing": N_("Enter true or false"),
    "string_pattern_mismatch": N_("The value is not in the expected format"),
}


def _field_errors(exc: RequestValidationError) -> list[FieldError]:
    result = []
    for err in exc.errors():
        kind = err.get("type", "")
        # Invalid JSON is located at a character position of the body: the field is the body itself.
        loc = [] if kind == "json_invalid" else [
            str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path", "form")]
        ctx = {k: v for k, v in (err.get("ctx") or {}).items() if isinstance(v, str | int)}
        expected = ctx.get("expected")
        if isinstance(expected, str):  # pydantic's "'A', 'B' or 'C'": no English word in any language
            ctx["expected"] = ", ".join(p for p in re.split(r", | or ", expected) if p != "''")
        message = _VALIDATION_MESSAGES.get(kind, N_("This value is not valid"))
        result.append(FieldError(".".join(loc) or "body", message, ctx))
    return result


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _same_origin_referer(request: Request) -> str | None:
    ref = request.headers.get("referer")
    if not ref:
        return None
    parts = urlsplit(ref)
    if parts.netloc and parts.netloc != request.url.netloc:
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


async def _error_page(request: Request, status: int, heading: str, message: str) -> HTMLResponse:
    """An error in the site's layout: the header, the reader's menu and sign-out, why, and where to go."""
    from permitcard.auth.deps import optional_user
    from permitcard.auth.pages.signin import home_for

    user = getattr(request.state, "user", None)
    if status != 500 and user is None:  # never touch the database again for an unexpected error
        try:
            user = await optional_user(request)
        except Exception:  # the page still shows, without the menu
            log.exception("could not find the user of an error page")
    request.state.user = user
    return render(request, "error.html", {"heading": heading, "message": message, "status": status,
                                          "home": home_for(user) if user else "/",
                                          "back": _same_origin_referer(request)}, status_code=status)


async def _record_denied(request: Request, exc: DomainError) -> None:
    """A refused request (403: no permission, or a CSRF token that does not match) is a security event."""
    from permitcard.auth.deps import client_ip, optional_user

    db = request.app.state.db
    user = await optional_user(request)  # who, even where the route refused before asking
    actor = user.actor(client_ip(request)) if user is not None else Actor.anonymous(client_ip(request))
    action = "security.csrf_failed" if isinstance(exc, CsrfFailed) else "security.forbidden"
    await run_in_threadpool(audit.record_security, db, actor=actor, action=action,
                            target_type="request", target_id=request.url.path[:64],
                            note=f"{request.method} {request.url.path}"[:500])


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError) -> Response:
        if exc.status == 403:
            await _record_denied(request, exc)
        response = await _domain_error(request, exc)
        retry_after = getattr(exc, "retry_after", None)
        if retry_after:  # 429: how long to wait
            response.headers["Retry-After"] = str(retry_after)
        return response

    async def _domain_error(request: Request, exc: DomainError) -> Response:
        if isinstance(exc, forms.AlreadySent):  # the same form again: where the first sending went
            return Response(status_code=303, headers={"location": exc.location})
        if _is_api(request):
            return problem(request, exc)
        if exc.status == 401:
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return Response(status_code=303, headers={"location": f"/login?next={quote(target)}"})
        message = i18n.translate(exc.message, exc.params)
        if isinstance(exc, ValidationFailed):
            message = "; ".join(i18n.translate(e.message, e.params) for e in exc.errors)
        return await _error_page(request, exc.status, i18n.translate(exc.title, exc.params), message)

    @app.exception_handler(RequestValidationError)
    async def request_validation(request: Request, exc: RequestValidationError) -> Response:
        failed = ValidationFailed(_field_errors(exc))
        if _is_api(request):
            return problem(request, failed)
        return await _error_page(request, 404, i18n.gettext("Page not found"),
                           i18n.gettext("If you typed the web address, check it is correct."))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        titles = {404: N_("Page not found"), 405: N_("This action is not available here"),
                  413: N_("The file is too large")}
        title = titles.get(exc.status_code, N_("The request cannot be processed"))
        if isinstance(exc, BodyTooLarge):
            return await _too_large(request, exc)
        if _is_api(request):
            err = DomainError(title)
            err.status, err.code, err.title = exc.status_code, f"http_{exc.status_code}", title
            return problem(request, err)
        reasons = {405: N_("This address only answers the form on its page. Open the page and use its button; "
                           "a bookmark or a reloaded result page cannot send the form again."),
                   413: N_("Send a smaller file.")}
        reason = reasons.get(exc.status_code, N_("If you typed the web address, check it is correct."))
        return await _error_page(request, exc.status_code, i18n.gettext(title), i18n.gettext(reason))

    async def _too_large(request: Request, exc: BodyTooLarge) -> Response:
        title = N_("The request is too large")
        message = N_("This page accepts at most %(limit)s. If you are sending a file, make it smaller.")
        err = DomainError(message, limit=human_size(exc.limit))
        err.status, err.code, err.title = 413, "too_large", title
        if _is_api(request):
            return problem(request, err)
        return await _error_page(request, 413, i18n.gettext(title), i18n.translate(message, err.params))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        title = N_("Sorry, there is a problem with the service")
        if _is_api(request):
            err = DomainError(title)
            err.status, err.code, err.title = 500, "internal_error", title
            return problem(request, err)
        return await _error_page(request, 500, i18n.gettext(title),
                           i18n.gettext("Try again later. Nothing you saved before has been lost."))


HOST_PREFIX = "__Host-"


def host_only_cookie(header: str) -> str:
    """A Set-Cookie header as production sends it: the ``__Host-`` prefix, Secure, Path=/ and no Domain
    (RFC 6265bis §4.1.3.2), so no sibling site can set or overwrite it and it never travels in clear."""
    first, _, rest = header.partition(";")
    name, _, value = first.strip().partition("=")
    kept = [a.strip() for a in rest.split(";") if a.strip()
            and a.strip().split("=", 1)[0].strip().lower() not in ("domain", "path", "secure")]
    if not name.startswith(HOST_PREFIX):
        name = HOST_PREFIX + name
    return "; ".join([f"{name}={value}", *kept, "Path=/", "Secure"])


def _host_only_request_cookies(raw: str) -> str:
    """The request's cookies without the prefix, keeping only the prefixed ones (a cookie without it
    may have been planted by another site of the domain, over http)."""
    parts = [p.strip() for p in raw.split(";")]
    return "; ".join(p[len(HOST_PREFIX):] for p in parts if p.startswith(HOST_PREFIX))


async def _settle_form_token(scope: MutableMapping[str, Any], message: MutableMapping[str, Any]) -> None:
    """A POST that claimed a one-time form token answered: a 303 keeps where it went (a second sending
    of the same form goes there), anything else frees the token."""
    token = (scope.get("state") or {}).get("form_token")
    if not token:
        return
    location = None
    if message.get("status") == 303:
        location = next((v.decode("latin-1") for k, v in message.get("headers", []) if k.lower() == b"location"), None)
    try:
        await run_in_threadpool(forms.settle, scope["app"].state.db, token, location)
    except Exception:  # the answer still goes out; the token is forgotten in two days
        log.exception("could not settle a form token")


class WebMiddleware:
    """Pure ASGI: the request's language, a CSRF token bound to the session for every visitor, security
    headers; in production (or with PERMITCARD_COOKIE_SECURE) every cookie is ``__Host-`` and Secure."""

    def __init__(self, app: Callable[..., Awaitable[None]], settings: Settings) -> None:
        self.app = app
        self.secure = settings.cookie_secure or settings.is_production

    async def __call__(self, scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        passwords.serving_request.set(True)  # this task serves a request: no password hash on its loop
        if self.secure:
            scope["headers"] = [(k, _host_only_request_cookies(v.decode("latin-1")).encode("latin-1"))
                                if k == b"cookie" else (k, v) for k, v in scope.get("headers", [])]
        cookie_header = accept_language = None
        for k, v in scope.get("headers", ()):
            if k == b"cookie":
                cookie_header = v.decode("latin-1")
            elif k == b"accept-language":
                accept_language = v.decode("latin-1")
        # Starlette's parser (as Request.cookies): what browsers send, and never an error for a malformed header.
        cookies = cookie_parser(cookie_header) if cookie_header else {}
        i18n.set_locale(i18n.negotiate(cookies.get(i18n.COOKIE), accept_language))
        new_csrf = None
        binding = csrf_binding(cookies)
        if not csrf_valid(cookies.get(CSRF_COOKIE), binding):  # none yet, or from another session
            new_csrf = new_csrf_token(binding)
            scope.setdefault("state", {})["new_csrf"] = new_csrf
        path: str = scope.get("path", "")
        static = path.startswith(("/static/", "/static-docs/"))

        async def send_wrapper(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                await _settle_form_token(scope, message)
                h = list(message.get("headers", []))
                h.append((b"content-language", i18n.html_lang().encode()))
                h.append((b"vary", b"Accept-Language, Cookie"))
                h.append((b"x-content-type-options", b"nosniff"))
                h.append((b"referrer-policy", b"same-origin"))
                if not static:
                    h.append((b"cache-control", b"no-store"))
                    h.append((b"x-frame-options", b"DENY"))
                    if not path.startswith("/docs"):
                        h.append((b"content-security-policy",
                                  b"default-src 'self'; img-src 'self' data:; style-src 'self'; "
                                  b"script-src 'self'; frame-ancestors 'none'; form-action 'self'"))
                if self.secure:
                    h.append((b"strict-transport-security", b"max-age=31536000; includeSubDomains"))
                csrf_prefix = f"{CSRF_COOKIE}=".encode()
                if new_csrf and not any(k == b"set-cookie" and v.startswith(csrf_prefix) for k, v in h):
                    h.append((b"set-cookie", f"{CSRF_COOKIE}={new_csrf}{CSRF_COOKIE_ATTRIBUTES}".encode()))
                if self.secure:
                    h = [(k, host_only_cookie(v.decode("latin-1")).encode("latin-1")) if k == b"set-cookie"
                         else (k, v) for k, v in h]
                message["headers"] = h
            await send(message)

        await self.app(scope, receive, send_wrapper)


def create_app(
    settings: Settings | None = None, db: Database | None = None, *, adapters: bootstrap.Adapters | None = None,
) -> FastAPI:
    """The web application over what ``bootstrap`` assembles (the adapters the settings choose, unless
    given). It only writes events; ``permitcard worker`` processes deliver them."""
    settings = settings or get_settings()
    chosen = bootstrap.bootstrap(settings, adapters=adapters)
    # A database of its own (a served app): SQLite's log is checkpointed by a thread, never in a commit.
    database = db or Database.from_url(settings.database_url, background_checkpoints=True)

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        if db is None:
            await run_in_threadpool(database.close)

    app = FastAPI(
        lifespan=lifespan,
        title="permitcard",
        version=__version__,
        description="Foreign work permits on the social security card: the Work-in-China registry, "
        "social insurance registration, the physical card at the issuing banks and the e-card. "
        "Sign in with `POST /api/v1/session`; send the returned `csrf_token` as `X-CSRF-Token` "
        "on every request that changes something. Errors are `application/problem+json` in the "
        "language of `Accept-Language` (English or Simplified Chinese).",
        docs_url=None,
        redoc_url=None,
        # Every route: no control or text-direction characters, no integer the database cannot hold.
        dependencies=[Depends(check_request)],
    )
    app.state.db = database
    # Pages name the city and promise its rules from the data of this app's database.
    templates.globals.update(city_name=partial(city_name, database), city_rules=partial(city_rules, database))
    app.state.settings = settings
    app.state.adapters = chosen
    app.add_middleware(BodyLimitMiddleware, settings=settings)
    app.add_middleware(WebMiddleware, settings=settings)
    _install_error_handlers(app)
    app.mount("/static", StaticFiles(directory=str(PACKAGE_DIR / "static")), name="static")
    app.mount("/static-docs", StaticFiles(directory=str(swagger_ui_path)), name="static-docs")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        page = get_swagger_ui_html(openapi_url="/openapi.json", title="permitcard API",
                                   swagger_js_url="/static-docs/swagger-ui-bundle.js",
                                   swagger_css_url="/static-docs/swagger-ui.css",
                                   swagger_favicon_url="/static-docs/favicon-32x32.png")
        # The API reference (its descriptions) is written in English: say so to screen readers (WCAG 3.1.1).
        html = bytes(page.body).decode().replace("<html>", '<html lang="en">', 1)
        return HTMLResponse(html)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> JSONResponse:
        return JSONResponse({"status": "ok", "version": __version__})

    bootstrap.include_routers(app)
    return app
