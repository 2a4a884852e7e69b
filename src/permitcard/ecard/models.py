"""ORM classes of the e-card context: accounts, one-time codes, bearer/session tokens, attempts, QR nonces."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from permitcard.db import Base


class EcardAccount(Base):
    """A person's electronic social security card: its own password, the contact the codes go to, and
    an opaque reference (``card_ref``) the QR tokens carry instead of any number."""

    __tablename__ = "ecard_account"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    permit_number: Mapped[str] = mapped_column(String(32), unique=True)
    card_ref: Mapped[str] = mapped_column(String(32), unique=True)
    family_name: Mapped[str] = mapped_column(String(100))
    given_names: Mapped[str] = mapped_column(String(200), default="")
    contact_email: Mapped[str] = mapped_column(String(254))
    # "account": the linked applicant account's address; "registration": the address typed at registration.
    contact_source: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(16), index=True)  # pending | verified
    version: Mapped[int] = mapped_column(Integer, default=1)
    verifier: Mapped[str] = mapped_column(String(32), default="")
    locale: Mapped[str] = mapped_column(String(8), default="en")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    verified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    password_changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class EcardCode(Base):
    """A one-time code sent to the contact on file (only its keyed hash is kept)."""

    __tablename__ = "ecard_code"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("ecard_account.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class EcardToken(Base):
    """A page session, an API access token or a refresh token; only the SHA-256 of the token is kept.

    Refresh tokens rotate: using one revokes it and issues the next in the same ``family``; a revoked
    refresh token used again revokes the whole family (it was stolen or replayed)."""

    __tablename__ = "ecard_token"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("ecard_account.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # session | access | refresh
    family: Mapped[str] = mapped_column(String(32), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ip: Mapped[str] = mapped_column(String(64), default="")


class EcardQrSeen(Base):
    """Nonces of QR tokens the online verification has seen, kept until a while after they expire, so a
    token shown again after its expiry is recognised as replayed."""

    __tablename__ = "ecard_qr_seen"

    nonce: Mapped[str] = mapped_column(String(32), primary_key=True)
    card_ref: Mapped[str] = mapped_column(String(32))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    first_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
