"""ORM classes of the permits context: people, applications, permits and their history.

``employer_id`` and user ids point into the auth context; there is no foreign key across contexts.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from permitcard.db import Base
from permitcard.shared.crypto import Encrypted
from permitcard.shared.search import name_search


class PermitPerson(Base):
    """One foreign national, with the permit number they keep for life."""

    __tablename__ = "permit_person"
    __table_args__ = (Index("ix_permit_person_identity", "family_name", "birth_date", "nationality", "sex"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    permit_number: Mapped[str] = mapped_column(String(32), unique=True)
    family_name: Mapped[str] = mapped_column(String(100))
    given_names: Mapped[str] = mapped_column(String(100), default="")
    # The name in Chinese characters, where the person has one (the passport name is the MRZ's Latin letters).
    chinese_name: Mapped[str] = mapped_column(String(50), default="", server_default="")
    nationality: Mapped[str] = mapped_column(String(2))  # ISO 3166 alpha-2 (alpha-3 is accepted and converted)
    birth_date: Mapped[date] = mapped_column(Date)
    sex: Mapped[str] = mapped_column(String(1))
    passport_number: Mapped[str] = mapped_column(Encrypted())
    passport_hash: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PermitApplication(Base):
    """An employer's application: ``kind`` new, extension, modification, cancellation or electronic.
    A change application carries the permit's data as it will be after the change."""

    __tablename__ = "permit_application"
    __table_args__ = (
        # Queue pages, keyset-paginated: one index per (filter, sort key, id).
        Index("ix_permit_application_state_submitted", "state", "submitted_at", "id"),
        Index("ix_permit_application_employer_submitted", "employer_id", "submitted_at", "id"),
        Index("ix_permit_application_name_sort", "family_name", "given_names", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[str] = mapped_column(String(16), default="new", index=True)
    employer_id: Mapped[int] = mapped_column(Integer)  # indexed first in ix_permit_application_employer_submitted
    family_name: Mapped[str] = mapped_column(String(100))
    given_names: Mapped[str] = mapped_column(String(100), default="")
    # The name in Chinese characters, where the person has one (the passport name is the MRZ's Latin letters).
    chinese_name: Mapped[str] = mapped_column(String(50), default="", server_default="")
    nationality: Mapped[str] = mapped_column(String(2))  # ISO 3166 alpha-2 (alpha-3 is accepted and converted)
    birth_date: Mapped[date] = mapped_column(Date)
    sex: Mapped[str] = mapped_column(String(1))
    passport_number: Mapped[str] = mapped_column(Encrypted())
    passport_hash: Mapped[str] = mapped_column(String(64), index=True)
    passport_expiry_date: Mapped[date] = mapped_column(Date)
    position: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(1))
    contract_start_date: Mapped[date] = mapped_column(Date)
    contract_end_date: Mapped[date] = mapped_column(Date)
    requested_end_date: Mapped[date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(16))  # indexed first in ix_permit_application_state_submitted
    version: Mapped[int] = mapped_column(Integer, default=1)
    officer_note: Mapped[str] = mapped_column(Text, default="")
    locale: Mapped[str] = mapped_column(String(8), default="en")  # language of the filing user's messages
    created_by_user_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Changes (extension, modification, cancellation, electronic): the day the change happened
    # (modification) or the contract ended (cancellation), and how many days after the last on-time
    # day (10 working days) it was filed; 0 when on time.
    change_date: Mapped[date | None] = mapped_column(Date)
    days_late: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The permit this application issued (new) or changes (later kinds).
    permit_id: Mapped[int | None] = mapped_column(ForeignKey("permit.id"), index=True)


class Permit(Base):
    """A work permit as it is now; every approved change appends a PermitVersion."""

    __tablename__ = "permit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("permit_person.id"), index=True)
    employer_id: Mapped[int] = mapped_column(Integer, index=True)
    category: Mapped[str] = mapped_column(String(1))
    position: Mapped[str] = mapped_column(String(200))
    valid_from_date: Mapped[date] = mapped_column(Date)
    valid_to_date: Mapped[date] = mapped_column(Date, index=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    notice_number: Mapped[str] = mapped_column(String(32), unique=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # "electronic": issued here (or upgraded) and carried on the social security record;
    # "paper": a paper permit issued before 2024-12-01, imported as it was and left untouched (R:
    # no change, no replacement) until its first extension or modification supersedes the paper.
    origin: Mapped[str] = mapped_column(String(16), default="electronic", server_default="electronic")
    paper_superseded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The last day the 30-day expiry reminder was sent for (once per end date; an extension re-arms it).
    expiry_reminded_for: Mapped[date | None] = mapped_column(Date)


class PermitVersion(Base):
    """Append-only history of a permit: never updated, never deleted."""

    __tablename__ = "permit_version"
    __table_args__ = (UniqueConstraint("permit_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    permit_id: Mapped[int] = mapped_column(ForeignKey("permit.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    application_id: Mapped[int | None] = mapped_column(ForeignKey("permit_application.id"))
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON)
    reason: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PermitDecision(Base):
    """Every officer decision, with who, when and why (SPEC §2)."""

    __tablename__ = "permit_decision"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("permit_application.id"), index=True)
    action: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text, default="")
    actor_user_id: Mapped[int | None] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


# Queues find people by part of their name through an index (FTS5 trigram / pg_trgm).
name_search(PermitApplication.__table__, "family_name", "given_names")  # type: ignore[arg-type]
