"""Sessions: sign-in (password, then the second factor), the live session, sign-out.

A page sign-in that still needs a code or a second-factor set-up gets a short *pending* session
(stage ``code`` or ``enrol``) that opens nothing else; it becomes a full session, under a new id,
once the code is right. The API takes the code in the sign-in request itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, delete, or_, select
from sqlalchemy.orm import Session

from permitcard.auth import repository as repo
from permitcard.auth.domain import new_token, second_factor_required, token_hash
from permitcard.auth.errors import BadCode, BadCredentials, SecondFactorNotEnrolled, SecondFactorRequired
from permitcard.auth.models import User, UserSession
from permitcard.auth.service import second_factor
from permitcard.auth.service.accounts import CurrentUser, as_current, aware
from permitcard.config import get_settings
from permitcard.db import Database
from permitcard.shared import audit, clock, passwords, throttle
from permitcard.shared.audit import Actor
from permitcard.shared.crypto import blind_index
from permitcard.shared.throttle import TooManyAttempts

PENDING_MINUTES = 10
FULL, CODE, ENROL = "full", "code", "enrol"


def throttle_keys(kind: str, *, account: str, ip: str) -> list[str]:
    """The counters of a password check: the account (a keyed hash of the e-mail typed, known or not,
    so the throttle says nothing about which addresses have accounts) and the address."""
    return throttle.keys(kind, account=blind_index((account or "").strip().lower() or "-"), ip=ip)


def count_attempt(db: Database, names: list[str], *, ip: str, label: str = "") -> None:
    """Count a password attempt before checking it: 429 (audited) while the account or address waits."""
    try:
        throttle.attempt(db, names)
    except TooManyAttempts as exc:
        audit.record_security(db, actor=Actor.anonymous(ip, label=label), action="security.attempts_throttled",
                              target_type="throttle", target_id=names[0].split(":", 1)[0],
                              after={"retry_after": exc.retry_after})
        raise


@dataclass(frozen=True)
class _Checked:
    user_id: int
    names: list[str]
    new_hash: str | None  # the password again, hashed with today's parameters


def _check_password(db: Database, email: str, password: str, ip: str) -> _Checked:
    """Throttled, then checked outside any unit of work (the hash must not hold the write lock)."""
    names = throttle_keys("login", account=email, ip=ip)
    count_attempt(db, names, ip=ip)
    with db.uow(write=False) as s:
        user = repo.user_by_email(s, email or "")
        user_id, stored, active = (user.id, user.password_hash, user.is_active) if user else (None, None, False)
    if not passwords.verify(stored, password) or user_id is None or stored is None or not active:
        raise BadCredentials()
    new_hash = passwords.hash(password) if passwords.needs_rehash(stored) else None
    return _Checked(user_id, names, new_hash)


def _password_user(s: Session, checked: _Checked) -> User:
    """The account whose password was right, inside the unit of work that signs it in."""
    throttle.succeeded(s, checked.names, counted=True)
    user = repo.user_by_id(s, checked.user_id)
    if user is None or not user.is_active:
        raise BadCredentials()
    if checked.new_hash:
        user.password_hash = checked.new_hash
    return user


def _expired(now: datetime) -> ColumnElement[bool]:
    idle = timedelta(minutes=get_settings().session_idle_minutes)
    return or_(UserSession.expires_at < now, UserSession.last_seen_at < now - idle)


def _make_room(s: Session, user_id: int, now: datetime) -> None:
    """Before a new session: the user's expired ones go, and the oldest beyond the cap end (a sign-in
    on a new device ends the one least recently started, never the new one)."""
    s.execute(delete(UserSession).where(UserSession.user_id == user_id, _expired(now)))
    keep = max(1, get_settings().session_max_per_user) - 1
    live = s.execute(select(UserSession.token_hash).where(UserSession.user_id == user_id)
                     .order_by(UserSession.created_at.desc(), UserSession.token_hash)).scalars().all()
    if len(live) > keep:
        s.execute(delete(UserSession).where(UserSession.token_hash.in_(live[keep:])))


def purge_expired(db: Database) -> int:
    """Delete every session past its idle or absolute limit (the worker's periodic job)."""
    with db.uow() as s:
        gone = s.execute(delete(UserSession).where(_expired(clock.now())))
        s.commit()
        return int(gone.rowcount or 0)  # type: ignore[attr-defined]


def new_session(s: Session, user: User, *, ip: str, stage: str = FULL) -> str:
    settings = get_settings()
    token = new_token()
    now = clock.now()
    _make_room(s, user.id, now)
    lifetime = timedelta(hours=settings.session_absolute_hours) if stage == FULL else timedelta(minutes=PENDING_MINUTES)
    s.add(UserSession(token_hash=token_hash(token), user_id=user.id, stage=stage, created_at=now, last_seen_at=now,
                      expires_at=now + lifetime, ip=ip[:64]))
    if stage == FULL:
        user.last_login_at = now
        audit.record(s, actor=as_current(user).actor(ip), action="user.signed_in", target_type="user",
                     target_id=user.id, after={"second_factor": user.totp_confirmed_at is not None})
    return token


def _stage_after_password(user: User) -> str:
    if user.totp_confirmed_at is not None:
        return CODE
    if second_factor_required(user.role):
        return ENROL
    return FULL


def _record_failed_sign_in(db: Database, *, email: str, ip: str) -> None:
    # The e-mail typed is kept only when it names an account: an unknown one is often a password
    # typed in the wrong field (OWASP logging cheat sheet).
    with db.uow(write=False) as s:
        user = repo.user_by_email(s, email or "")
        user_id = user.id if user else None
    audit.record_security(db, actor=Actor.anonymous(ip, label=email if user_id else ""),
                          action="security.sign_in_failed", target_type="user", target_id=user_id or "",
                          note="" if user_id else "unknown account")


def sign_in(db: Database, *, email: str, password: str, ip: str = "", code: str | None = None,
            ) -> tuple[str, CurrentUser]:
    """One request: password and, where the account has a second factor, its code. Returns a new
    session token (a new id at every sign-in) and the user. A wrong password is audited as a
    security event in its own unit of work."""
    try:
        return _sign_in(db, email=email, password=password, ip=ip, code=code)
    except BadCredentials:
        _record_failed_sign_in(db, email=email, ip=ip)
        raise


def _sign_in(db: Database, *, email: str, password: str, ip: str, code: str | None) -> tuple[str, CurrentUser]:
    checked = _check_password(db, email, password, ip)
    with db.uow() as s:
        user = _password_user(s, checked)
        stage = _stage_after_password(user)
        if stage == ENROL:
            s.commit()  # the password was right: the throttle gives the attempt back
            raise SecondFactorNotEnrolled()
        if stage == CODE:
            if not (code or "").strip():
                s.commit()
                raise SecondFactorRequired()
            try:
                second_factor.check(s, user=user, code=code or "", actor=as_current(user).actor(ip))
            except BadCode:
                s.commit()
                raise
        token = new_session(s, user, ip=ip)
        s.commit()
        return token, as_current(user)


def start_sign_in(db: Database, *, email: str, password: str, ip: str = "") -> tuple[str, CurrentUser, str]:
    """The sign-in page: after the password, a full session or a pending one (``code``, ``enrol``)."""
    try:
        return _start_sign_in(db, email=email, password=password, ip=ip)
    except BadCredentials:
        _record_failed_sign_in(db, email=email, ip=ip)
        raise


def _start_sign_in(db: Database, *, email: str, password: str, ip: str) -> tuple[str, CurrentUser, str]:
    checked = _check_password(db, email, password, ip)
    with db.uow() as s:
        user = _password_user(s, checked)
        stage = _stage_after_password(user)
        token = new_session(s, user, ip=ip, stage=stage)
        s.commit()
        return token, as_current(user), stage


def _live(s: Session, token: str | None) -> tuple[UserSession, User] | None:
    if not token or len(token) > 200:
        return None
    found = repo.session_and_user(s, token_hash(token))
    if found is None:
        return None
    row, user = found
    if not _in_time(row.last_seen_at, row.expires_at, clock.now()) or not user.is_active:
        return None
    return row, user


def _in_time(last_seen_at: datetime, expires_at: datetime, now: datetime) -> bool:
    """Neither the absolute nor the idle timeout of a session has passed."""
    idle_limit = aware(last_seen_at) + timedelta(minutes=get_settings().session_idle_minutes)
    return now <= aware(expires_at) and now <= idle_limit


def pending(db: Database, token: str | None) -> tuple[CurrentUser, str] | None:
    """The user and stage (``code`` or ``enrol``) of a pending sign-in."""
    with db.uow(write=False) as s:
        found = _live(s, token)
        if found is None or found[0].stage == FULL:
            return None
        return as_current(found[1]), found[0].stage


def complete_sign_in(db: Database, *, token: str | None, code: str, ip: str = "") -> tuple[str, CurrentUser]:
    """The second step: the code for a pending sign-in. The pending session is replaced by a full one."""
    with db.uow() as s:
        found = _live(s, token)
        if found is None or found[0].stage != CODE:
            raise BadCredentials()
        row, user = found
        try:
            second_factor.check(s, user=user, code=code, actor=as_current(user).actor(ip))
        except BadCode:
            s.commit()
            raise
        s.execute(delete(UserSession).where(UserSession.token_hash == row.token_hash))
        new = new_session(s, user, ip=ip)
        s.commit()
        return new, as_current(user)


def confirm_enrolment(db: Database, *, token: str | None, user_id: int, code: str, ip: str = "") -> str | None:
    """Set-up confirmed with the first code. From a pending ``enrol`` sign-in this also signs in:
    the new full session's token is returned (None when the person was signed in already)."""
    with db.uow() as s:
        found = _live(s, token)
        user = repo.user_by_id(s, user_id)
        if found is None or user is None or found[1].id != user_id:
            raise BadCredentials()
        row = found[0]
        second_factor.confirm(s, user=user, code=code, actor=as_current(user).actor(ip))
        new = None
        if row.stage != FULL:
            s.execute(delete(UserSession).where(UserSession.token_hash == row.token_hash))
            new = new_session(s, user, ip=ip)
        s.commit()
        return new


def session_user(db: Database, token: str | None) -> CurrentUser | None:
    """The user of a live, full session, or None. Idle and absolute timeouts end it."""
    user, stale = read_session(db, token)
    if stale and token:
        touch_session(db, token)
    return user


def read_session(db: Database, token: str | None) -> tuple[CurrentUser | None, bool]:
    """The user of a live, full session (or None), and whether its last-seen stamp is a minute old
    (``touch_session`` then renews it). One read, no transaction, no write."""
    if not token or len(token) > 200:
        return None, False
    with db.uow(write=False, snapshot=False) as s:  # one statement: no transaction needed around it
        row = repo.session_row(s, token_hash(token))
    if row is None or row.stage != FULL or not row.is_active:
        return None, False
    now = clock.now()
    if not _in_time(row.last_seen_at, row.expires_at, now):
        return None, False
    current = CurrentUser(row.id, row.email, row.display_name, row.role, row.employer_id, row.branch_id,
                          row.permit_number, studio_id=row.studio_id,
                          has_second_factor=row.totp_confirmed_at is not None)
    return current, now - aware(row.last_seen_at) > timedelta(seconds=60)


def touch_session(db: Database, token: str) -> None:
    """The session was used now (its idle timeout starts again)."""
    with db.uow() as s:
        fresh = repo.session_by_hash(s, token_hash(token))
        if fresh is not None:
            fresh.last_seen_at = clock.now()
            s.commit()


def sign_out(db: Database, *, token: str | None, ip: str = "") -> None:
    if not token:
        return
    with db.uow() as s:
        row = repo.session_by_hash(s, token_hash(token))
        if row is None:
            return
        user = s.get(User, row.user_id)
        s.execute(delete(UserSession).where(UserSession.token_hash == row.token_hash))
        if user is not None:
            audit.record(s, actor=as_current(user).actor(ip) if row.stage == FULL else Actor(
                user.id, user.role, user.email, ip), action="user.signed_out", target_type="user",
                target_id=user.id)
        s.commit()
