"""Queries of the permits context. Never commits."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date
from typing import Any, cast

from sqlalchemy import Select, Table, bindparam, func, select
from sqlalchemy.orm import Session

from permitcard.permits.domain import State
from permitcard.permits.models import Permit, PermitApplication, PermitDecision, PermitPerson, PermitVersion
from permitcard.prebuilt import Prebuilt
from permitcard.shared import search
from permitcard.shared.crypto import blind_index
from permitcard.shared.pagination import Order, Slice, capped_count, capped_counts_by, keyset_slice

_TABLE = cast(Table, PermitApplication.__table__)
SORTS = {
    "newest": Order((PermitApplication.submitted_at, PermitApplication.id), descending=True),
    "oldest": Order((PermitApplication.submitted_at, PermitApplication.id)),
    "name": Order((PermitApplication.family_name, PermitApplication.given_names, PermitApplication.id)),
    "state": Order((PermitApplication.state, PermitApplication.submitted_at, PermitApplication.id)),
}


@dataclass(frozen=True)
class ApplicationFilter:
    employer_id: int | None = None  # None: every employer (officers, auditors)
    states: tuple[str, ...] = ()  # empty: every state
    q: str = ""
    sort: str = "newest"


def _scope(f: ApplicationFilter) -> list[Any]:
    """The filter's conditions but the states and the search."""
    return [] if f.employer_id is None else [PermitApplication.employer_id == f.employer_id]


def search_hits(s: Session, f: ApplicationFilter) -> search.Hits | None:
    """What the filter's search finds (None: no search), looked up once per unit of work. Each alternative
    has its index: the reference, the passport's blind index, the name search."""
    q = f.q.strip()
    if not q:
        return None
    return search.hits(s, _TABLE, q, PermitApplication.reference == q.upper(),
                       PermitApplication.passport_hash == blind_index(q), where=_scope(f),
                       columns=SORTS.get(f.sort, SORTS["newest"]).columns,
                       key=f.employer_id)


def _filtered(s: Session, f: ApplicationFilter, query: Select) -> Select:  # type: ignore[type-arg]
    return search.only_hits(s, query.where(*_scope(f)), PermitApplication.id, search_hits(s, f), f.states)


def _listed(s: Session, f: ApplicationFilter) -> Select:  # type: ignore[type-arg]
    query = _filtered(s, f, select(PermitApplication))
    if f.states:
        query = query.where(PermitApplication.state.in_(f.states))
    return query


def list_applications(s: Session, f: ApplicationFilter, *, offset: int, limit: int, after: str | None = None,
                      before: str | None = None) -> Slice:
    """A page of applications: after/before a cursor (keyset) or at an offset."""
    order = SORTS.get(f.sort, SORTS["newest"])
    found = search_hits(s, f)
    if found is not None and order.keyset:
        return search.page_of(s, PermitApplication, found, order, states=f.states, after=after, before=before,
                              offset=offset, limit=limit)
    return keyset_slice(s, _listed(s, f), order, after=after, before=before, offset=offset, limit=limit)



def count_applications(s: Session, f: ApplicationFilter) -> int:
    """How many applications the filter lists, up to COUNT_CAP + 1."""
    found = search_hits(s, f)
    return capped_count(s, _listed(s, f)) if found is None else len(found.among(f.states))


def counts_by_state(s: Session, f: ApplicationFilter) -> dict[str, int]:
    """How many applications match the search in each state (the filter's counts), each up to COUNT_CAP + 1:
    one index range per state, so the cost does not grow with the table."""
    found = search_hits(s, f)
    if found is not None:
        return found.counts()
    base = _filtered(s, f, select(PermitApplication.id))
    return capped_counts_by(s, base, PermitApplication.state, [state.value for state in State])


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


def permit_numbers(s: Session, permit_ids: set[int]) -> dict[int, tuple[str, str]]:
    """(notice number, lifelong permit number) of each permit, in one query (a page's, not one per row)."""
    if not permit_ids:
        return {}
    rows = s.execute(select(Permit.id, Permit.notice_number, PermitPerson.permit_number)
                     .join(PermitPerson, Permit.person_id == PermitPerson.id).where(Permit.id.in_(permit_ids)))
    return {i: (notice, number) for i, notice, number in rows}


def current_permit_by_number(s: Session, permit_number: str) -> tuple[Permit, PermitPerson] | None:
    """The person with this lifelong number and their current permit, in one query."""
    row = s.execute(select(Permit, PermitPerson).join(PermitPerson, Permit.person_id == PermitPerson.id)
                    .where(PermitPerson.permit_number == permit_number)
                    .order_by(Permit.issued_at.desc(), Permit.id.desc()).limit(1)).first()
    return None if row is None else (row[0], row[1])


_CURRENT_BY_NUMBERS = (
    select(PermitPerson.permit_number, PermitPerson.family_name, PermitPerson.given_names, PermitPerson.chinese_name,
           PermitPerson.nationality, PermitPerson.birth_date, PermitPerson.sex, PermitPerson.passport_number,
           Permit.notice_number, Permit.category, Permit.employer_id, Permit.position, Permit.valid_from_date,
           Permit.valid_to_date, Permit.status, Permit.version, Permit.origin, Permit.paper_superseded_at)
    .join(PermitPerson, Permit.person_id == PermitPerson.id)
    .where(PermitPerson.permit_number.in_(bindparam("numbers", expanding=True)))
    .order_by(PermitPerson.permit_number, Permit.issued_at.desc(), Permit.id.desc()))


def current_permits_by_numbers(s: Session, numbers: list[str]) -> dict[str, Any]:
    """Each person's current permit (the most recently issued), for several lifelong numbers in one query:
    number -> a row with the person's and the permit's columns (no ORM objects: batches read thousands;
    the statement is built once)."""
    found: dict[str, Any] = {}
    for row in s.execute(_CURRENT_BY_NUMBERS, {"numbers": numbers}):
        found.setdefault(row.permit_number, row)
    return found


@functools.cache
def _lookups() -> dict[str, Any]:
    """The registry's look-ups of one permit, built once, on the tables: plain rows with the person's and
    the permit's columns (what ``registry._info`` reads), no ORM objects."""
    p, pp = cast(Table, Permit.__table__).c, cast(Table, PermitPerson.__table__).c
    base = select(pp.permit_number, pp.family_name, pp.given_names, pp.chinese_name, pp.nationality, pp.birth_date,
                  pp.sex, pp.passport_number, p.notice_number, p.category, p.employer_id, p.position,
                  p.valid_from_date, p.valid_to_date, p.status, p.version, p.origin, p.paper_superseded_at,
                  ).select_from(cast(Table, Permit.__table__).join(cast(Table, PermitPerson.__table__),
                                                                   p.person_id == pp.id))
    return {
        "notice": Prebuilt(base.where(p.notice_number == bindparam("notice")).limit(1)),
        "number": Prebuilt(base.where(pp.permit_number == bindparam("number"))
                           .order_by(p.issued_at.desc(), p.id.desc()).limit(1)),
    }


def permit_row_by_notice(s: Session, notice_number: str) -> Any | None:
    """The permit with this notice number and its person, as one plain row (None if there is none)."""
    return _lookups()["notice"].run(s, {"notice": notice_number}).first()


def current_permit_row(s: Session, permit_number: str) -> Any | None:
    """The person with this lifelong number and their current permit, as one plain row."""
    return _lookups()["number"].run(s, {"number": permit_number}).first()


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
