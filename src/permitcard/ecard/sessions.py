"""E-card sessions and tokens: the page session (cookie ``pc_ecard``), API access tokens and rotating
refresh tokens. Each is a random 256-bit value of which only the SHA-256 is stored (``ecard_token``).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from permitcard.config import get_settings
from permitcard.db import Database
from permitcard.ecard import domain
from permitcard.ecard import repository as repo
from permitcard.ecard.errors import EcardSignInNeeded
from permitcard.ecard.models import EcardAccount, EcardToken
from permitcard.shared import audit, clock
from permitcard.shared.audit import Actor

SESSION, PENDING, ACCESS, REFRESH = "session", "pending", "access", "refresh"


@dataclass(frozen=True)
class Holder:
    """Who holds the e-card a request is made with (from a session cookie or a bearer token)."""

    account_id: int
    permit_number: str
    state: str
    card_ref: str
    family_name: str
    given_names: str
    token_hash: str
    token_kind: str
    family: str

    @property
    def verified(self) -> bool:
        return self.state == domain.ACCOUNT_VERIFIED

    def actor(self, ip: str = "") -> Actor:
        """The holder as the actor of a use case: an applicant acting on their own permit."""
        return Actor(user_id=None, role="applicant", label=f"e-card {self.account_id}", ip=ip,
                     permit_number=self.permit_number)


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token(s: Session, account: EcardAccount, *, kind: str, ip: str, family: str | None = None,
               lifetime: timedelta | None = None) -> str:
    settings = get_settings()
    token = secrets.token_urlsafe(32)
    now = clock.now()
    life = lifetime or timedelta(minutes=settings.ecard_session_minutes)
    s.add(EcardToken(token_hash=token_hash(token), account_id=account.id, kind=kind,
                     family=family or secrets.token_hex(16), created_at=now, expires_at=now + life, ip=ip[:64]))
    return token


def new_pair(s: Session, account: EcardAccount, *, family: str, ip: str) -> TokenPair:
    settings = get_settings()
    access_life = timedelta(minutes=settings.ecard_access_minutes)
    access = new_token(s, account, kind=ACCESS, ip=ip, family=family, lifetime=access_life)
    refresh_token = new_token(s, account, kind=REFRESH, ip=ip, family=family,
                               lifetime=timedelta(days=settings.ecard_refresh_days))
    return TokenPair(access_token=access, refresh_token=refresh_token, expires_in=int(access_life.total_seconds()))


def holder_for(db: Database, token: str | None, *, kinds: tuple[str, ...]) -> Holder | None:
    """The e-card of a live, unrevoked token of one of ``kinds``, or None. A page session slides."""
    if not token or len(token) > 200:
        return None
    now = clock.now()
    with db.uow(write=False) as s:
        row = repo.token(s, token_hash(token))
        if row is None or row.kind not in kinds or row.revoked_at is not None or domain.as_utc(row.expires_at) <= now:
            return None
        account = repo.account(s, row.account_id)
        if account is None:
            return None
        holder = Holder(account_id=account.id, permit_number=account.permit_number, state=account.state,
                        card_ref=account.card_ref, family_name=account.family_name, given_names=account.given_names,
                        token_hash=row.token_hash, token_kind=row.kind, family=row.family)
        slide = row.kind in (SESSION, PENDING) and now - domain.as_utc(row.created_at) > timedelta(minutes=1)
    if slide:
        _slide(db, holder.token_hash, now)
    return holder


def _slide(db: Database, hashed: str, now: datetime) -> None:
    with db.uow() as s:
        row = repo.token(s, hashed)
        if row is not None:
            row.created_at = now
            row.expires_at = now + timedelta(minutes=get_settings().ecard_session_minutes)
            s.commit()


def forget_expired(db: Database) -> int:
    """Drop tokens and QR nonces long past their expiry (the worker's periodic job)."""
    with db.uow() as s:
        cutoff = clock.now() - timedelta(days=1)
        n = repo.forget_tokens(s, cutoff) + repo.forget_nonces(s, cutoff)
        s.commit()
        return n


def refresh(db: Database, *, refresh_token: str, ip: str = "") -> TokenPair:
    """Rotate: the refresh token is used up and a new pair issued. A used one presented again revokes
    its whole family (someone copied it)."""
    now = clock.now()
    with db.uow() as s:
        row = repo.token(s, token_hash(refresh_token or ""))
        if row is None or row.kind != REFRESH or domain.as_utc(row.expires_at) <= now:
            raise EcardSignInNeeded()
        account = repo.account(s, row.account_id)
        assert account is not None
        if row.revoked_at is not None:
            repo.revoke_family(s, row.family, now)
            audit.record(s, actor=Actor(user_id=None, role="anonymous", label="e-card", ip=ip),
                         action="ecard_account.refresh_reused", target_type="ecard_account",
                         target_id=account.id)
            s.commit()
            raise EcardSignInNeeded()
        row.revoked_at = now
        pair = new_pair(s, account, family=row.family, ip=ip)
        s.commit()
        return pair


def sign_out(db: Database, *, holder: Holder, ip: str = "") -> None:
    """End this session, or this app's token family (access and refresh tokens)."""
    with db.uow() as s:
        if holder.token_kind in (ACCESS, REFRESH):
            repo.revoke_family(s, holder.family, clock.now())
        else:
            row = repo.token(s, holder.token_hash)
            if row is not None:
                row.revoked_at = clock.now()
        audit.record(s, actor=holder.actor(ip), action="ecard_account.signed_out", target_type="ecard_account",
                     target_id=holder.account_id)
        s.commit()
