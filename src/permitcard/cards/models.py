"""ORM classes of the cards context: applications, cards, and the card vendor's number counters."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from permitcard.db import Base
from permitcard.shared.crypto import Encrypted
from permitcard.shared.search import name_search

_LIVE_REPLACEMENT = "replaces_card_id IS NOT NULL AND state NOT IN ('rejected', 'cancelled')"


class CardApplication(Base):
    """An application for a physical card: first, upgrade, or replacement of a lost or damaged card."""

    __tablename__ = "card_application"
    __table_args__ = (
        # Queue pages, keyset-paginated: one index per (filter, sort key, id).
        Index("ix_card_application_created", "created_at", "id"),
        Index("ix_card_application_state_created", "state", "created_at", "id"),
        Index("ix_card_application_branch_state", "branch_id", "state", "channel", "updated_at", "id"),
        Index("ix_card_application_name_sort", "family_name", "id"),
        Index("ix_card_application_state_promised", "state", "promised_date", "id"),
        # A card is replaced at most once: of two clerks entering a replacement at the same moment, one wins.
        Index("uq_card_application_one_replacement", "replaces_card_id", unique=True,
              sqlite_where=text(_LIVE_REPLACEMENT), postgresql_where=text(_LIVE_REPLACEMENT)),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(16), unique=True)
    permit_number: Mapped[str] = mapped_column(String(32), index=True)
    # auth_user.id of the applicant's account, when there is one (no foreign key across contexts).
    applicant_user_id: Mapped[int | None] = mapped_column(Integer, index=True)
    # The holder's name as the registry gave it at submission (queues search by it).
    family_name: Mapped[str] = mapped_column(String(100))
    given_names: Mapped[str] = mapped_column(String(150), default="")
    kind: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(16))
    submitted_via: Mapped[str] = mapped_column(String(16))
    branch_id: Mapped[int] = mapped_column(Integer)  # bank_branch.id (ix_card_application_branch_state leads with it)
    photo_id: Mapped[int] = mapped_column(Integer)  # photo.id in the photos context
    passport_checked: Mapped[bool] = mapped_column(Boolean, default=False)
    passport_checked_by_user_id: Mapped[int | None] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(24))  # indexed first in ix_card_application_state_*
    version: Mapped[int] = mapped_column(Integer, default=1)
    fee_fen: Mapped[int] = mapped_column(Integer, default=0)
    promised_date: Mapped[date | None] = mapped_column(Date, index=True)
    # Approved while the official calendar of this year was not known yet: the promised date is set
    # when an administrator enters that year (never guessed, and the approval does not wait for it).
    promised_calendar_year: Mapped[int | None] = mapped_column(Integer, index=True)
    approved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    production_started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ready_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    collected_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    return_note: Mapped[str] = mapped_column(Text, default="")
    reject_reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by_user_id: Mapped[int | None] = mapped_column(Integer)
    # The language the applicant's notifications are written in.
    notify_locale: Mapped[str] = mapped_column(String(8), default="en")
    # Replacement: the card it replaces (card.id; no foreign key, the card table points back here) and why.
    replaces_card_id: Mapped[int | None] = mapped_column(Integer)
    replacement_reason: Mapped[str] = mapped_column(String(8), default="")


class Card(Base):
    """A physical card. It carries the permit information (a snapshot refreshed on permit events)."""

    __tablename__ = "card"
    __table_args__ = (
        # SPEC §4 (D): one person has at most one active card, enforced by the database itself.
        Index("uq_card_one_active_per_person", "ssn_hash", unique=True,
              sqlite_where=text("state = 'active'"), postgresql_where=text("state = 'active'")),
        Index("ix_card_branch_state", "branch_id", "state", "issued_at", "id"),  # the branch's cards to activate
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    card_number: Mapped[str] = mapped_column(String(9), unique=True)
    bank_account: Mapped[str] = mapped_column(Encrypted())
    bank_account_last4: Mapped[str] = mapped_column(String(4))
    application_id: Mapped[int | None] = mapped_column(ForeignKey("card_application.id"), index=True)
    branch_id: Mapped[int] = mapped_column(Integer)  # indexed first in ix_card_branch_state
    ssn: Mapped[str] = mapped_column(Encrypted())
    ssn_hash: Mapped[str] = mapped_column(String(64), index=True)
    photo_id: Mapped[int | None] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    family_name: Mapped[str] = mapped_column(String(100))
    given_names: Mapped[str] = mapped_column(String(150), default="")
    chinese_name: Mapped[str | None] = mapped_column(String(50))  # from the permit, where the person has one
    # Permit snapshot (nullable: a card issued before the permit was loaded carries none).
    permit_number: Mapped[str | None] = mapped_column(String(32), index=True)
    permit_category: Mapped[str | None] = mapped_column(String(2))
    employer_name_en: Mapped[str | None] = mapped_column(String(200))
    employer_name_zh: Mapped[str | None] = mapped_column(String(200))
    position: Mapped[str | None] = mapped_column(String(200))
    permit_valid_from: Mapped[date | None] = mapped_column(Date)
    permit_valid_to: Mapped[date | None] = mapped_column(Date)
    permit_status: Mapped[str | None] = mapped_column(String(16))
    permit_version: Mapped[int | None] = mapped_column(Integer)
    permit_refreshed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    produced_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    issued_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    activated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    invalidated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    suspended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    loss_reported_via: Mapped[str | None] = mapped_column(String(8))  # online | ecard | branch


class CardPayment(Base):
    """A fee paid at a branch counter for a card application (a replacement): one per application."""

    __tablename__ = "card_payment"
    __table_args__ = (Index("ix_card_payment_branch_day", "branch_id", "paid_date"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(16), unique=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("card_application.id"), unique=True)
    branch_id: Mapped[int] = mapped_column(Integer)  # bank_branch.id where it was paid
    amount_fen: Mapped[int] = mapped_column(Integer)
    method: Mapped[str] = mapped_column(String(8))  # cash | card | wechat | alipay
    paid_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    paid_date: Mapped[date] = mapped_column(Date)  # the business date (Asia/Shanghai) of paid_at
    recorded_by_user_id: Mapped[int | None] = mapped_column(Integer)


class CardSequence(Base):
    """Counters of the card vendor (card numbers, account numbers per BIN): incremented atomically."""

    __tablename__ = "card_sequence"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)


# Queues find people by part of their name through an index (FTS5 trigram / pg_trgm).
name_search(CardApplication.__table__, "family_name", "given_names")  # type: ignore[arg-type]
