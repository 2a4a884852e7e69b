"""Queries of the e-card context (never commit)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from permitcard.ecard.models import EcardAccount, EcardCode, EcardQrSeen, EcardToken


def account(s: Session, account_id: int) -> EcardAccount | None:
    return s.get(EcardAccount, account_id)


def account_by_permit(s: Session, permit_number: str) -> EcardAccount | None:
    return s.execute(select(EcardAccount).where(EcardAccount.permit_number == permit_number)).scalar_one_or_none()


def account_by_ref(s: Session, card_ref: str) -> EcardAccount | None:
    return s.execute(select(EcardAccount).where(EcardAccount.card_ref == card_ref)).scalar_one_or_none()


def live_code(s: Session, account_id: int) -> EcardCode | None:
    """The newest code not used yet (older ones were replaced)."""
    return s.execute(select(EcardCode).where(EcardCode.account_id == account_id, EcardCode.used_at.is_(None))
                     .order_by(EcardCode.id.desc()).limit(1)).scalar_one_or_none()


def retire_codes(s: Session, account_id: int, now: datetime) -> None:
    s.execute(update(EcardCode).where(EcardCode.account_id == account_id, EcardCode.used_at.is_(None))
              .values(used_at=now))


def token(s: Session, token_hash: str) -> EcardToken | None:
    return s.get(EcardToken, token_hash)


def revoke_family(s: Session, family: str, now: datetime) -> None:
    s.execute(update(EcardToken).where(EcardToken.family == family, EcardToken.revoked_at.is_(None))
              .values(revoked_at=now))


def revoke_all(s: Session, account_id: int, now: datetime, *, keep: str | None = None) -> int:
    """Revoke every live token of an account (but ``keep``, a token hash); returns how many."""
    stmt = update(EcardToken).where(EcardToken.account_id == account_id, EcardToken.revoked_at.is_(None))
    if keep:
        stmt = stmt.where(EcardToken.token_hash != keep)
    return int(s.execute(stmt.values(revoked_at=now)).rowcount)  # type: ignore[attr-defined]


def seen_nonce(s: Session, nonce: str) -> EcardQrSeen | None:
    return s.get(EcardQrSeen, nonce)


def forget_nonces(s: Session, before: datetime) -> int:
    return int(s.execute(delete(EcardQrSeen).where(EcardQrSeen.expires_at < before)).rowcount)  # type: ignore[attr-defined]


def forget_tokens(s: Session, before: datetime) -> int:
    return int(s.execute(delete(EcardToken).where(EcardToken.expires_at < before)).rowcount)  # type: ignore[attr-defined]
