"""Passwords: change while signed in; reset by a one-time, expiring e-mailed link (the same answer
whether the address has an account or not). At least 12 characters, not a common or breached
password, no other composition rules (NIST SP 800-63B, ASVS 6.2)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from permitcard.auth import repository as repo
from permitcard.auth.domain import is_common, new_token, password_problem, token_hash
from permitcard.auth.errors import LinkExpired
from permitcard.auth.models import PasswordReset, User
from permitcard.auth.service.accounts import CurrentUser, as_current, aware
from permitcard.auth.service.sessions import count_attempt, throttle_keys
from permitcard.config import get_settings
from permitcard.db import Database
from permitcard.notifications.service import notify
from permitcard.shared import audit, clock, passwords, throttle
from permitcard.shared.audit import Actor
from permitcard.shared.errors import N_, FieldError, ValidationFailed

RESET_MINUTES = 60
RESETS_PER_HOUR = 3


def check_new_password(password: str, confirm: str | None, email: str) -> None:
    """A new password must pass the password rules and match its confirmation (ValidationFailed if not)."""
    problem = password_problem(password, email=email)
    if problem:
        raise ValidationFailed.one("password", problem)
    if confirm is not None and confirm != password:
        raise ValidationFailed.one("confirm", N_("The two passwords are not the same"))


def set_password(s: Session, user: User, password_hash: str) -> None:
    """Store a password hashed beforehand (``passwords.hash``, outside the unit of work)."""
    user.password_hash = password_hash
    user.password_changed_at = clock.now()


def change_password(db: Database, *, user: CurrentUser, current: str, password: str, confirm: str | None = None,
                    session_token: str | None = None, ip: str = "") -> None:
    """The signed-in person changes their password; their other sessions end. The current password is
    throttled like a sign-in and checked outside any unit of work."""
    errors: list[FieldError] = []
    try:
        check_new_password(password, confirm, user.email)
    except ValidationFailed as exc:
        errors += exc.errors
    names = throttle_keys("password", account=str(user.id), ip=ip)
    count_attempt(db, names, ip=ip, label=user.email)
    with db.uow(write=False) as s:
        found = repo.user_by_id(s, user.id)
        assert found is not None
        stored = found.password_hash
    if not passwords.verify(stored, current):
        errors.insert(0, FieldError("current", N_("Your current password is not right")))
        audit.record_security(db, actor=user.actor(ip), action="security.password_check_failed",
                              target_type="user", target_id=user.id)
    if errors:
        raise ValidationFailed(errors)
    new_hash = passwords.hash(password)
    with db.uow() as s:
        throttle.succeeded(s, names, counted=True)
        account = repo.user_by_id(s, user.id)
        assert account is not None
        set_password(s, account, new_hash)
        repo.end_sessions(s, account.id, keep=token_hash(session_token) if session_token else None)
        audit.record(s, actor=user.actor(ip), action="user.password_changed", target_type="user",
                     target_id=account.id)
        s.commit()


def request_reset(db: Database, *, email: str, ip: str = "") -> None:
    """Sends a reset link if the address has an active account. The caller says the same either way."""
    with db.uow() as s:
        user = repo.user_by_email(s, email or "")
        if user is None or not user.is_active:
            return
        now = clock.now()
        recent = s.execute(select(func.count()).select_from(PasswordReset).where(
            PasswordReset.user_id == user.id, PasswordReset.created_at > now - timedelta(hours=1))).scalar_one()
        if recent >= RESETS_PER_HOUR:
            return
        token = new_token()
        reset = PasswordReset(token_hash=token_hash(token), user_id=user.id, created_at=now,
                              expires_at=now + timedelta(minutes=RESET_MINUTES))
        s.add(reset)
        s.flush()
        notify(s, to=user.email, template="password_reset", locale=user.locale or "en",
               dedupe_key=f"password_reset:{reset.id}",
               params={"name": user.display_name, "minutes": RESET_MINUTES,
                       "url": f"{get_settings().base_url}/password/reset/{token}"})
        audit.record(s, actor=Actor(None, "anonymous", user.email, ip), action="user.password_reset_requested",
                     target_type="user", target_id=user.id)
        s.commit()


def _open_reset(s: Session, token: str) -> PasswordReset:
    reset = repo.reset_by_hash(s, token_hash(token)) if token and len(token) < 200 else None
    if reset is None or reset.used_at is not None or aware(reset.expires_at) < clock.now():
        raise LinkExpired()
    return reset


def check_reset(db: Database, *, token: str) -> None:
    with db.uow(write=False) as s:
        _open_reset(s, token)


def reset_password(db: Database, *, token: str, password: str, confirm: str | None = None,
                   ip: str = "") -> CurrentUser:
    """Sets the new password once; every session of the account ends."""
    with db.uow(write=False) as s:
        reset = _open_reset(s, token)
        user = repo.user_by_id(s, reset.user_id)
        if user is None or not user.is_active:
            raise LinkExpired()
        check_new_password(password, confirm, user.email)
    new_hash = passwords.hash(password)  # outside the unit of work
    with db.uow() as s:
        reset = _open_reset(s, token)
        user = repo.user_by_id(s, reset.user_id)
        if user is None or not user.is_active:
            raise LinkExpired()
        set_password(s, user, new_hash)
        reset.used_at = clock.now()
        repo.end_sessions(s, user.id)
        audit.record(s, actor=Actor(user.id, user.role, user.email, ip), action="user.password_reset",
                     target_type="user", target_id=user.id)
        s.commit()
        return as_current(user)


def is_common_password(password: str) -> bool:
    """On the list of common or breached passwords (for the e-card, whose own rules are 8–16
    characters of two kinds)."""
    return is_common(password)
