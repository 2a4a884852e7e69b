"""JSON: sign-in (cookie session + CSRF token for later calls), sign-out, who am I, link permit."""

from __future__ import annotations

from fastapi import Depends, Request, Response

from permitcard.auth import service
from permitcard.auth.deps import SESSION_COOKIE, client_ip, get_db, require
from permitcard.auth.schemas import LinkPermit, Me, SignIn, SignUp, SignUpConfirm, SignUpSent
from permitcard.auth.service import CurrentUser, signup
from permitcard.config import get_settings
from permitcard.db import Database
from permitcard.shared import i18n
from permitcard.shared.openapi import errors
from permitcard.shared.routes import Routes
from permitcard.shared.web import csrf_token, set_session_cookies

router = Routes(prefix="/api/v1", tags=["account"])


def set_session_cookie(request: Request, response: Response, token: str | None) -> str:
    """Set the session cookie (None: end it) and rotate the CSRF token, which is returned: it is bound
    to the new session. Secure and the __Host- prefix are added in production by the middleware."""
    return set_session_cookies(request, response, {SESSION_COOKIE: token},
                               max_age=get_settings().session_absolute_hours * 3600)


def me_out(request: Request, user: CurrentUser, csrf: str | None = None) -> Me:
    """The signed-in account as the API shows it, with the CSRF token for the next requests (``csrf``:
    the one just issued with a new session)."""
    return Me(**{k: getattr(user, k) for k in Me.model_fields if k != "csrf_token"},
              csrf_token=csrf or csrf_token(request))


@router.post("/session", response_model=Me, responses=errors(401, 403, 422, 429))
def sign_in(body: SignIn, request: Request, response: Response, db: Database = Depends(get_db)) -> Me:
    """Sign in with the password and, for staff and anyone who turned it on, the `totp_code` from the
    authenticator app (a code is good once). The session cookie is set; send `csrf_token` as
    `X-CSRF-Token` on later changes."""
    token, user = service.sign_in(db, email=body.email, password=body.password, ip=client_ip(request),
                                  code=body.totp_code)
    return me_out(request, user, set_session_cookie(request, response, token))


@router.delete("/session", status_code=204, responses=errors(401, 403))
def sign_out(request: Request, response: Response, db: Database = Depends(get_db),
             _user: CurrentUser = Depends(require())) -> None:
    service.sign_out(db, token=request.cookies.get(SESSION_COOKIE), ip=client_ip(request))
    set_session_cookie(request, response, None)


@router.get("/me", response_model=Me, responses=errors(401))
def me(request: Request, user: CurrentUser = Depends(require())) -> Me:
    return me_out(request, user)


@router.post("/accounts", response_model=SignUpSent, status_code=202, responses=errors(422, 429))
def sign_up(body: SignUp, request: Request, db: Database = Depends(get_db)) -> SignUpSent:
    """An applicant asks for an account. The answer is the same whether the address already has one or
    not: a message goes to the address, with the link that creates the account (`POST
    /api/v1/accounts/confirm` with its token) or, for an address with an account, how to sign in."""
    signup.request_sign_up(db, email=body.email, password=body.password, display_name=body.display_name,
                           ip=client_ip(request))
    return SignUpSent(detail=i18n.gettext(signup.SENT))


@router.post("/accounts/confirm", response_model=Me, status_code=201, responses=errors(404))
def confirm_sign_up(body: SignUpConfirm, request: Request, response: Response,
                    db: Database = Depends(get_db)) -> Me:
    """The token of the e-mailed sign-up link (the last part of `/signup/confirm/<token>`): the account is
    created and signed in."""
    token, user = signup.confirm_sign_up(db, token=body.token, ip=client_ip(request))
    return me_out(request, user, set_session_cookie(request, response, token))


@router.post("/me/permit-link", response_model=Me, responses=errors(401, 403, 422))
def link_permit(body: LinkPermit, request: Request, db: Database = Depends(get_db),
                user: CurrentUser = Depends(require("account.link_permit"))) -> Me:
    """Link the signed-in applicant to their work permit (name, permit number, passport must match)."""
    updated = service.link_permit(db, user=user, ip=client_ip(request), **body.model_dump())
    return me_out(request, updated)
