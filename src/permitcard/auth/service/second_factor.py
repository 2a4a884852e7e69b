"""The second factor: TOTP (RFC 6238, pyotp) set up by QR code, one-time recovery codes, and an
administrator's reset of a lost factor. Every change is audited."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.orm import Session

from permitcard.auth import repository as repo
from permitcard.auth.domain import (
    MAX_CODE_FAILURES,
    new_recovery_codes,
    new_totp_secret,
    recovery_code_hash,
    totp_step,
    totp_uri,
)
from permitcard.auth.errors import BadCode
from permitcard.auth.models import RecoveryCode, User
from permitcard.auth.service.accounts import CurrentUser, as_current, aware, load_staff
from permitcard.config import get_settings
from permitcard.db import Database
from permitcard.shared import audit, clock
from permitcard.shared.audit import Actor
from permitcard.shared.errors import N_, NotFound, RuleViolation

LOCK_MINUTES = 15


@dataclass(frozen=True)
class Enrolment:
    secret: str
    uri: str


def _user(s: Session, user_id: int) -> User:
    user = repo.user_by_id(s, user_id)
    if user is None or not user.is_active:
        raise NotFound()
    return user


def _issuer() -> str:
    return f"permitcard {get_settings().city_name_en}"


def begin(db: Database, *, user_id: int) -> Enrolment:
    """The secret to show as a QR code. It is kept (encrypted) until the person confirms a code."""
    with db.uow() as s:
        user = _user(s, user_id)
        if user.totp_confirmed_at is not None:
            raise RuleViolation(N_("Your second factor is already set up"))
        if not user.totp_secret:
            user.totp_secret = new_totp_secret()
            s.commit()
        secret = user.totp_secret
        assert secret is not None
        return Enrolment(secret=secret, uri=totp_uri(secret, email=user.email, issuer=_issuer()))


def _store_recovery_codes(s: Session, user: User) -> list[str]:
    repo.delete_recovery_codes(s, user.id)
    codes = new_recovery_codes()
    s.add_all([RecoveryCode(user_id=user.id, code_hash=recovery_code_hash(c)) for c in codes])
    user.recovery_codes_unseen = " ".join(codes)
    return codes


def confirm(s: Session, *, user: User, code: str, actor: Actor) -> list[str]:
    """Inside the caller's unit of work: the first code proves the app has the secret; recovery codes
    are made (shown once)."""
    if user.totp_confirmed_at is not None:
        raise RuleViolation(N_("Your second factor is already set up"))
    if not user.totp_secret:
        raise RuleViolation(N_("Start again: open the set-up page to get a new QR code"))
    step = totp_step(user.totp_secret, code, at=time.time(), last_step=user.totp_last_step)
    if step is None:
        raise BadCode()
    user.totp_last_step = step
    user.totp_confirmed_at = clock.now()
    codes = _store_recovery_codes(s, user)
    audit.record(s, actor=actor, action="user.second_factor_enrolled", target_type="user", target_id=user.id,
                 after={"method": "totp", "recovery_codes": len(codes)})
    return codes


def enrol_with_secret(s: Session, *, user: User, secret: str, actor: Actor) -> None:
    """Demo seeding only: the factor is set up with a secret the seed prints (a production start
    enrols nobody; staff set up their own by QR code)."""
    user.totp_secret = secret
    user.totp_confirmed_at = clock.now()
    audit.record(s, actor=actor, action="user.second_factor_enrolled", target_type="user", target_id=user.id,
                 after={"method": "totp", "seeded": True})


def check(s: Session, *, user: User, code: str, actor: Actor) -> None:
    """A code from the app, or an unused recovery code. Five wrong ones in a row lock the factor
    for a quarter of an hour. The caller commits (a failure too, then raises)."""
    now = clock.now()
    if user.code_locked_until is not None and aware(user.code_locked_until) > now:
        raise BadCode(N_("Too many wrong codes. Wait 15 minutes and try again."))
    secret = user.totp_secret or ""
    step = totp_step(secret, code, at=time.time(), last_step=user.totp_last_step) if secret else None
    if step is not None:
        user.totp_last_step, user.code_failures = step, 0
        return
    wanted = recovery_code_hash(code)
    for rc in repo.recovery_codes(s, user.id):
        if rc.used_at is None and rc.code_hash == wanted:
            rc.used_at, user.code_failures = now, 0
            audit.record(s, actor=actor, action="user.recovery_code_used", target_type="user", target_id=user.id)
            return
    user.code_failures += 1
    if user.code_failures >= MAX_CODE_FAILURES:
        user.code_locked_until, user.code_failures = now + timedelta(minutes=LOCK_MINUTES), 0
    audit.record(s, actor=actor, action="user.second_factor_failed", target_type="user", target_id=user.id)
    raise BadCode()


def unseen_recovery_codes(db: Database, *, user_id: int) -> list[str]:
    with db.uow(write=False) as s:
        user = _user(s, user_id)
        return (user.recovery_codes_unseen or "").split()


def recovery_codes_kept(db: Database, *, user: CurrentUser, ip: str = "") -> None:
    """The person has saved their recovery codes: they are not shown again."""
    with db.uow() as s:
        account = _user(s, user.id)
        account.recovery_codes_unseen = None
        s.commit()


def new_codes(db: Database, *, user: CurrentUser, ip: str = "") -> None:
    """Fresh recovery codes (the old ones stop working), shown once."""
    with db.uow() as s:
        account = _user(s, user.id)
        if account.totp_confirmed_at is None:
            raise RuleViolation(N_("Set up your second factor first"))
        _store_recovery_codes(s, account)
        audit.record(s, actor=user.actor(ip), action="user.recovery_codes_renewed", target_type="user",
                     target_id=account.id)
        s.commit()


def turn_off(db: Database, *, user: CurrentUser, code: str, ip: str = "") -> CurrentUser:
    """Employers and workers may turn their factor off again (with a current code); staff may not."""
    with db.uow() as s:
        account = _user(s, user.id)
        if user.needs_second_factor:
            raise RuleViolation(N_("Staff accounts always sign in with a second factor"))
        if account.totp_confirmed_at is None:
            raise RuleViolation(N_("Your second factor is not set up"))
        try:
            check(s, user=account, code=code, actor=user.actor(ip))
        except BadCode:
            s.commit()
            raise
        _clear(s, account)
        audit.record(s, actor=user.actor(ip), action="user.second_factor_removed", target_type="user",
                     target_id=account.id)
        s.commit()
        return as_current(account)


def _clear(s: Session, user: User) -> None:
    user.totp_secret, user.totp_confirmed_at, user.recovery_codes_unseen = None, None, None
    user.code_failures, user.code_locked_until = 0, None
    repo.delete_recovery_codes(s, user.id)


def admin_reset(db: Database, *, actor: Actor, user_id: int) -> None:
    """An administrator resets a lost factor: its sessions end and the next sign-in sets up a new one."""
    with db.uow() as s:
        user = load_staff(s, actor, user_id)
        had = user.totp_confirmed_at is not None
        _clear(s, user)
        repo.end_sessions(s, user.id)
        audit.record(s, actor=actor, action="user.second_factor_reset", target_type="user", target_id=user.id,
                     before={"enrolled": had}, after={"enrolled": False})
        s.commit()
