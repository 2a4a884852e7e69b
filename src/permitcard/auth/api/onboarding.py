"""JSON: employers register and are reviewed, colleagues and staff are invited, invitations are
accepted, passwords changed and reset, staff accounts disabled and their lost factors reset."""

from __future__ import annotations

from fastapi import Depends, Request, Response

from permitcard.auth import service
from permitcard.auth.api.session import me_out, set_session_cookie
from permitcard.auth.deps import SESSION_COOKIE, acting, client_ip, get_db, require
from permitcard.auth.errors import SecondFactorNotEnrolled
from permitcard.auth.schemas import (
    AcceptInvitation,
    AccountOut,
    EmployerCorrection,
    EmployerDecision,
    EmployerOut,
    EmployerRegistration,
    EmployerRegistrationConfirm,
    InvitationIn,
    InvitationOut,
    Me,
    PasswordChange,
    ResetComplete,
    ResetRequest,
    SignUpSent,
)
from permitcard.auth.service import CurrentUser, employers, invitations, passwords, registration, second_factor
from permitcard.auth.service.employers import EmployerView
from permitcard.auth.service.invitations import InvitationView
from permitcard.db import Database
from permitcard.shared import i18n
from permitcard.shared.audit import Actor
from permitcard.shared.openapi import errors
from permitcard.shared.routes import Routes

router = Routes(prefix="/api/v1", tags=["onboarding"])


def _employer(v: EmployerView) -> EmployerOut:
    return EmployerOut(**{k: getattr(v, k) for k in EmployerOut.model_fields})


def _invitation(v: InvitationView) -> InvitationOut:
    return InvitationOut(id=v.id, email=v.email, display_name=v.display_name, role=v.role, binding=v.binding,
                         expires_at=v.expires_at)


# --- employers ---------------------------------------------------------------------------------


@router.post("/employers", response_model=SignUpSent, status_code=202, responses=errors(422, 429))
def register_employer(body: EmployerRegistration, request: Request, db: Database = Depends(get_db)) -> SignUpSent:
    """An employer registers itself with its first HR account. The answer is the same whether the address
    already has an account or not: a message goes to the address, with the link that makes the
    registration (`POST /api/v1/employers/confirm` with its token) or, for an address with an account,
    how to sign in. A code already registered is refused (422). One code, one employer."""
    data = body.model_dump(exclude={"email", "password"})
    registration.request_registration(db, data=data, email=body.email, password=body.password,
                                      ip=client_ip(request))
    return SignUpSent(detail=i18n.gettext(registration.SENT))


@router.post("/employers/confirm", response_model=EmployerOut, status_code=201, responses=errors(404, 422))
def confirm_employer(body: EmployerRegistrationConfirm, request: Request, response: Response,
                     db: Database = Depends(get_db)) -> EmployerOut:
    """The token of the e-mailed registration link (the last part of `/employers/register/confirm/<token>`):
    the employer is registered (a permit officer reviews it; until approved it cannot file applications)
    with its first HR account, signed in at once."""
    token, _user, employer = registration.confirm_registration(db, token=body.token, ip=client_ip(request))
    set_session_cookie(request, response, token)
    return _employer(employer)


@router.get("/employer", response_model=EmployerOut, responses=errors(401, 403))
def my_employer(db: Database = Depends(get_db),
                actor: Actor = Depends(acting("permit.read_employer"))) -> EmployerOut:
    """The signed-in HR person's employer and the state of its registration."""
    return _employer(employers.my_employer(db, actor=actor))


@router.put("/employer", response_model=EmployerOut, responses=errors(401, 403, 409, 422))
def correct_employer(body: EmployerCorrection, db: Database = Depends(get_db),
                     actor: Actor = Depends(acting("permit.read_employer"))) -> EmployerOut:
    """Send a registration the officer returned for correction again, corrected."""
    data = body.model_dump(exclude={"version"})
    return _employer(employers.resubmit(db, actor=actor, version=body.version, data=data))


@router.get("/employers", response_model=list[EmployerOut], responses=errors(401, 403))
def employer_queue(state: str = "", db: Database = Depends(get_db),
                   actor: Actor = Depends(acting("employer.review"))) -> list[EmployerOut]:
    """Registrations for the permit officers (default: those waiting for review)."""
    rows, _counts = employers.review_queue(db, actor=actor, state=state[:32])
    return [_employer(v) for v in rows]


@router.post("/employers/{employer_id}/decision", response_model=EmployerOut, responses=errors(401, 403, 404, 409, 422))
def decide_employer(employer_id: int, body: EmployerDecision, db: Database = Depends(get_db),
                    actor: Actor = Depends(acting("employer.review"))) -> EmployerOut:
    """Approve, reject (with a reason) or ask for a correction (saying what)."""
    return _employer(employers.review(db, actor=actor, employer_id=employer_id,
                                      version=body.version, action=body.action, reason=body.reason))


# --- colleagues and staff --------------------------------------------------------------------------


@router.post("/employer/invitations", response_model=InvitationOut, status_code=201,
             responses=errors(401, 403, 422))
def invite_colleague(body: InvitationIn, db: Database = Depends(get_db),
                     actor: Actor = Depends(acting("employer.colleagues"))) -> InvitationOut:
    """Invite an HR colleague by e-mail to the same (approved) employer."""
    return _invitation(invitations.invite_colleague(db, actor=actor, email=body.email,
                                                    display_name=body.display_name))


@router.delete("/employer/colleagues/{user_id}", status_code=204, responses=errors(401, 403, 404, 422))
def remove_colleague(user_id: int, db: Database = Depends(get_db),
                     actor: Actor = Depends(acting("employer.colleagues"))) -> None:
    """Remove a colleague: their account is disabled and their sessions end at once."""
    employers.remove_colleague(db, actor=actor, user_id=user_id)


@router.post("/invitations/accept", response_model=Me, responses=errors(403, 404, 422))
def accept_invitation(body: AcceptInvitation, request: Request, response: Response,
                      db: Database = Depends(get_db)) -> Me:
    """The invitee sets their password. Employers are signed in; staff set up their second factor on
    the web first (403 `second_factor_not_enrolled`), then sign in with it."""
    token, actor, stage = invitations.accept(db, token=body.token, password=body.password, ip=client_ip(request))
    if stage != "full":
        service.sign_out(db, token=token)
        raise SecondFactorNotEnrolled()
    return me_out(request, actor, set_session_cookie(request, response, token))


@router.get("/accounts", response_model=list[AccountOut], responses=errors(401, 403))
def staff_accounts(role: str = "", db: Database = Depends(get_db),
                   actor: Actor = Depends(acting("account.manage"))) -> list[AccountOut]:
    rows = service.staff_accounts(db, actor=actor, role=role[:32])
    return [AccountOut(**{k: getattr(r, k) for k in AccountOut.model_fields}) for r in rows]


@router.post("/accounts/{user_id}/disable", status_code=204, responses=errors(401, 403, 404, 422))
def disable_account(user_id: int, db: Database = Depends(get_db),
                    actor: Actor = Depends(acting("account.manage"))) -> None:
    """Disable a staff account; its sessions end at once."""
    service.set_active(db, actor=actor, user_id=user_id, active=False)


@router.post("/accounts/{user_id}/enable", status_code=204, responses=errors(401, 403, 404, 422))
def enable_account(user_id: int, db: Database = Depends(get_db),
                   actor: Actor = Depends(acting("account.manage"))) -> None:
    service.set_active(db, actor=actor, user_id=user_id, active=True)


@router.post("/accounts/{user_id}/second-factor/reset", status_code=204, responses=errors(401, 403, 404))
def reset_factor(user_id: int, db: Database = Depends(get_db),
                 actor: Actor = Depends(acting("account.manage"))) -> None:
    """Reset a lost second factor: the person sets up a new one at their next sign-in."""
    second_factor.admin_reset(db, actor=actor, user_id=user_id)


# --- passwords -----------------------------------------------------------------------------------


@router.post("/me/password", status_code=204, responses=errors(401, 403, 422))
def change_password(body: PasswordChange, request: Request, db: Database = Depends(get_db),
                    user: CurrentUser = Depends(require())) -> None:
    """Change the password; the account's other sessions end."""
    passwords.change_password(db, user=user, current=body.current_password, password=body.new_password,
                              session_token=request.cookies.get(SESSION_COOKIE), ip=client_ip(request))


@router.post("/password-resets", status_code=202, responses=errors(422))
def request_reset(body: ResetRequest, request: Request, db: Database = Depends(get_db)) -> dict[str, str]:
    """E-mail a one-time link to set a new password. The same answer whether the address has an
    account or not."""
    passwords.request_reset(db, email=body.email, ip=client_ip(request))
    return {"status": "accepted"}


@router.post("/password-resets/complete", status_code=204, responses=errors(404, 422))
def complete_reset(body: ResetComplete, request: Request, db: Database = Depends(get_db)) -> None:
    """Set the new password with the link's token (once, before it expires); every session ends."""
    passwords.reset_password(db, token=body.token, password=body.new_password, ip=client_ip(request))
