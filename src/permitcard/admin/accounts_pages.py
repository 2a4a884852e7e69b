"""HTML: an administrator's staff accounts — invite by role (bound to a branch, a studio or the city),
disable and enable (sessions end at once), reset a lost second factor, withdraw an invitation."""

from __future__ import annotations

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, Response

from permitcard.admin import service
from permitcard.auth import service as auth
from permitcard.auth.deps import acting, get_db
from permitcard.auth.service import set_active, staff_accounts
from permitcard.auth.views import STAFF_ROLES, Role
from permitcard.banks import service as banks
from permitcard.db import Database
from permitcard.photos import service as photos
from permitcard.shared import i18n
from permitcard.shared.audit import Actor
from permitcard.shared.errors import N_, DomainError, NotFound
from permitcard.shared.routes import Routes
from permitcard.shared.web import form_data, form_errors, redirect, render

router = Routes(include_in_schema=False)

_manage = acting("account.manage")
CONFIRM = {
    "disable": (N_("Disable this account?"), N_("The person is signed out at once and cannot sign in until the "
                                                 "account is enabled again."), N_("Disable account")),
    "enable": (N_("Enable this account again?"), N_("The person can sign in again with their password and "
                                                     "second factor."), N_("Enable account")),
    "reset-factor": (N_("Reset this person's second factor?"), N_(
        "Do this only when you have checked who is asking. They are signed out, and at their next sign-in "
        "they set up a new authenticator app."), N_("Reset second factor")),
}


def _int(raw: str | None) -> int | None:
    try:
        return int(raw) if raw else None
    except ValueError:
        return None


@router.get("/admin/accounts", response_class=HTMLResponse)
def accounts(request: Request, role: str = "", db: Database = Depends(get_db),
             actor: Actor = Depends(_manage)) -> Response:
    role = role if role in {r.value for r in STAFF_ROLES} else ""
    return render(request, "auth/admin_accounts.html", {
        "rows": staff_accounts(db, actor=actor, role=role), "role": role, "roles": STAFF_ROLES,
        "invited": auth.invitations.open_staff_invitations(db, actor=actor)})


def _invite_form(request: Request, db: Database, **extra: object) -> Response:
    zh = i18n.get_locale() == "zh_Hans"
    branches = [(str(b.id), f"{b.bank_name_zh} {b.name_zh}" if zh else f"{b.bank_name_en}, {b.name_en}")
                for b in banks.list_branches(db)]
    studio_choices = [(str(s.id), s.name) for s in photos.list_studios(db)]
    errors = extra.pop("errors", None)
    status = int(str(extra.pop("status_code", 200)))
    return render(request, "auth/admin_invite.html", {"roles": STAFF_ROLES, "branches": branches,
                                                      "studios": studio_choices, **extra},
                  errors=errors, status_code=status)  # type: ignore[arg-type]


@router.get("/admin/accounts/invite", response_class=HTMLResponse)
def invite_page(request: Request, db: Database = Depends(get_db), actor: Actor = Depends(_manage)) -> Response:
    return _invite_form(request, db)


@router.post("/admin/accounts/invite", response_class=HTMLResponse)
async def invite(request: Request, db: Database = Depends(get_db), actor: Actor = Depends(_manage)) -> Response:
    data = await form_data(request)
    role = data.get("role", "")
    try:
        service.invite_staff(db, actor=actor, email=data.get("email", ""),
                     display_name=data.get("display_name", ""), role=role,
                     branch_id=_int(data.get("branch_id")) if role == Role.BANK_CLERK else None,
                     studio_id=_int(data.get("studio_id")) if role == Role.PHOTO_STUDIO else None)
    except DomainError as exc:
        return _invite_form(request, db, values=data, errors=form_errors(exc, "email"), status_code=exc.status)
    return redirect("/admin/accounts?invited=1")


@router.post("/admin/invitations/{invitation_id}/revoke", response_class=HTMLResponse)
async def revoke(invitation_id: int, request: Request, db: Database = Depends(get_db),
                 actor: Actor = Depends(_manage)) -> Response:
    await form_data(request)
    auth.invitations.revoke(db, actor=actor, invitation_id=invitation_id)
    return redirect("/admin/accounts?revoked=1")


@router.get("/admin/accounts/{user_id}/{action}", response_class=HTMLResponse)
def confirm_page(user_id: int, action: str, request: Request, db: Database = Depends(get_db),
                 actor: Actor = Depends(_manage)) -> Response:
    if action not in CONFIRM:
        raise NotFound()
    person = next((r for r in staff_accounts(db, actor=actor) if r.id == user_id), None)
    if person is None:
        raise NotFound()
    return render(request, "auth/admin_confirm.html", {"person": person, "action": action, "text": CONFIRM[action]})


@router.post("/admin/accounts/{user_id}/{action}", response_class=HTMLResponse)
async def act(user_id: int, action: str, request: Request, db: Database = Depends(get_db),
              actor: Actor = Depends(_manage)) -> Response:
    await form_data(request)
    if action == "reset-factor":
        auth.second_factor.admin_reset(db, actor=actor, user_id=user_id)
    elif action in ("disable", "enable"):
        set_active(db, actor=actor, user_id=user_id, active=action == "enable")
    else:
        raise NotFound()
    return redirect(f"/admin/accounts?done={action}")
