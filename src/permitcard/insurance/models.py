"""ORM classes of the insurance context: insured people, registrations, SSN sequences."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from permitcard.db import Base
from permitcard.shared.crypto import Encrypted
from permitcard.shared.search import name_search


class InsurancePerson(Base):
    """One foreign national with their social security number: one person, one SSN, forever."""

    __tablename__ = "insurance_person"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ssn: Mapped[str] = mapped_column(Encrypted())
    ssn_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The lifelong permit number (SPEC §2) identifies the person across employers.
    permit_number: Mapped[str] = mapped_column(String(32), unique=True)
    family_name: Mapped[str] = mapped_column(String(100))
    given_names: Mapped[str] = mapped_column(String(200))
    nationality: Mapped[str] = mapped_column(String(2))
    birth_date: Mapped[date] = mapped_column(Date)
    sex: Mapped[str] = mapped_column(String(1))
    passport_number: Mapped[str] = mapped_column(Encrypted())
    passport_hash: Mapped[str] = mapped_column(String(64), index=True)
    # "assigned" (our plan) or "permanent_residence_id" (kept from a 2023 PR ID).
    ssn_source: Mapped[str] = mapped_column(String(32), default="assigned")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class InsuranceRegistration(Base):
    """One request to register a person for social insurance, and its decision."""

    __tablename__ = "insurance_registration"
    __table_args__ = (
        CheckConstraint("state IN ('submitted', 'registered', 'refused')", name="state"),
        CheckConstraint("channel IN ('employer', 'individual', 'agency')", name="channel"),
        CheckConstraint("credential IN ('notice', 'ecard')", name="credential"),
        # Queue pages, keyset-paginated: one index per (filter, sort key, id).
        Index("ix_insurance_registration_state_created", "state", "created_at", "id"),
        Index("ix_insurance_registration_employer_created", "employer_id", "created_at", "id"),
        Index("ix_insurance_registration_name_sort", "family_name", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(16), unique=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("insurance_person.id"), index=True)
    permit_number: Mapped[str] = mapped_column(String(32), index=True)
    notice_number: Mapped[str] = mapped_column(String(40), default="", index=True)
    # The names as submitted (a refused registration has no person).
    family_name: Mapped[str] = mapped_column(String(100))
    given_names: Mapped[str] = mapped_column(String(200), default="")
    # auth_employer.id; no foreign key across contexts (indexed first in ix_insurance_registration_employer_created).
    employer_id: Mapped[int | None] = mapped_column(Integer)
    channel: Mapped[str] = mapped_column(String(16))
    credential: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16))  # indexed first in ix_insurance_registration_state_created
    refusal_reason: Mapped[str | None] = mapped_column(String(32))
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_by_user_id: Mapped[int | None] = mapped_column(Integer, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class InsuranceSsnSequence(Base):
    """The last sequence given for one SSN prefix, per parity (odd men, even women).

    Allocation locks this row (SELECT ... FOR UPDATE on PostgreSQL); the unique prefix settles
    two first allocations racing to create it.
    """

    __tablename__ = "insurance_ssn_sequence"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    prefix: Mapped[str] = mapped_column(String(14), unique=True)
    last_odd: Mapped[int] = mapped_column(Integer, default=0)
    last_even: Mapped[int] = mapped_column(Integer, default=0)


# Queues find people by part of their name through an index (FTS5 trigram / pg_trgm).
name_search(InsuranceRegistration.__table__, "family_name", "given_names")  # type: ignore[arg-type]
