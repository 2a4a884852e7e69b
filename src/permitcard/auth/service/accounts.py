"""Accounts: who is signed in, creating accounts, applicants' sign-up, linking an applicant to their
permit, and an administrator's care of staff accounts (disable, enable)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from email_validator import EmailNotValidError, validate_email
from sqlalchemy.orm import Session

from permitcard.auth import repository as repo
from permitcard.auth.domain import Role, password_problem, second_factor_required
from permitcard.auth.errors import LinkRefused
from permitcard.auth.models import User
from permitcard.db import Database
from permitcard.shared import audit, clock, i18n, ids, passwords, throttle
from permitcard.shared.audit import Actor
from permitcard.shared.errors import N_, FieldError, Forbidden, NotFound, RuleViolation, ValidationFailed
from permitcard.shared.registry import RegistryRefusal, registry_for


@dataclass(frozen=True)
class CurrentUser:
    id: int
    email: str
    display_name: str
    role: str
    employer_id: int | None
    branch_id: int | None
    permit_number: str | None
    csrf_hint: str = ""
    studio_id: int | None = None
    has_second_factor: bool = False

    def actor(self, ip: str = "") -> Actor:
        return Actor(
            user_id=self.id, role=self.role, label=self.email, ip=ip, employer_id=self.employer_id,
            branch_id=self.branch_id, permit_number=self.permit_number,
        )

    @property
    def needs_second_factor(self) -> bool:
        return second_factor_required(self.role)


def as_current(u: User) -> CurrentUser:
    return CurrentUser(u.id, u.email, u.display_name, u.role, u.employer_id, u.branch_id, u.permit_number,
                       studio_id=u.studio_id, has_second_factor=u.totp_confirmed_at is not None)


def aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def normalise_email(raw: str) -> str:
    try:
        return str(validate_email(raw.strip(), check_deliverability=False).normalized).lower()
    except EmailNotValidError as exc:
        raise ValidationFailed.one("email", N_("Enter an e-mail address like name@example.com")) from exc


def hash_password(password: str) -> str:
    """Hash a password (``shared.passwords``: never on the event loop; request paths hash before they
    open their unit of work and pass ``password_hash`` to ``create_user``)."""
    return passwords.hash(password)


def account_errors(s: Session, *, email: str, password: str | None) -> tuple[str, list[FieldError]]:
    """The normalised e-mail address and what is wrong with it or the password (None: not asked)."""
    errors: list[FieldError] = []
    try:
        email = normalise_email(email)
    except ValidationFailed as exc:
        errors += exc.errors
    else:
        if repo.user_by_email(s, email):
            taken = N_("An account with this e-mail address already exists. Sign in instead.")
            errors.append(FieldError("email", taken))
    if password is not None:
        problem = password_problem(password, email=email)
        if problem:
            errors.append(FieldError("password", problem))
    return email, errors


def create_user(
    s: Session, *, email: str, password: str | None, role: Role, display_name: str, actor: Actor,
    employer_id: int | None = None, branch_id: int | None = None, studio_id: int | None = None,
    city_code: str | None = None, invited_by_user_id: int | None = None, locale: str | None = None,
    password_hash: str | None = None,
) -> User:
    """Inside the caller's unit of work (sign-up, registration, invitation, the first administrator).
    ``password`` None: a ``password_hash`` checked and made earlier (a confirmed sign-up link)."""
    errors: list[FieldError] = []
    if role in (Role.APPLICANT, Role.EMPLOYER) and not display_name.strip():
        errors.append(FieldError("display_name", N_("Enter your name")))
    email, more = account_errors(s, email=email, password=password)
    errors += more
    if errors:
        raise ValidationFailed(errors)
    now = clock.now()
    user = User(
        email=email, display_name=display_name.strip() or email,
        password_hash=password_hash or hash_password(password or ""),
        role=role.value, employer_id=employer_id, branch_id=branch_id, studio_id=studio_id, city_code=city_code,
        invited_by_user_id=invited_by_user_id, locale=locale or i18n.get_locale(), created_at=now,
        password_changed_at=now, totp_last_step=0,
    )
    s.add(user)
    s.flush()
    audit.record(s, actor=actor, action="user.created", target_type="user", target_id=user.id,
                 after={"email": email, "role": role.value, "employer_id": employer_id, "branch_id": branch_id,
                        "studio_id": studio_id, "city_code": city_code})
    return user


def sign_up(db: Database, *, email: str, password: str, display_name: str, ip: str = "") -> CurrentUser:
    """Applicants create their own account; employers register (``registration``); staff are invited."""
    password_hash = hash_password(password)
    with db.uow() as s:
        user = create_user(s, email=email, password=password, password_hash=password_hash, role=Role.APPLICANT,
                           display_name=display_name, actor=Actor(None, "anonymous", email, ip))
        s.commit()
        return as_current(user)


def link_permit(
    db: Database, *, user: CurrentUser, family_name: str, given_names: str, permit_number: str,
    passport_number: str, ip: str = "",
) -> CurrentUser:
    """An applicant proves who they are: name + permit number + passport must match the registry."""
    errors: list[FieldError] = []
    number = ids.normalise_permit_number(permit_number)
    if not family_name.strip():
        errors.append(FieldError("family_name", N_("Enter your family name as it is in your passport")))
    if not number:
        errors.append(FieldError("permit_number", N_("Enter your work permit number: 6 to 32 letters and digits")))
    if not passport_number.strip():
        errors.append(FieldError("passport_number", N_("Enter your passport number")))
    if errors:
        raise ValidationFailed(errors)
    assert number is not None
    names = throttle.keys("link", account=f"user{user.id}", ip=ip)
    with db.uow() as s:
        throttle.check(s, names)
        try:
            registry_for(s).verify(permit_number=number, family_name=family_name, given_names=given_names,
                                   passport_number=passport_number, require_valid=False)
            owner = repo.user_by_permit(s, number)
            if owner is not None and owner.id != user.id:
                raise RegistryRefusal("", reason="linked_elsewhere")
        except RegistryRefusal:  # one answer whatever did not match, counted by the throttle
            throttle.failed(s, names)
            audit.record(s, actor=user.actor(ip), action="security.permit_link_refused", target_type="user",
                         target_id=user.id)
            s.commit()
            raise LinkRefused() from None
        account = s.get(User, user.id)
        assert account is not None
        if account.permit_number and account.permit_number != number:
            raise RuleViolation(N_("This account is already linked to another work permit"))
        before = {"permit_number": account.permit_number}
        account.permit_number = number
        audit.record(s, actor=user.actor(ip), action="user.permit_linked", target_type="user",
                     target_id=account.id, before=before, after={"permit_number": number})
        s.commit()
        return as_current(account)


# --- an administrator's care of accounts -------------------------------------------------------


@dataclass(frozen=True)
class AccountRow:
    id: int
    email: str
    display_name: str
    role: str
    is_active: bool
    branch_id: int | None
    studio_id: int | None
    city_code: str | None
    has_second_factor: bool
    last_login_at: datetime | None


def _row(u: User) -> AccountRow:
    return AccountRow(u.id, u.email, u.display_name, u.role, u.is_active, u.branch_id, u.studio_id, u.city_code,
                      u.totp_confirmed_at is not None, u.last_login_at)


def staff_accounts(db: Database, *, actor: Actor, role: str = "") -> list[AccountRow]:
    _must_manage(actor)
    with db.uow(write=False) as s:
        return [_row(u) for u in repo.staff(s, role=role)]


def active_staff_contacts(s: Session, *, role: str) -> list[tuple[int, str, str]]:
    """(user id, e-mail, language) of every active staff account of ``role``: for system messages to them."""
    return [(u.id, u.email, u.locale) for u in repo.staff(s, role=role) if u.is_active]


def _must_manage(actor: Actor) -> None:
    from permitcard.auth.domain import has_permission

    if not has_permission(actor.role, "account.manage"):
        raise Forbidden()


def load_staff(s: Session, actor: Actor, user_id: int) -> User:
    _must_manage(actor)
    user = repo.user_by_id(s, user_id)
    if user is None or user.role in (Role.APPLICANT, Role.EMPLOYER):
        raise NotFound()
    return user


def set_active(db: Database, *, actor: Actor, user_id: int, active: bool) -> AccountRow:
    """Disable (every session ends at once) or enable a staff account."""
    with db.uow() as s:
        user = load_staff(s, actor, user_id)
        if user.id == actor.user_id:
            raise RuleViolation(N_("You cannot disable your own account"))
        before = {"is_active": user.is_active}
        user.is_active = active
        if not active:
            repo.end_sessions(s, user.id)
        audit.record(s, actor=actor, action="user.enabled" if active else "user.disabled", target_type="user",
                     target_id=user.id, before=before, after={"is_active": active})
        s.commit()
        return _row(user)


def remember_locale(db: Database, *, actor: Actor, locale: str) -> None:
    """The language a signed-in person chose: kept on the account, for every e-mail written to them."""
    with db.uow() as s:
        user = repo.user_by_id(s, actor.user_id) if actor.user_id is not None else None
        if user is None or user.locale == locale:
            return
        before = {"locale": user.locale}
        user.locale = locale
        audit.record(s, actor=actor, action="user.locale_changed", target_type="user", target_id=user.id,
                     before=before, after={"locale": locale})
        s.commit()


def studio_of(s: Session, user_id: int | None) -> int | None:
    """The photo studio an account acts for (photos checks its accreditation)."""
    user = repo.user_by_id(s, user_id) if user_id is not None else None
    return user.studio_id if user is not None else None
