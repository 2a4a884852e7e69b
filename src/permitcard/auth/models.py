"""Accounts, employers (the organisations employer users belong to), sessions, invitations,
password resets and second factors."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from permitcard.db import Base
from permitcard.shared.crypto import Encrypted


class Employer(Base):
    """An employer as it registered itself; a permit officer reviews it. Only an approved employer
    files permit applications and insurance registrations."""

    __tablename__ = "auth_employer"
    __table_args__ = (
        # One code, one employer: a rejected registration frees its code for a new one.
        Index("uq_auth_employer_uscc_live", "uscc", unique=True,
              sqlite_where=text("state != 'rejected'"), postgresql_where=text("state != 'rejected'")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    uscc: Mapped[str] = mapped_column(String(18), index=True)
    name_en: Mapped[str] = mapped_column(String(200))
    name_zh: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(500), default="")
    contact_name: Mapped[str] = mapped_column(String(200), default="")
    contact_phone: Mapped[str] = mapped_column(String(40), default="")
    state: Mapped[str] = mapped_column(String(24), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    # The officer's reason for a rejection or what to correct.
    review_note: Mapped[str] = mapped_column(Text, default="")
    registered_by_user_id: Mapped[int | None] = mapped_column(Integer)
    # policy_city.code: the city whose rules apply to this employer's permits and registrations
    # (None: the default city).
    city_code: Mapped[str | None] = mapped_column(String(8), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class User(Base):
    __tablename__ = "auth_user"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(32), index=True)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    employer_id: Mapped[int | None] = mapped_column(ForeignKey("auth_employer.id"), index=True)
    # bank_branch.id in the banks context; no foreign key across contexts.
    branch_id: Mapped[int | None] = mapped_column(Integer)
    # photo_studio.id in the photos context (a studio account acts for its accredited studio).
    studio_id: Mapped[int | None] = mapped_column(Integer)
    # Officers, agency clerks, auditors and administrators act for the city.
    city_code: Mapped[str | None] = mapped_column(String(8))
    # An applicant's link to the registry, set once they prove who they are.
    permit_number: Mapped[str | None] = mapped_column(String(32), unique=True)
    locale: Mapped[str] = mapped_column(String(8), default="en")
    invited_by_user_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    password_changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # TOTP (RFC 6238): the secret is encrypted; confirmed once the person typed a code from it.
    totp_secret: Mapped[str | None] = mapped_column(Encrypted)
    totp_confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The last time step accepted: a code is good once (RFC 6238 §5.2).
    totp_last_step: Mapped[int] = mapped_column(Integer, default=0)
    # Wrong codes in a row; at five the second factor is locked for a quarter of an hour.
    code_failures: Mapped[int] = mapped_column(Integer, default=0)
    code_locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Recovery codes shown once after enrolment, until the person says they kept them.
    recovery_codes_unseen: Mapped[str | None] = mapped_column(Encrypted)


class UserSession(Base):
    """A signed-in session. The cookie holds a 256-bit random token; only its hash is stored.

    ``stage`` is ``full`` once signed in; ``code`` while the second factor is still to be typed,
    ``enrol`` while a staff member must first set up their second factor.
    """

    __tablename__ = "auth_session"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("auth_user.id"), index=True)
    stage: Mapped[str] = mapped_column(String(8), default="full", server_default="full")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ip: Mapped[str] = mapped_column(String(64), default="")


class RecoveryCode(Base):
    """One-time recovery codes for a lost second factor; only their hashes are kept."""

    __tablename__ = "auth_recovery_code"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("auth_user.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Invitation(Base):
    """A one-time link that lets someone create their account with the role and binding set here."""

    __tablename__ = "auth_invitation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    display_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(32))
    employer_id: Mapped[int | None] = mapped_column(ForeignKey("auth_employer.id"))
    branch_id: Mapped[int | None] = mapped_column(Integer)
    studio_id: Mapped[int | None] = mapped_column(Integer)
    city_code: Mapped[str | None] = mapped_column(String(8))
    # What the account acts for, in words (the branch, the studio), as the inviter chose it.
    binding_en: Mapped[str] = mapped_column(String(300), default="")
    binding_zh: Mapped[str] = mapped_column(String(300), default="")
    locale: Mapped[str] = mapped_column(String(8), default="en")
    invited_by_user_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    accepted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    user_id: Mapped[int | None] = mapped_column(Integer)


class PasswordReset(Base):
    """A one-time, expiring link to set a new password, e-mailed on request."""

    __tablename__ = "auth_password_reset"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("auth_user.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
