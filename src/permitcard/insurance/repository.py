"""Insurance queries. Never commits."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Select, Table, bindparam, case, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from permitcard.insurance.domain import STATES
from permitcard.insurance.models import InsurancePerson, InsuranceRegistration, InsuranceSsnSequence
from permitcard.prebuilt import Prebuilt
from permitcard.shared import search
from permitcard.shared.crypto import blind_index
from permitcard.shared.pagination import Order, Slice, capped_count, capped_counts_by, keyset_slice

SORTS: dict[str, Order] = {
    "newest": Order((InsuranceRegistration.created_at, InsuranceRegistration.id), descending=True),
    "oldest": Order((InsuranceRegistration.created_at, InsuranceRegistration.id)),
    "name": Order((InsuranceRegistration.family_name, InsuranceRegistration.id)),
    "state": Order((InsuranceRegistration.state, InsuranceRegistration.created_at, InsuranceRegistration.id)),
}
_TABLE = cast(Table, InsuranceRegistration.__table__)


@dataclass(frozen=True)
class RegistrationFilter:
    """What a queue shows. ``employer_id``/``permit_number`` narrow it to what the reader owns."""

    employer_id: int | None = None
    permit_number: str | None = None
    state: str | None = None
    channel: str | None = None
    q: str = ""
    sort: str = "newest"


def person_by_permit(s: Session, permit_number: str, *, lock: bool = False) -> InsurancePerson | None:
    query = select(InsurancePerson).where(InsurancePerson.permit_number == permit_number)
    if lock:
        query = query.with_for_update()
    return s.execute(query).scalar_one_or_none()


def person_key(s: Session, permit_number: str) -> Any | None:
    """The insured person with this permit number as a plain row (``id``, ``ssn``), or None."""
    return _statements(s.get_bind().dialect.name)["person_key"].run(s, {"number": permit_number}).first()


def person_by_ssn(s: Session, ssn: str) -> InsurancePerson | None:
    return s.execute(
        select(InsurancePerson).where(InsurancePerson.ssn_hash == blind_index(ssn))
    ).scalar_one_or_none()


def person(s: Session, person_id: int) -> InsurancePerson | None:
    return s.get(InsurancePerson, person_id)


def registration(s: Session, registration_id: int) -> InsuranceRegistration | None:
    return s.get(InsuranceRegistration, registration_id)


def registration_by_reference(s: Session, reference: str) -> InsuranceRegistration | None:
    return s.execute(
        select(InsuranceRegistration).where(InsuranceRegistration.reference == reference)
    ).scalar_one_or_none()


def registered_for(s: Session, *, person_id: int, channel: str, employer_id: int | None,
                   created_by_user_id: int | None) -> InsuranceRegistration | None:
    """An earlier successful registration of this person through the same door (idempotency)."""
    query = select(InsuranceRegistration).where(
        InsuranceRegistration.person_id == person_id, InsuranceRegistration.channel == channel,
        InsuranceRegistration.state == "registered",
    )
    if channel == "employer":
        query = query.where(InsuranceRegistration.employer_id == employer_id)
    elif channel == "individual":
        query = query.where(InsuranceRegistration.created_by_user_id == created_by_user_id)
    return s.execute(query.order_by(InsuranceRegistration.id).limit(1)).scalar_one_or_none()


def latest_for_permit(s: Session, permit_number: str) -> list[InsuranceRegistration]:
    return list(s.execute(
        select(InsuranceRegistration).where(InsuranceRegistration.permit_number == permit_number)
        .order_by(InsuranceRegistration.created_at.desc(), InsuranceRegistration.id.desc())
    ).scalars())


def insert_person(s: Session, values: dict[str, Any]) -> int | None:
    """Insert an insured person in one statement; None if the permit or the SSN is someone's already
    (``ON CONFLICT DO NOTHING``: no savepoint, and the transaction goes on either way)."""
    found = _statements(s.get_bind().dialect.name)["person"].run(s, values).scalar_one_or_none()
    return None if found is None else int(found)


@functools.cache
def _statements(dialect: str) -> dict[str, Prebuilt]:
    """The registration's writes, built once per dialect (bound per call: no construction, no coercion)."""
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    # On the tables, not the ORM classes: a Core statement skips the ORM's per-execution compile step.
    people, sequences = cast(Table, InsurancePerson.__table__), cast(Table, InsuranceSsnSequence.__table__)
    out = {"person": Prebuilt(insert(people).on_conflict_do_nothing().returning(people.c.id)),
           "person_key": Prebuilt(select(people.c.id, people.c.ssn)
                                  .where(people.c.permit_number == bindparam("number")))}
    for odd in (True, False):
        column = sequences.c.last_odd if odd else sequences.c.last_even
        first = 1 if odd else 2
        out[f"sequence_{odd}"] = Prebuilt(insert(sequences).values(
            prefix=bindparam("prefix"), last_odd=1 if odd else -1, last_even=2 if not odd else 0
        ).on_conflict_do_update(
            index_elements=[sequences.c.prefix],
            set_={column.key: case((column < first, first), else_=column + 2)},
        ).returning(column))
    return out


def take_sequence(s: Session, prefix: str, *, odd: bool) -> int:
    """Take the next sequence of this prefix and parity in one statement (odd 1, 3, …; even 2, 4, …).

    An upsert with RETURNING: the first registration of a prefix creates its row, later ones bump
    it; the row stays locked until commit, so two registrations never get the same number."""
    upsert = _statements(s.get_bind().dialect.name)[f"sequence_{odd}"]
    return int(upsert.run(s, {"prefix": prefix}).scalar_one())


def _scope(f: RegistrationFilter) -> list[Any]:
    """The filter's conditions but the state and the search."""
    scope: list[Any] = []
    if f.employer_id is not None:
        scope.append(InsuranceRegistration.employer_id == f.employer_id)
    if f.permit_number is not None:
        scope.append(InsuranceRegistration.permit_number == f.permit_number)
    if f.channel:
        scope.append(InsuranceRegistration.channel == f.channel)
    return scope


def search_hits(s: Session, f: RegistrationFilter) -> search.Hits | None:
    """What the filter's search finds (None: no search), looked up once per unit of work. Each alternative
    has its index: the numbers, the SSN's blind index, the name search."""
    q = f.q.strip()
    if not q:
        return None
    ssn_person = select(InsurancePerson.id).where(InsurancePerson.ssn_hash == blind_index(q))
    return search.hits(s, _TABLE, q, InsuranceRegistration.reference == q.upper(),
                       InsuranceRegistration.permit_number == q.upper(),
                       InsuranceRegistration.notice_number == q.upper(),
                       InsuranceRegistration.person_id.in_(ssn_person),
                       where=_scope(f), columns=SORTS.get(f.sort, SORTS["newest"]).columns,
                       key=(f.employer_id, f.permit_number, f.channel))



def _filtered(s: Session, f: RegistrationFilter, *, with_state: bool = True) -> Select[Any]:
    query = select(InsuranceRegistration).where(*_scope(f))
    if f.state and with_state:
        query = query.where(InsuranceRegistration.state == f.state)
    return search.only_hits(s, query, InsuranceRegistration.id, search_hits(s, f),
                            [f.state] if f.state and with_state else [])


def count_registrations(s: Session, f: RegistrationFilter) -> int:
    """How many registrations the filter lists, up to COUNT_CAP + 1."""
    found = search_hits(s, f)
    return capped_count(s, _filtered(s, f)) if found is None else len(found.among([f.state] if f.state else []))


def count_by_state(s: Session, f: RegistrationFilter) -> dict[str, int]:
    """Counts per state under every filter but the state one, each up to COUNT_CAP + 1."""
    found = search_hits(s, f)
    if found is not None:
        return found.counts()
    return capped_counts_by(s, _filtered(s, f, with_state=False), InsuranceRegistration.state, list(STATES))


def list_registrations(s: Session, f: RegistrationFilter, *, offset: int = 0, limit: int = 25,
                       after: str | None = None, before: str | None = None) -> Slice:
    """A page of registrations: after/before a cursor (keyset) or at an offset."""
    order = SORTS.get(f.sort, SORTS["newest"])
    found = search_hits(s, f)
    if found is not None and order.keyset:
        return search.page_of(s, InsuranceRegistration, found, order, states=[f.state] if f.state else [],
                              after=after, before=before, offset=offset, limit=limit)
    return keyset_slice(s, _filtered(s, f), order, after=after, before=before, offset=offset, limit=limit)


def all_registrations(s: Session, f: RegistrationFilter) -> list[InsuranceRegistration]:
    """Every registration the filter lists, in its order (CSV export)."""
    order = SORTS.get(f.sort, SORTS["newest"])
    return list(s.execute(_filtered(s, f).order_by(*order.clauses())).scalars())


def people(s: Session, ids: set[int]) -> dict[int, InsurancePerson]:
    if not ids:
        return {}
    return {p.id: p for p in s.execute(select(InsurancePerson).where(InsurancePerson.id.in_(ids))).scalars()}
