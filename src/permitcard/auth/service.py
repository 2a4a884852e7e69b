"""Accounts and sessions: sign-up, sign-in, sign-out, linking an applicant to their permit."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email
from sqlalchemy import delete
from sqlalchemy.orm import Session

from permitcard.auth import repository as repo
from permitcard.auth.domain import Role, password_problem
from permitcard.auth.errors import BadCredentials, LinkRefused
from permitcard.auth.models import Employer, User, UserSession
from permitcard.config import get_settings
from permitcard.db import Database
from permitcard.shared import audit, clock, ids
from permitcard.shared.audit import Actor
from permitcard.shared.errors import N_, FieldError, RuleViolation, ValidationFailed
from permitcard.shared.registry import RegistryRefusal, registry_for

_hasher = PasswordHasher()
# Verified against when the e-mail is unknown, so both answers take the same time.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


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

    def actor(self, ip: str = "") -> Actor:
        return Actor(
            user_id=self.id, role=self.role, label=self.email, ip=ip, employer_id=self.employer_id,
            branch_id=self.branch_id, permit_number=self.permit_number,
        )


def _as_current(u: User) -> CurrentUser:
    return CurrentUser(u.id, u.email, u.display_name, u.role, u.employer_id, u.branch_id, u.permit_number)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def normalise_email(raw: str) -> str:
    try:
        return str(validate_email(raw.strip(), check_deliverability=False).normalized).lower()
    except EmailNotValidError as exc:
        raise ValidationFailed.one("email", N_("Enter an e-mail address like name@example.com")) from exc


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def create_user(
    s: Session, *, email: str, password: str, role: Role, display_name: str, actor: Actor,
    employer_id: int | None = None, branch_id: int | None = None,
) -> User:
    """Inside the caller's unit of work (sign-up, admin, seeding)."""
    errors: list[FieldError] = []
    if role == Role.APPLICANT and not display_name.strip():
        errors.append(FieldError("display_name", N_("Enter your name")))
    try:
        email = normalise_email(email)
    except ValidationFailed as exc:
        errors += exc.errors
    else:
        if repo.user_by_email(s, email):
            taken = N_("An account with this e-mail address already exists. Sign in instead.")
            errors.append(FieldError("email", taken))
    problem = password_problem(password, email=email)
    if problem:
        errors.append(FieldError("password", problem))
    if errors:
        raise ValidationFailed(errors)
    user = User(
        email=email, display_name=display_name.strip() or email, password_hash=hash_password(password),
        role=role.value, employer_id=employer_id, branch_id=branch_id, created_at=clock.now(),
    )
    s.add(user)
    s.flush()
    audit.record(s, actor=actor, action="user.created", target_type="user", target_id=user.id,
                 after={"email": email, "role": role.value, "employer_id": employer_id, "branch_id": branch_id})
    return user


def sign_up(db: Database, *, email: str, password: str, display_name: str, ip: str = "") -> CurrentUser:
    """Applicants create their own account; every other role is created by an admin."""
    with db.uow() as s:
        user = create_user(s, email=email, password=password, role=Role.APPLICANT,
                           display_name=display_name, actor=Actor(None, "anonymous", email, ip))
        s.commit()
        return _as_current(user)


def create_employer(s: Session, *, uscc: str, name_en: str, name_zh: str, address: str, actor: Actor) -> Employer:
    code = ids.compact_uscc(uscc or "")
    if not ids.is_valid_uscc(code):
        raise ValidationFailed.one("uscc", N_("Enter a valid unified social credit code (18 characters)"))
    if repo.employer_by_uscc(s, code):
        raise ValidationFailed.one("uscc", N_("This employer is already registered"))
    employer = Employer(uscc=code, name_en=name_en, name_zh=name_zh, address=address, created_at=clock.now())
    s.add(employer)
    s.flush()
    audit.record(s, actor=actor, action="employer.created", target_type="employer", target_id=employer.id,
                 after={"uscc": code, "name_en": name_en})
    return employer


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def sign_in(db: Database, *, email: str, password: str, ip: str = "") -> tuple[str, CurrentUser]:
    """Returns a new session token (a new id at every sign-in) and the user. A failure is audited
    as a security event in its own unit of work."""
    try:
        return _sign_in(db, email=email, password=password, ip=ip)
    except BadCredentials:
        _record_failed_sign_in(db, email=email, ip=ip)
        raise


def _record_failed_sign_in(db: Database, *, email: str, ip: str) -> None:
    # The e-mail typed is kept only when it names an account: an unknown one is often a password
    # typed in the wrong field (OWASP logging cheat sheet).
    with db.uow(write=False) as s:
        user = repo.user_by_email(s, email or "")
        user_id = user.id if user else None
    audit.record_security(db, actor=Actor.anonymous(ip, label=email if user_id else ""),
                          action="security.sign_in_failed", target_type="user", target_id=user_id or "",
                          note="" if user_id else "unknown account")


def _sign_in(db: Database, *, email: str, password: str, ip: str) -> tuple[str, CurrentUser]:
    with db.uow() as s:
        user = repo.user_by_email(s, email or "")
        try:
            _hasher.verify(user.password_hash if user else _DUMMY_HASH, password or "")
        except (VerificationError, InvalidHashError):
            user = None if user is None else user
            ok = False
        else:
            ok = user is not None
        if not ok or user is None or not user.is_active:
            raise BadCredentials()
        if _hasher.check_needs_rehash(user.password_hash):
            user.password_hash = hash_password(password)
        settings = get_settings()
        token = secrets.token_urlsafe(32)
        now = clock.now()
        s.add(UserSession(token_hash=_token_hash(token), user_id=user.id, created_at=now, last_seen_at=now,
                          expires_at=now + timedelta(hours=settings.session_absolute_hours), ip=ip[:64]))
        user.last_login_at = now
        audit.record(s, actor=_as_current(user).actor(ip), action="user.signed_in", target_type="user",
                     target_id=user.id)
        s.commit()
        return token, _as_current(user)


def session_user(db: Database, token: str | None) -> CurrentUser | None:
    """The user of a live session, or None. Idle and absolute timeouts end it."""
    if not token or len(token) > 200:
        return None
    settings = get_settings()
    with db.uow(write=False) as s:
        row = repo.session_by_hash(s, _token_hash(token))
        if row is None:
            return None
        now = clock.now()
        idle_limit = _aware(row.last_seen_at) + timedelta(minutes=settings.session_idle_minutes)
        if now > _aware(row.expires_at) or now > idle_limit:
            return None
        user = s.get(User, row.user_id)
        if user is None or not user.is_active:
            return None
        current = _as_current(user)
        stale = now - _aware(row.last_seen_at) > timedelta(seconds=60)
    if stale:
        with db.uow() as s:
            fresh = repo.session_by_hash(s, _token_hash(token))
            if fresh is not None:
                fresh.last_seen_at = now
                s.commit()
    return current


def sign_out(db: Database, *, token: str | None, ip: str = "") -> None:
    if not token:
        return
    with db.uow() as s:
        row = repo.session_by_hash(s, _token_hash(token))
        if row is None:
            return
        user = s.get(User, row.user_id)
        s.execute(delete(UserSession).where(UserSession.token_hash == row.token_hash))
        if user is not None:
            audit.record(s, actor=_as_current(user).actor(ip), action="user.signed_out",
                         target_type="user", target_id=user.id)
        s.commit()


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
    with db.uow() as s:
        try:
            registry_for(s).verify(permit_number=number, family_name=family_name, given_names=given_names,
                                   passport_number=passport_number, require_valid=False)
        except RegistryRefusal as exc:
            raise LinkRefused() from exc
        owner = repo.user_by_permit(s, number)
        account = s.get(User, user.id)
        assert account is not None
        if owner is not None and owner.id != account.id:
            raise LinkRefused()
        if account.permit_number and account.permit_number != number:
            raise RuleViolation(N_("This account is already linked to another work permit"))
        before = {"permit_number": account.permit_number}
        account.permit_number = number
        audit.record(s, actor=user.actor(ip), action="user.permit_linked", target_type="user",
                     target_id=account.id, before=before, after={"permit_number": number})
        s.commit()
        return _as_current(account)
