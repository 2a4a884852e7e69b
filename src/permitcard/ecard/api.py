"""JSON: the e-card for a mobile app — without cookies: bearer access tokens (10 min) with rotating
refresh tokens, revoked at sign-out and when the e-card password changes. Bearer requests need no
CSRF header; the same operations called with the page's session cookie do (``X-CSRF-Token``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import Depends, Request
from fastapi.responses import JSONResponse

from permitcard.auth.deps import client_ip, get_db
from permitcard.db import Database
from permitcard.ecard import service, views
from permitcard.ecard.deps import api_holder
from permitcard.ecard.schemas import (
    EcardCodeIn,
    EcardLoss,
    EcardOut,
    EcardPasswordChange,
    EcardPermitOut,
    EcardQrOut,
    EcardRefresh,
    EcardRegister,
    EcardRegistered,
    EcardSignIn,
    EcardSsn,
    EcardTokens,
    EcardVerificationOut,
)
from permitcard.ecard.service import Holder
from permitcard.shared import i18n
from permitcard.shared.openapi import Problem, errors
from permitcard.shared.routes import Routes
from permitcard.shared.web import qr_svg

router = Routes(prefix="/api/v1/ecard", tags=["e-card"])
public_router = Routes(include_in_schema=False)

_LIMITED: dict[int | str, dict[str, Any]] = {
    429: {"description": "Too many attempts from this account or address; see Retry-After", "model": Problem,
          "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}}


def _tokens(pair: service.TokenPair) -> EcardTokens:
    return EcardTokens(access_token=pair.access_token, refresh_token=pair.refresh_token, expires_in=pair.expires_in)


@router.post("/registrations", response_model=EcardRegistered, status_code=201, responses={**errors(409), **_LIMITED})
def register(body: EcardRegister, request: Request, db: Database = Depends(get_db)) -> EcardRegistered:
    """EcardRegister an e-card. A wrong combination of name, number and passport gets one generic answer.
    A one-time code goes to the contact on file; send it to `POST /verification`."""
    started = service.register(db, ip=client_ip(request), **body.model_dump())
    return EcardRegistered(verification_token=started.token, contact_masked=started.contact_masked,
                      contact_is_account=started.contact_is_account)


@router.post("/verification", response_model=EcardTokens, responses={**errors(401), **_LIMITED})
def verify(body: EcardCodeIn, request: Request, db: Database = Depends(get_db),
           holder: Holder = Depends(api_holder(pending=True))) -> EcardTokens:
    """Real-name verification: the one-time code (6 digits, 10 minutes, 5 tries, then a new code)."""
    ip = client_ip(request)
    service.verify_code(db, holder=holder, code=body.code, ip=ip, session=False)
    return _tokens(service.new_pair_for(db, account_id=holder.account_id, ip=ip))


@router.post("/verification/code", status_code=204, responses={**errors(401), **_LIMITED})
def resend(request: Request, db: Database = Depends(get_db),
           holder: Holder = Depends(api_holder(pending=True))) -> None:
    """Send a new one-time code (the previous one stops working)."""
    service.resend_code(db, holder=holder, ip=client_ip(request))


@router.post("/tokens", response_model=EcardTokens, responses={**errors(401), **_LIMITED})
def sign_in(body: EcardSignIn, request: Request, db: Database = Depends(get_db)) -> EcardTokens:
    """Sign in with the permit number or SSN and the e-card password: an access and a refresh token."""
    return _tokens(service.issue_tokens(db, number=body.number, password=body.password, ip=client_ip(request)))


@router.post("/tokens/refresh", response_model=EcardTokens, responses=errors(401))
def refresh(body: EcardRefresh, request: Request, db: Database = Depends(get_db)) -> EcardTokens:
    """Exchange a refresh token (used up) for a new pair. A used one sent again ends the whole sign-in."""
    return _tokens(service.refresh(db, refresh_token=body.refresh_token, ip=client_ip(request)))


@router.delete("/tokens", status_code=204, responses=errors(401, 403))
def sign_out(request: Request, db: Database = Depends(get_db), holder: Holder = Depends(api_holder())) -> None:
    """Sign out: this access token and its refresh tokens are revoked."""
    service.sign_out(db, holder=holder, ip=client_ip(request))


@router.put("/password", status_code=204, responses={**errors(401, 403), **_LIMITED})
def change_password(body: EcardPasswordChange, request: Request, db: Database = Depends(get_db),
                    holder: Holder = Depends(api_holder())) -> None:
    """A new e-card password; every session and token is revoked (sign in again)."""
    service.change_password(db, holder=holder, current=body.current_password, new=body.new_password,
                            new_again=body.new_password_again, ip=client_ip(request))


@router.get("", response_model=EcardOut, responses=errors(401))
def ecard(db: Database = Depends(get_db), holder: Holder = Depends(api_holder())) -> EcardOut:
    """The e-card: permit information, card status (the SSN masked)."""
    v = views.ecard(db, holder=holder)
    p = v.permit
    permit = None if p is None else EcardPermitOut(
        permit_number=p.permit_number, category=p.category, employer_name_en=p.employer_name_en,
        employer_name_zh=p.employer_name_zh, position=p.position, valid_from=p.valid_from, valid_to=p.valid_to,
        status=p.status)
    return EcardOut(name=v.name, permit=permit, service_state=v.service_state,  # type: ignore[arg-type]
                    waiting=i18n.gettext(v.waiting) if v.waiting else None, card_id=v.card.card_id,
                    card_state=v.card.card_state, card_version=v.card.card_version,
                    card_state_label=i18n.gettext(v.card_state_label), ssn_masked=v.ssn_masked)


@router.post("/ssn", response_model=EcardSsn, responses=errors(401, 403, 404))
def show_ssn(request: Request, db: Database = Depends(get_db), holder: Holder = Depends(api_holder())) -> EcardSsn:
    """The SSN in full (each showing is audited)."""
    return EcardSsn(ssn=views.reveal_ssn(db, holder=holder, ip=client_ip(request)))


@router.post("/loss", status_code=204, responses=errors(401, 403, 404, 409))
def report_loss(body: EcardLoss, request: Request, db: Database = Depends(get_db),
                holder: Holder = Depends(api_holder())) -> None:
    """Report the physical card lost: it is suspended at once, and the e-card with it."""
    views.report_loss(db, holder=holder, card_id=body.card_id, version=body.version, ip=client_ip(request))


@router.get("/qr", response_model=EcardQrOut, responses=errors(401, 422))
def qr_code(db: Database = Depends(get_db), holder: Holder = Depends(api_holder())) -> EcardQrOut:
    """A fresh dynamic QR code (signed token, valid `lifetime` seconds) and its SVG."""
    code = views.issue_qr(db, holder=holder)
    return EcardQrOut(token=code.token, url=code.url, expires_at=datetime.fromtimestamp(code.expires_at, tz=UTC),
                 expires_in=code.lifetime, lifetime=code.lifetime,
                 svg=str(qr_svg(code.url, scale=5, title=i18n.gettext("E-card QR code"))))


@router.get("/verifications/{token}", response_model=EcardVerificationOut, responses=errors())
def verification(token: str, db: Database = Depends(get_db)) -> EcardVerificationOut:
    """Public: check an e-card QR token (e.g. the residence-permit check of another authority)."""
    v = views.verify_online(db, token)
    return EcardVerificationOut(valid=v.ok, reason=v.reason, message=i18n.gettext(v.message), name=v.name,
                           permit_status=v.permit_status, permit_valid_from=v.permit_valid_from,
                           permit_valid_to=v.permit_valid_to, card_state=v.card_state)


@public_router.get("/.well-known/permitcard-ecard-keys.json")
def published_keys() -> JSONResponse:
    """The public keys of the e-card QR codes (current and retired), for offline verification."""
    return JSONResponse(views.published_keys())
