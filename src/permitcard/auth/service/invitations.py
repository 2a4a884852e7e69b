"""Invitations: an administrator invites staff by role, bound to what they act for (a bank clerk to
a branch, a studio account to its accredited studio, the others to the city); an approved
employer's HR invites colleagues. One-time links that expire; the invitee sets the password."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from permitcard.auth import repository as repo
from permitcard.auth.domain import (
    BINDING,
    ROLE_LABELS,
    STAFF_ROLES,
    EmployerState,
    Role,
    has_permission,
    new_token,
    token_hash,
)
from permitcard.auth.errors import EmployerNotApproved, LinkExpired
from permitcard.auth.models import Invitation
from permitcard.auth.service import sessions
from permitcard.auth.service.accounts import (
    CurrentUser,
    as_current,
    aware,
    create_user,
    hash_password,
    normalise_email,
)
from permitcard.auth.service.passwords import check_new_password
from permitcard.config import get_settings
from permitcard.db import Database
from permitcard.notifications.service import notify
from permitcard.shared import audit, clock, i18n
from permitcard.shared.audit import Actor
from permitcard.shared.errors import N_, FieldError, Forbidden, NotFound, ValidationFailed

INVITATION_DAYS = 7


@dataclass(frozen=True)
class InvitationView:
    id: int
    email: str
    display_name: str
    role: str
    employer_name: str
    binding: str  # what the account acts for, in words (branch, studio, city, employer)
    expires_at: datetime
    created_at: datetime
    # The link's secret, only in the answer to the call that made it (demo seeding uses it; pages and
    # the API never show it: the invitee gets it by e-mail).
    link_token: str = ""


def _binding_text(s: Session, inv: Invitation) -> str:
    zh = i18n.get_locale() == "zh_Hans"
    if inv.employer_id is not None:
        e = repo.employer_by_id(s, inv.employer_id)
        return (e.name_zh if zh else e.name_en) if e else ""
    if inv.binding_en:
        return inv.binding_zh if zh else inv.binding_en
    settings = get_settings()
    return settings.city_name_zh if zh else settings.city_name_en


def _view(s: Session, inv: Invitation) -> InvitationView:
    return InvitationView(inv.id, inv.email, inv.display_name, inv.role, _binding_text(s, inv)
                          if inv.employer_id else "", _binding_text(s, inv), inv.expires_at, inv.created_at,
                          getattr(inv, "token", ""))


def _send(s: Session, *, actor: Actor, email: str, display_name: str, role: Role, employer_id: int | None = None,
          branch_id: int | None = None, studio_id: int | None = None, city_code: str | None = None,
          binding: tuple[str, str] = ("", ""), extra: list[FieldError] | None = None) -> Invitation:
    errors = list(extra or [])
    if not display_name.strip():
        errors.append(FieldError("display_name", N_("Enter the person's name")))
    try:
        email = normalise_email(email)
    except ValidationFailed as exc:
        errors = exc.errors + errors
    if errors:
        raise ValidationFailed(errors)
    # An address that has an account gets the same answer (an invitation like any other), never "an
    # account with this e-mail address already exists"; its owner is told instead, and the invitation
    # cannot be accepted.
    existing = repo.user_by_email(s, email)
    now = clock.now()
    for earlier in repo.open_invitations(s):
        if earlier.email == email:  # a new invitation replaces the one not yet used
            earlier.revoked_at = now
    token = new_token()
    inv = Invitation(token_hash=token_hash(token), email=email, display_name=display_name.strip(), role=role.value,
                     employer_id=employer_id, branch_id=branch_id, studio_id=studio_id, city_code=city_code,
                     binding_en=binding[0], binding_zh=binding[1], locale=i18n.get_locale(),
                     invited_by_user_id=actor.user_id, created_at=now,
                     expires_at=now + timedelta(days=INVITATION_DAYS))
    s.add(inv)
    s.flush()
    inv.token = token  # type: ignore[attr-defined]  # kept on the object for the caller's answer only
    audit.record(s, actor=actor, action="invitation.sent", target_type="invitation", target_id=inv.id,
                 after={"email": email, "role": role.value, "employer_id": employer_id, "branch_id": branch_id,
                        "studio_id": studio_id, "city_code": city_code})
    base = get_settings().base_url
    if existing is not None:
        notify(s, to=existing.email, template="invitation_existing", locale=existing.locale or inv.locale,
               dedupe_key=f"invitation:{inv.id}", params={"name": existing.display_name, "inviter": actor.label,
                                                          "login_url": f"{base}/login",
                                                          "reset_url": f"{base}/password/forgot"})
        return inv
    notify(s, to=email, template="invitation", locale=inv.locale, dedupe_key=f"invitation:{inv.id}",
           params={"name": inv.display_name, "inviter": actor.label, "role": ROLE_LABELS[role],
                   "binding": _binding_text(s, inv), "days": INVITATION_DAYS,
                   "url": f"{base}/invitations/{token}"})
    return inv


@dataclass(frozen=True)
class Binding:
    """What a staff account acts for, checked by the caller (a branch, a studio): id and words."""

    id: int
    name_en: str
    name_zh: str


def invite_staff(db: Database, *, actor: Actor, email: str, display_name: str, role: str,
                 branch: Binding | None = None, studio: Binding | None = None,
                 errors: list[FieldError] | None = None) -> InvitationView:
    """An administrator invites a staff member. The role decides the binding (a bank clerk's branch,
    a studio account's studio, the city for the others); nothing else is taken."""
    if not has_permission(actor.role, "account.manage"):
        raise Forbidden()
    try:
        chosen = Role(role)
    except ValueError:
        chosen = None
    if chosen not in STAFF_ROLES:
        raise ValidationFailed.one("role", N_("Choose the role of the new account"))
    assert chosen is not None
    kind = BINDING[chosen]
    extra = list(errors or [])
    if kind == "branch" and branch is None and not any(e.field == "branch_id" for e in extra):
        extra.append(FieldError("branch_id", N_("Choose the branch the clerk works at")))
    if kind == "studio" and studio is None and not any(e.field == "studio_id" for e in extra):
        extra.append(FieldError("studio_id", N_("Choose the accredited studio this account is for")))
    bound = branch if kind == "branch" else studio if kind == "studio" else None
    with db.uow() as s:
        inv = _send(s, actor=actor, email=email, display_name=display_name, role=chosen,
                    branch_id=branch.id if kind == "branch" and branch else None,
                    studio_id=studio.id if kind == "studio" and studio else None,
                    city_code=get_settings().city_code if kind == "city" else None,
                    binding=(bound.name_en, bound.name_zh) if bound else ("", ""), extra=extra)
        view = _view(s, inv)
        s.commit()
        return view


def approved_employer_of(s: Session, actor: Actor) -> int:
    if not has_permission(actor.role, "employer.colleagues") or actor.employer_id is None:
        raise Forbidden()
    employer = repo.employer_by_id(s, actor.employer_id)
    if employer is None or employer.state != EmployerState.APPROVED:
        raise EmployerNotApproved()
    return employer.id


def invite_colleague(db: Database, *, actor: Actor, email: str, display_name: str) -> InvitationView:
    """An approved employer's HR invites a colleague to the same employer."""
    with db.uow() as s:
        employer_id = approved_employer_of(s, actor)
        inv = _send(s, actor=actor, email=email, display_name=display_name, role=Role.EMPLOYER,
                    employer_id=employer_id)
        view = _view(s, inv)
        s.commit()
        return view


def _open(s: Session, token: str) -> Invitation:
    inv = repo.invitation_by_hash(s, token_hash(token)) if token and len(token) < 200 else None
    if inv is None or inv.accepted_at is not None or inv.revoked_at is not None or aware(inv.expires_at) < clock.now():
        raise LinkExpired()
    return inv


def for_token(db: Database, *, token: str) -> InvitationView:
    with db.uow(write=False) as s:
        return _view(s, _open(s, token))


def accept(db: Database, *, token: str, password: str, confirm: str | None = None,
           ip: str = "") -> tuple[str, CurrentUser, str]:
    """The invitee sets their password; the account is made with the invitation's role and binding.
    Returns a session: full, or pending ``enrol`` for staff, who set up their second factor next."""
    with db.uow(write=False) as s:
        invited = _open(s, token).email
        if repo.user_by_email(s, invited) is not None:  # the address has an account: the invitation is void
            raise LinkExpired()
        check_new_password(password, confirm, invited)
    password_hash = hash_password(password)  # outside the unit of work: a hash must not hold its lock
    with db.uow() as s:
        inv = _open(s, token)
        actor = Actor(None, "anonymous", inv.email, ip)
        user = create_user(s, email=inv.email, password=password, password_hash=password_hash, role=Role(inv.role),
                           display_name=inv.display_name,
                           actor=actor, employer_id=inv.employer_id, branch_id=inv.branch_id, studio_id=inv.studio_id,
                           city_code=inv.city_code, invited_by_user_id=inv.invited_by_user_id, locale=inv.locale)
        inv.accepted_at, inv.user_id = clock.now(), user.id
        audit.record(s, actor=Actor(user.id, user.role, user.email, ip), action="invitation.accepted",
                     target_type="invitation", target_id=inv.id, after={"user_id": user.id})
        stage = sessions.ENROL if as_current(user).needs_second_factor else sessions.FULL
        session_token = sessions.new_session(s, user, ip=ip, stage=stage)
        s.commit()
        return session_token, as_current(user), stage


def open_staff_invitations(db: Database, *, actor: Actor) -> list[InvitationView]:
    if not has_permission(actor.role, "account.manage"):
        raise Forbidden()
    with db.uow(write=False) as s:
        return [_view(s, i) for i in repo.open_invitations(s, staff_only=True)]


def open_colleague_invitations(db: Database, *, actor: Actor) -> list[InvitationView]:
    with db.uow(write=False) as s:
        employer_id = approved_employer_of(s, actor)
        return [_view(s, i) for i in repo.open_invitations(s, employer_id=employer_id)]


def revoke(db: Database, *, actor: Actor, invitation_id: int) -> None:
    """The administrator (staff) or the employer's HR (colleagues) withdraws an unused invitation."""
    with db.uow() as s:
        inv = s.get(Invitation, invitation_id)
        if inv is None or inv.accepted_at is not None or inv.revoked_at is not None:
            raise NotFound()
        if inv.employer_id is None and not has_permission(actor.role, "account.manage"):
            raise NotFound()
        if inv.employer_id is not None and approved_employer_of(s, actor) != inv.employer_id:
            raise NotFound()
        inv.revoked_at = clock.now()
        audit.record(s, actor=actor, action="invitation.revoked", target_type="invitation", target_id=inv.id)
        s.commit()
