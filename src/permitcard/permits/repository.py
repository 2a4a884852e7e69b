"""Queries of the permits context. Never commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from permitcard.permits.models import Permit, PermitApplication, PermitDecision, PermitPerson, PermitVersion
from permitcard.shared.crypto import blind_index

SORTS = {
    "newest": (PermitApplication.submitted_at.desc(), PermitApplication.id.desc()),
    "oldest": (PermitApplication.submitted_at.asc(), PermitApplication.id.asc()),
    "name": (PermitApplication.family_name.asc(), PermitApplication.given_names.asc(), PermitApplication.id.asc()),
    "state": (PermitApplication.state.asc(), PermitApplication.submitted_at.asc(), PermitApplication.id.asc()),
}


@dataclass(frozen=True)
class ApplicationFilter:
    employer_id: int | None = None  # None: every employer (officers, auditors)
    states: tuple[str, ...] = ()  # empty: every state
    q: str = ""
    sort: str = "newest"


def _filtered(f: ApplicationFilter, query: Select) -> Select:  # type: ignore[type-arg]
    if f.employer_id is not None:
        query = query.where(PermitApplication.employer_id == f.employer_id)
    q = f.q.strip()
    if q:
        like = f"%{q.lower()}%"
        query = query.where(or_(
            func.lower(PermitApplication.reference).like(like),
            func.lower(PermitApplication.family_name).like(like),
            func.lower(PermitApplication.given_names).like(like),
            func.lower(PermitApplication.position).like(like),
            PermitApplication.passport_hash == blind_index(q),
        ))
    return query


def list_applications(
    s: Session, f: ApplicationFilter, *, offset: int, limit: int
) -> tuple[list[PermitApplication], int]:
    query = _filtered(f, select(PermitApplication))
    if f.states:
        query = query.where(PermitApplication.state.in_(f.states))
    total = s.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    order = SORTS.get(f.sort, SORTS["newest"])
    rows = s.execute(query.order_by(*order).offset(offset).limit(limit)).scalars().all()
    return list(rows), int(total)


def counts_by_state(s: Session, f: ApplicationFilter) -> dict[str, int]:
    """How many applications match the search in each state (the filter's counts)."""
    query = _filtered(f, select(PermitApplication.state, func.count()).group_by(PermitApplication.state))
    return {state: int(n) for state, n in s.execute(query).all()}


def application(s: Session, application_id: int) -> PermitApplication | None:
    return s.get(PermitApplication, application_id)


def reference_exists(s: Session, reference: str) -> bool:
    return s.execute(select(PermitApplication.id).where(PermitApplication.reference == reference)).first() is not None


def person(s: Session, person_id: int) -> PermitPerson | None:
    return s.get(PermitPerson, person_id)


def person_by_passport(s: Session, *, nationality: str, passport_hash: str) -> PermitPerson | None:
    return s.execute(select(PermitPerson).where(PermitPerson.nationality == nationality,
                                                PermitPerson.passport_hash == passport_hash)
                     .order_by(PermitPerson.id).limit(1)).scalar_one_or_none()


def people_by_identity(
    s: Session, *, family_name: str, birth_date: date, nationality: str, sex: str
) -> list[PermitPerson]:
    return list(s.execute(select(PermitPerson).where(
        func.upper(PermitPerson.family_name) == family_name.upper(), PermitPerson.birth_date == birth_date,
        PermitPerson.nationality == nationality, PermitPerson.sex == sex).order_by(PermitPerson.id)).scalars())


def person_by_number(s: Session, permit_number: str) -> PermitPerson | None:
    return s.execute(select(PermitPerson).where(PermitPerson.permit_number == permit_number)).scalar_one_or_none()


def permit_number_taken(s: Session, permit_number: str) -> bool:
    return person_by_number(s, permit_number) is not None


def latest_permit_of(s: Session, person_id: int) -> Permit | None:
    """The person's current permit: the most recently issued one."""
    return s.execute(select(Permit).where(Permit.person_id == person_id)
                     .order_by(Permit.issued_at.desc(), Permit.id.desc()).limit(1)).scalar_one_or_none()


def valid_permits_of(s: Session, person_id: int) -> list[Permit]:
    return list(s.execute(select(Permit).where(Permit.person_id == person_id, Permit.status == "valid")).scalars())


def permit(s: Session, permit_id: int) -> Permit | None:
    return s.get(Permit, permit_id)


def current_permit_by_number(s: Session, permit_number: str) -> tuple[Permit, PermitPerson] | None:
    """The person with this lifelong number and their current permit, in one query."""
    row = s.execute(select(Permit, PermitPerson).join(PermitPerson, Permit.person_id == PermitPerson.id)
                    .where(PermitPerson.permit_number == permit_number)
                    .order_by(Permit.issued_at.desc(), Permit.id.desc()).limit(1)).first()
    return None if row is None else (row[0], row[1])


def permit_and_person_by_notice(s: Session, notice_number: str) -> tuple[Permit, PermitPerson] | None:
    row = s.execute(select(Permit, PermitPerson).join(PermitPerson, Permit.person_id == PermitPerson.id)
                    .where(Permit.notice_number == notice_number)).first()
    return None if row is None else (row[0], row[1])


def permit_by_notice(s: Session, notice_number: str) -> Permit | None:
    return s.execute(select(Permit).where(Permit.notice_number == notice_number)).scalar_one_or_none()


def notice_taken(s: Session, notice_number: str) -> bool:
    return permit_by_notice(s, notice_number) is not None


def decisions(s: Session, application_id: int) -> list[PermitDecision]:
    return list(s.execute(select(PermitDecision).where(PermitDecision.application_id == application_id)
                          .order_by(PermitDecision.at.desc(), PermitDecision.id.desc())).scalars())


def versions(s: Session, permit_id: int) -> list[PermitVersion]:
    return list(s.execute(select(PermitVersion).where(PermitVersion.permit_id == permit_id)
                          .order_by(PermitVersion.version)).scalars())
