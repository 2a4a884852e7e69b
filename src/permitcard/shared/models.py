"""Shared tables: the audit log and its seals, the outbox, the admin calendar overrides."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, DateTime, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, orm_insert_sentinel, synonym

from permitcard.db import Base


class AuditLog(Base):
    """Append-only. Each row is keyed as it is written: ``mac = HMAC-SHA256(audit key, canonical
    row)``; no row links to another, so writers never wait on each other. The ids come from the
    table's own key; batches of committed rows are sealed afterwards into ``AuditSeal``."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_target", "target_type", "target_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor_id: Mapped[int | None] = mapped_column(Integer)
    actor_role: Mapped[str] = mapped_column(String(32))
    actor_label: Mapped[str] = mapped_column(String(200))
    ip: Mapped[str] = mapped_column(String(64), default="")
    action: Mapped[str] = mapped_column(String(64), index=True)
    target_type: Mapped[str] = mapped_column(String(64))
    target_id: Mapped[str] = mapped_column(String(64))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    note: Mapped[str] = mapped_column(Text, default="")
    # Random per row, so two rows with the same content never share a MAC: a replayed copy of a row
    # shares its original's, which ``audit_seal.verify`` names (``row_copied``).
    nonce: Mapped[str] = mapped_column(String(32), insert_sentinel=True)
    key_id: Mapped[str] = mapped_column(String(16))
    mac: Mapped[str] = mapped_column(String(64))

    # The position in the log: the id (kept as ``seq`` for the pages and timelines that sort by it).
    seq: Mapped[int] = synonym("id")


class AuditSeal(Base):
    """A signed tree head over the committed rows ``first_id..last_id`` (RFC 9162 style): the
    Merkle root of their MACs, chained to the previous seal's root, signed with Ed25519."""

    __tablename__ = "audit_seal"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Unique: two sealers racing for the same range cannot both write it.
    first_id: Mapped[int] = mapped_column(Integer, unique=True)
    last_id: Mapped[int] = mapped_column(Integer)
    tree_size: Mapped[int] = mapped_column(Integer)
    # Ids in the range that were never committed (rolled back) when sealed; not in the tree.
    gaps: Mapped[list[list[int]]] = mapped_column(JSON)
    root: Mapped[str] = mapped_column(String(64))
    prev_root: Mapped[str] = mapped_column(String(64))
    sealed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    key_id: Mapped[str] = mapped_column(String(16))
    signature: Mapped[str] = mapped_column(String(128))


class OutboxMessage(Base):
    """An event a unit of work published, for ``permitcard worker`` to deliver (``shared/outbox.py``).

    One index besides the key: the pending messages in order (partial, ``processed_at IS NULL``), which
    is what the worker claims and operators list. A new message goes at its right end and leaves it when
    delivered. Indexes of the topic, the due time and the delivery time cost each registration about
    five page writes inside SQLite's one writer (measured on the file) and answered no query."""

    __tablename__ = "outbox_message"
    __table_args__ = (Index("ix_outbox_message_pending", "id", sqlite_where=text("processed_at IS NULL"),
                            postgresql_where=text("processed_at IS NULL")),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    topic: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    available_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    processed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    # Lets one INSERT … RETURNING carry every event a unit of work published (SQLAlchemy's
    # insertmanyvalues needs a sentinel column to match returned ids to rows).
    _sentinel: Mapped[int | None] = orm_insert_sentinel()


class OutboxDelivery(Base):
    """One handler's delivery of one message: written when a message is not delivered to all its
    handlers in one pass, so a failing handler is retried on its own and the others never again."""

    __tablename__ = "outbox_delivery"

    message_id: Mapped[int] = mapped_column(ForeignKey("outbox_message.id", ondelete="CASCADE"), primary_key=True)
    handler: Mapped[str] = mapped_column(String(200), primary_key=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    available_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str] = mapped_column(Text, default="")


class CalendarYear(Base):
    """A year whose official calendar an administrator entered (the package does not know it)."""

    __tablename__ = "calendar_year"

    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    entered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    entered_by: Mapped[str] = mapped_column(String(200))


class CalendarDay(Base):
    """A holiday or an adjusted working day (调休) entered by an administrator."""

    __tablename__ = "calendar_day"

    day_date: Mapped[date] = mapped_column(Date, primary_key=True)
    is_workday: Mapped[bool] = mapped_column(Boolean)
    name: Mapped[str] = mapped_column(String(100), default="")


class AttemptCounter(Base):
    """Failed attempts per key (``login:acct:<blind index>``, ``login:ip:<addr>``, ``code:acct:7`` …) and the
    delay they earned (``shared.throttle``). Rows, so every web process sees the same counts."""

    __tablename__ = "attempt_counter"

    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    blocked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class FormSubmission(Base):
    """A one-time form token, claimed by the first POST that carries it: a second POST of the same
    form (reload, Back, double click) is sent where the first one went (``shared/forms.py``)."""

    __tablename__ = "form_submission"

    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    location: Mapped[str | None] = mapped_column(String(500), nullable=True)  # None while being handled
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class FormDraft(Base):
    """What a person typed into a form shown with errors, kept (encrypted) for the language switch:
    the page comes back in the other language with the values and the errors (``shared/forms.py``)."""

    __tablename__ = "form_draft"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    path: Mapped[str] = mapped_column(String(500))
    payload: Mapped[str] = mapped_column(Text)  # crypto.encrypt(JSON of values and errors)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
