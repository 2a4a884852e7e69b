"""What every router shares: the template environment, page rendering, CSRF, forms, problem+json."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool

from permitcard.shared import clock, forms, i18n, labels, search
from permitcard.shared.errors import N_, DomainError, FieldError, ValidationFailed
from permitcard.shared.pagination import shown_count

PACKAGE_DIR = Path(__file__).resolve().parent.parent
CSRF_COOKIE = "pc_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
# The cookies that say who is signed in: the account's session and the e-card's page session. A CSRF
# token is bound to their values, so it changes at every sign-in and sign-out and is good in no other
# session. (In production every cookie carries the __Host- prefix: ``main.WebMiddleware``.)
SESSION_COOKIE = "pc_session"
ECARD_COOKIE = "pc_ecard"
SESSION_COOKIES = (SESSION_COOKIE, ECARD_COOKIE)


def _loader(context_dirs: list[Path]) -> jinja2.BaseLoader:
    folders = [PACKAGE_DIR / "templates", *context_dirs]
    return jinja2.ChoiceLoader([jinja2.FileSystemLoader(str(folder)) for folder in folders])


def use_template_dirs(context_dirs: list[Path]) -> None:
    """Where the contexts' templates are (after the shared ones): set by ``permitcard.bootstrap``."""
    templates.loader = _loader(context_dirs)


def _build_env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=_loader([]),
        autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.install_gettext_callables(  # type: ignore[attr-defined]
        lambda m: i18n.translations(i18n.get_locale()).gettext(m),
        lambda s, p, n: i18n.translations(i18n.get_locale()).ngettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, m: i18n.translations(i18n.get_locale()).pgettext(c, m),
        npgettext=lambda c, s, p, n: i18n.translations(i18n.get_locale()).npgettext(c, s, p, n),
    )
    env.globals.update(i18n.jinja_globals())
    env.globals["translate"] = i18n.translate
    env.globals["permit_status_label"] = permit_status_label
    env.globals["shown_count"] = shown_count
    env.globals["search_cap"] = lambda: search.SEARCH_CAP
    env.filters["label"] = labels.label
    env.globals["today"] = clock.today
    env.globals["audit_value"] = labels.field_value
    return env


def permit_status_label(status: str | None) -> str:
    """A permit's status in the reader's language (the ``permit_status`` labels)."""
    return labels.label(status, "permit_status")


def _catalog_markers() -> None:  # pragma: no cover - never called: puts these contexts in the catalog
    i18n.pgettext("permit status", "Valid")
    i18n.pgettext("permit status", "Cancelled")
    i18n.pgettext("permit status", "Expired")
    i18n.pgettext("permit status", "Not yet valid")


templates = _build_env()


# --- CSRF: a signed double-submit token bound to the session ------------------------------------------
#
# The token is ``<nonce>.<HMAC(key, nonce | session cookies)>``, kept in an HttpOnly SameSite=Strict
# cookie and sent back in the form field or the X-CSRF-Token header. It is accepted only when the
# two are equal AND its HMAC matches the session cookies the request carries: a token from another
# session (or from before a sign-in or after a sign-out) is refused. A new one is issued whenever
# the session cookies change (OWASP CSRF cheat sheet, "signed double-submit cookie").


def csrf_binding(cookies: Mapping[str, str]) -> str:
    """What a CSRF token is bound to: the values of the session cookies (empty when signed out)."""
    return "|".join(cookies.get(name, "") for name in SESSION_COOKIES)


def draft_owner(request: Request) -> str:
    """Whose a form draft is: the session cookies of the request (``forms.save_draft``)."""
    return csrf_binding(request.cookies)


def new_csrf(binding: str) -> str:
    from permitcard.shared.crypto import csrf_mac

    nonce = secrets.token_urlsafe(18)
    return f"{nonce}.{csrf_mac(nonce + '|' + binding)}"


def csrf_valid(token: str | None, binding: str) -> bool:
    """Whether ``token`` was issued for the session cookies ``binding``."""
    from permitcard.shared.crypto import csrf_mac

    if not token or len(token) > 200 or token.count(".") != 1:
        return False
    nonce, mac = token.split(".")
    return hmac.compare_digest(mac, csrf_mac(nonce + "|" + binding))


# Secure and the __Host- prefix are added to every cookie by ``main.WebMiddleware`` where they apply.
CSRF_COOKIE_ATTRIBUTES = "; Path=/; SameSite=Strict; HttpOnly"


def csrf_token(request: Request) -> str:
    """The token to put in this response's forms (or give an API client): the request's own, or the
    one the middleware issues with this response when the request's is missing or stale."""
    cookie = request.cookies.get(CSRF_COOKIE)
    if csrf_valid(cookie, csrf_binding(request.cookies)):
        return str(cookie)
    token = getattr(request.state, "new_csrf", None)
    if not token:
        token = new_csrf(csrf_binding(request.cookies))
        request.state.new_csrf = token
    return str(token)


def set_session_cookies(request: Request, response: Response, values: Mapping[str, str | None], *,
                        max_age: int) -> str:
    """Set (a value) or end (None) session cookies, and rotate the CSRF token to match: the new token,
    bound to the session cookies as they are now, is returned (API clients send it back)."""
    request_cookies = dict(request.cookies)
    for name, value in values.items():
        if value is None:
            response.delete_cookie(name, path="/")
            request_cookies[name] = ""
        else:
            response.set_cookie(name, value, httponly=True, samesite="lax", max_age=max_age, path="/")
            request_cookies[name] = value
    token = new_csrf(csrf_binding(request_cookies))
    response.raw_headers.append((b"set-cookie", f"{CSRF_COOKIE}={token}{CSRF_COOKIE_ATTRIBUTES}".encode()))
    return token


class CsrfFailed(DomainError):
    status = 403
    code = "csrf_failed"
    title = N_("Your form expired. Go back, reload the page and send it again.")


class CsrfHeaderMissing(CsrfFailed):
    code = "csrf_header_missing"
    title = N_("Missing CSRF header X-CSRF-Token: send the csrf_token of POST /api/v1/session or GET "
               "/api/v1/me in it on every request that changes something.")


class CsrfHeaderStale(CsrfFailed):
    code = "csrf_token_stale"
    title = N_("The X-CSRF-Token header does not belong to this session (it changes at every sign-in and "
               "sign-out): take the csrf_token of GET /api/v1/me.")


def check_csrf(request: Request, submitted: str | None, *, api: bool = False) -> None:
    cookie = request.cookies.get(CSRF_COOKIE)
    if api and not submitted:
        raise CsrfHeaderMissing()
    if (not cookie or not submitted or not hmac.compare_digest(cookie, submitted)
            or not csrf_valid(cookie, csrf_binding(request.cookies))):
        raise CsrfHeaderStale() if api else CsrfFailed()


def bearer_token(request: Request) -> str | None:
    """The token of an ``Authorization: Bearer`` header, if the request carries one."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def check_api_csrf(request: Request, *, bearer_authenticated: bool) -> None:
    """An API request that changes something needs the ``X-CSRF-Token`` header when cookies
    authenticate it. A request authenticated by a bearer token needs none: a browser never adds that
    header to a forged cross-site request by itself, so there is nothing to forge."""
    if bearer_authenticated or request.method in SAFE_METHODS:
        return
    check_csrf(request, request.headers.get(CSRF_HEADER), api=True)


async def form_data(request: Request) -> dict[str, str]:
    """Read a posted form (after the CSRF check); every value a stripped string. A form sent before
    (its one-time token already used) raises ``forms.AlreadySent``: the page goes where it went then."""
    form = await request.form()
    check_csrf(request, str(form.get(CSRF_FIELD) or ""))
    await claim_form_token(request, str(form.get(forms.TOKEN_FIELD) or ""))
    request.state.form_page = str(form.get(forms.PAGE_FIELD) or "")
    return {k: v.strip() if isinstance(v, str) else v for k, v in form.items()  # type: ignore[misc]
            if k not in (CSRF_FIELD, forms.TOKEN_FIELD, forms.PAGE_FIELD)}


async def claim_form_token(request: Request, token: str) -> None:
    if token and not hasattr(request.state, "form_token"):
        await run_in_threadpool(forms.claim, request.app.state.db, token)
        request.state.form_token = token[:64]


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    status_code: int = 200,
    errors: list[FieldError] | None = None,
) -> HTMLResponse:
    ctx: dict[str, Any] = {
        "request": request,
        "user": getattr(request.state, "user", None),
        "csrf_token": csrf_token(request),
        "locale": i18n.get_locale(),
        "errors": errors or [],
        "error_for": {e.field: i18n.translate(e.message, e.params) for e in (errors or [])},
        "values": {},
        "path": request.url.path,
        "query": request.url.query,
    }
    ctx.update(context or {})
    _keep_typing(request, ctx, errors or [])
    html = templates.get_template(template).render(ctx)
    return HTMLResponse(html, status_code=status_code)


def _keep_typing(request: Request, ctx: dict[str, Any], errors: list[FieldError]) -> None:
    """The language switch never loses what was typed. A page shown for a POST (a form with errors)
    keeps its values and errors in a draft; its switcher posts to ``/lang`` with the draft and the
    form's GET page, which shows them again in the other language. Plain GET pages link to
    ``/lang/<code>?next=<this page>``."""
    db = getattr(request.app.state, "db", None) if "app" in request.scope else None
    if request.method == "GET":
        draft_id = request.query_params.get(forms.DRAFT_PARAM)
        found = None
        if draft_id and db is not None:
            found = forms.load_draft(db, draft_id, path=request.url.path, owner=draft_owner(request))
        if found is not None:
            values, kept = found
            ctx["values"] = {**(ctx.get("values") or {}), **values}
            ctx["errors"] = kept
            ctx["error_for"] = {e.field: i18n.translate(e.message, e.params) for e in kept}
        query = urlencode([(k, v) for k, v in request.query_params.multi_items() if k != forms.DRAFT_PARAM])
        ctx["lang_next"] = request.url.path + (f"?{query}" if query else "")
        ctx["lang_draft"] = ""
        # A page showing a draft (after Back, reload or a switch) switches language with it, still shown.
        ctx["lang_link"] = forms.with_draft(ctx["lang_next"], draft_id) if found and draft_id else ctx["lang_next"]
        return
    ctx["lang_next"] = _get_page_of(request)
    ctx["lang_draft"] = ""
    if db is not None and ctx["lang_next"].split("?")[0] != "/":
        values = ctx.get("values") or {}
        ctx["lang_draft"] = forms.save_draft(db, path=ctx["lang_next"].split("?")[0],
                                             values=dict(values) if isinstance(values, Mapping) else {},
                                             errors=list(ctx.get("errors") or errors),
                                             owner=draft_owner(request))
        # In the history this page becomes that GET page with the draft (static/as-get.js): Back and
        # reload show the same values and errors again, never "Confirm form resubmission".
        ctx["get_url"] = forms.with_draft(ctx["lang_next"], ctx["lang_draft"])


def _get_page_of(request: Request) -> str:
    """The GET page where the posted form is shown: the page it says (``form_page``), else the
    same-origin Referer."""
    from urllib.parse import urlsplit

    page = getattr(request.state, "form_page", "")
    if page.startswith("/") and not page.startswith("//") and "\\" not in page:
        return page
    ref = request.headers.get("referer", "")
    parts = urlsplit(ref)
    if ref and parts.netloc == request.url.netloc and parts.path.startswith("/"):
        query = "&".join(p for p in parts.query.split("&") if p and not p.startswith(f"{forms.DRAFT_PARAM}="))
        return parts.path + (f"?{query}" if query else "")
    return "/"


def redirect(url: str, status_code: int = 303) -> RedirectResponse:
    return RedirectResponse(url, status_code=status_code)


def problem(request: Request, exc: DomainError) -> JSONResponse:
    """RFC 9457 problem details, the message in the request's language."""
    body: dict[str, Any] = {
        "type": f"about:blank#{exc.code}",
        "title": i18n.translate(exc.title, exc.params),
        "status": exc.status,
        "detail": i18n.translate(exc.message, exc.params),
        "code": exc.code,
    }
    if isinstance(exc, ValidationFailed):
        body["errors"] = [
            {"field": e.field, "message": i18n.translate(e.message, e.params)} for e in exc.errors
        ]
    return JSONResponse(body, status_code=exc.status, media_type="application/problem+json")


@dataclass
class Form:
    """Posted values and the errors found in them, for re-rendering a page as it was typed."""

    values: dict[str, str]
    errors: list[FieldError] = field(default_factory=list)

    def get(self, name: str) -> str:
        return str(self.values.get(name, "") or "")

    def error(self, name: str, message: str, **params: Any) -> None:
        self.errors.append(FieldError(name, message, params))

    def require(self, name: str, message: str) -> str:
        value = self.get(name)
        if not value:
            self.error(name, message)
        return value

    def date(self, prefix: str, *, required_message: str) -> date | None:
        """A date from three fields: ``prefix-day``, ``prefix-month``, ``prefix-year``."""
        d, m, y = (self.get(f"{prefix}-day"), self.get(f"{prefix}-month"), self.get(f"{prefix}-year"))
        if not (d or m or y):
            self.error(prefix, required_message)
            return None
        try:
            year = int(y)
            if year < 1900 or year > 2200:
                raise ValueError
            return date(year, int(m), int(d))
        except ValueError:
            self.error(prefix, N_("Enter a real date, for example 27 3 2030"))
            return None

    def raise_if_errors(self) -> None:
        if self.errors:
            raise ValidationFailed(self.errors)


def date_parts(value: date | None) -> dict[str, str]:
    if value is None:
        return {"day": "", "month": "", "year": ""}
    return {"day": str(value.day), "month": str(value.month), "year": str(value.year)}


def qr_svg(data: str, *, scale: int = 4, title: str = "") -> Markup:
    """An inline SVG QR code (segno). Cached: encoding costs ~7 ms, a cache hit microseconds."""
    return _qr_svg(data, scale, title)


@lru_cache(maxsize=2048)
def _qr_svg(data: str, scale: int, title: str) -> Markup:
    import io

    import segno

    buf = io.BytesIO()
    segno.make(data, error="m").save(buf, kind="svg", scale=scale, xmldecl=False, svgns=True,
                                      title=title or None, svgclass="qr", lineclass=None)
    return Markup(buf.getvalue().decode())  # noqa: S704 - segno output, no user markup


templates.globals["qr_svg"] = qr_svg
templates.globals["form_token"] = forms.new_token


def refused_page(request: Request, template: str, context: Mapping[str, Any], exc: DomainError,
                 field_name: str) -> HTMLResponse:
    """A form shown again with a refusal beside ``field_name``, with the refusal's status (and, for
    429, its Retry-After)."""
    response = render(request, template, context, errors=form_errors(exc, field_name), status_code=exc.status)
    retry_after = getattr(exc, "retry_after", None)
    if retry_after:
        response.headers["Retry-After"] = str(retry_after)
    return response


def form_errors(exc: DomainError, field_name: str) -> list[FieldError]:
    """Errors to show on a form: field errors as they are; a rule refusal beside ``field_name``."""
    if isinstance(exc, ValidationFailed):
        return exc.errors
    return [FieldError(field_name, exc.message, exc.params)]
