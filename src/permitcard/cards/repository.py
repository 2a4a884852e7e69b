"""Queries of the cards context. Never commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, NamedTuple, cast

from sqlalchemy import Table, bindparam, func, or_, select
from sqlalchemy.orm import Session

from permitcard.cards.domain import (
    DEAD_APPLICATION_STATES,
    HELD_CARD_STATES,
    OPEN_STATES,
    AppState,
    CardState,
    Channel,
    Kind,
)
from permitcard.cards.models import Card, CardApplication, CardPayment
from permitcard.shared import search
from permitcard.shared.pagination import Order, Slice, capped_count, capped_counts_by, keyset_slice


def application(s: Session, application_id: int) -> CardApplication | None:
    return s.get(CardApplication, application_id)


def application_by_reference(s: Session, reference: str) -> CardApplication | None:
    return s.execute(select(CardApplication).where(CardApplication.reference == reference)).scalar_one_or_none()


def applications_for_permit(s: Session, permit_number: str) -> list[CardApplication]:
    return list(s.execute(select(CardApplication).where(CardApplication.permit_number == permit_number)
                          .order_by(CardApplication.id.desc())).scalars())


def has_open_application(s: Session, permit_number: str) -> bool:
    q = select(func.count()).select_from(CardApplication).where(
        CardApplication.permit_number == permit_number, CardApplication.state.in_([str(x) for x in OPEN_STATES]))
    return bool(s.execute(q).scalar_one())


_APPROVED_WAITING = select(CardApplication).where(
    CardApplication.permit_number == bindparam("number"), CardApplication.state == AppState.APPROVED.value,
).order_by(CardApplication.id)


def approved_waiting(s: Session, permit_number: str) -> list[CardApplication]:
    """Approved applications whose production has not started (waiting for the SSN or the permit).
    (Asked by the outbox worker at every assigned SSN: the statement is built once.)"""
    return list(s.execute(_APPROVED_WAITING, {"number": permit_number}).scalars())


def approved_waiting_many(s: Session, permit_numbers: list[str]) -> list[CardApplication]:
    """``approved_waiting`` for several people in one query."""
    return list(s.execute(select(CardApplication).where(
        CardApplication.permit_number.in_(permit_numbers), CardApplication.state == AppState.APPROVED.value,
    ).order_by(CardApplication.id)).scalars())


def cards_with_permits(s: Session, permit_numbers: list[str]) -> list[Card]:
    """The cards carrying any of these permits, in one query."""
    return list(s.execute(select(Card).where(Card.permit_number.in_(permit_numbers)).order_by(Card.id)).scalars())


def card(s: Session, card_id: int) -> Card | None:
    return s.get(Card, card_id)


def card_by_number(s: Session, card_number: str) -> Card | None:
    return s.execute(select(Card).where(Card.card_number == card_number)).scalar_one_or_none()


def card_for_application(s: Session, application_id: int) -> Card | None:
    return s.execute(select(Card).where(Card.application_id == application_id)
                     .order_by(Card.id.desc()).limit(1)).scalar_one_or_none()


def cards_for_person(s: Session, *, permit_number: str, ssn_hash: str | None = None) -> list[Card]:
    cond = Card.permit_number == permit_number
    if ssn_hash:
        cond = or_(cond, Card.ssn_hash == ssn_hash)
    return list(s.execute(select(Card).where(cond).order_by(Card.id.desc())).scalars())


def held_cards_by_ssn(s: Session, ssn_hash: str) -> list[Card]:
    return list(s.execute(select(Card).where(
        Card.ssn_hash == ssn_hash, Card.state.in_([str(x) for x in HELD_CARD_STATES])).order_by(Card.id)).scalars())


@dataclass(frozen=True)
class QueueFilter:
    state: str = ""
    channel: str = ""
    branch_id: int | None = None
    q: str = ""
    permit_number: str | None = None  # applicants: only their own


_A = CardApplication
SORTS: dict[str, Order] = {
    "created": Order((_A.created_at, _A.id)),
    "-created": Order((_A.created_at, _A.id), descending=True),
    # promised_date is empty until approval: these two go by page number (OFFSET), not by cursor.
    "promised": Order((_A.promised_date, _A.id), keyset=False),
    "-promised": Order((_A.promised_date, _A.id), descending=True, keyset=False),
    "reference": Order((_A.reference, _A.id)),
    "name": Order((_A.family_name, _A.id)),
    "state": Order((_A.state, _A.created_at, _A.id)),
}
_TABLE = cast(Table, CardApplication.__table__)


def _scope(f: QueueFilter) -> list[Any]:
    """The filter's conditions but the state and the search."""
    scope: list[Any] = []
    if f.channel:
        scope.append(CardApplication.channel == f.channel)
    if f.branch_id is not None:
        scope.append(CardApplication.branch_id == f.branch_id)
    if f.permit_number is not None:
        scope.append(CardApplication.permit_number == f.permit_number)
    return scope


def search_hits(s: Session, f: QueueFilter, sort: str | None = None) -> search.Hits | None:
    """What the filter's search finds (None: no search), looked up once per unit of work. Each alternative
    has its index: reference, permit number, the name search."""
    q = f.q.strip()
    if not q:
        return None
    return search.hits(s, _TABLE, q, CardApplication.reference == q.upper(), CardApplication.permit_number == q.upper(),
                       where=_scope(f), columns=SORTS.get(sort, SORTS["-created"]).columns if sort else (),
                       key=(f.channel, f.branch_id, f.permit_number))



def _filtered(s: Session, f: QueueFilter, base: Any, *, with_state: bool = True) -> Any:
    base = base.where(*_scope(f))
    if f.state and with_state:
        base = base.where(CardApplication.state == f.state)
    return search.only_hits(s, base, CardApplication.id, search_hits(s, f), [f.state] if f.state and with_state else [])


def queue(s: Session, f: QueueFilter, *, sort: str, offset: int, limit: int, after: str | None = None,
          before: str | None = None) -> tuple[Slice, int]:
    """A page of the queue (keyset after/before a cursor, or at an offset) and the total up to COUNT_CAP + 1."""
    hits = search_hits(s, f, sort)  # first, with the sort's columns: the other look-ups reuse it
    query = _filtered(s, f, select(CardApplication))
    order = SORTS.get(sort, SORTS["-created"])
    if hits is not None and order.keyset:
        found = search.page_of(s, CardApplication, hits, order, states=[f.state] if f.state else [], after=after,
                               before=before, offset=offset, limit=limit)
    else:
        found = keyset_slice(s, query, order, after=after, before=before, offset=offset, limit=limit)
    return found, capped_count(s, query) if hits is None else len(hits.among([f.state] if f.state else []))


def card_ids_of(s: Session, application_ids: list[int]) -> dict[int, int]:
    """The card each of these applications produced, by application id (one query for a page)."""
    if not application_ids:
        return {}
    q = select(Card.application_id, Card.id).where(Card.application_id.in_(application_ids)).order_by(Card.id)
    return {a: c for a, c in s.execute(q).all() if a is not None}


def queue_all(s: Session, f: QueueFilter, *, sort: str) -> list[CardApplication]:
    """Every application of the queue, in its order (CSV export)."""
    order = SORTS.get(sort, SORTS["-created"])
    return list(s.execute(_filtered(s, f, select(CardApplication)).order_by(*order.clauses())).scalars())


def counts_by_state(s: Session, f: QueueFilter) -> dict[str, int]:
    """Counts per state under every filter but the state one, each up to COUNT_CAP + 1."""
    found = search_hits(s, f)
    if found is not None:
        return found.counts()
    base = _filtered(s, f, select(CardApplication.id), with_state=False)
    return capped_counts_by(s, base, CardApplication.state, [state.value for state in AppState])


# Rows a branch or SLA section shows: the oldest / most urgent first; the section's heading counts them all,
# and the others follow as these are done. 50 is more than a clerk works through before the page is
# loaded again, and a vendor's delivery to confirm at once; four sections of 100 made the branch page of a
# city of 1,000,000 people cost 2.5 times that of 10,000 (bench/SCALE.md).
SECTION_LIMIT = 50
# A branch section's heading counts up to this many ("1,000+" above it): past a thousand cards waiting in one
# section the exact figure changes nothing at the counter, and counting it on every view of the page read
# thousands of index entries per section (the agency's queues count up to COUNT_CAP).
SECTION_COUNT_CAP = 1_000


def _merged(s: Session, queries: list[Any], key: Any, limit: int, make: Any = None) -> list[Any]:
    """The first ``limit`` rows of several ordered queries (one index range each), merged by ``key``: cheaper
    than one query over ``state IN (...)``, which must sort every matching row before it can stop. Each row
    is an ORM object, or ``make(row)`` when given (a query of columns)."""
    rows = [row for q in queries for row in (s.execute(q.limit(limit)).scalars() if make is None
                                             else map(make, s.execute(q.limit(limit))))]
    return sorted(rows, key=key)[:limit]


def in_progress_with_promise(s: Session, *, branch_id: int | None = None,
                             limit: int = SECTION_LIMIT) -> list[CardApplication]:
    """Approved and in-production applications, the earliest promised date first (at most ``limit``)."""
    queries = []
    for state in (AppState.APPROVED.value, AppState.IN_PRODUCTION.value):
        q = select(CardApplication).where(CardApplication.state == state, CardApplication.promised_date.is_not(None))
        if branch_id is not None:
            q = q.where(CardApplication.branch_id == branch_id)
        queries.append(q.order_by(CardApplication.promised_date, CardApplication.id))
    return _merged(s, queries, lambda a: (a.promised_date, a.id), limit)


def waiting_for_calendar(s: Session, *, year: int | None = None, branch_id: int | None = None,
                         limit: int | None = None) -> list[CardApplication]:
    """Approved applications whose promised date waits for an official calendar (of ``year``), oldest first."""
    q = select(CardApplication).where(CardApplication.promised_calendar_year.is_not(None),
                                      CardApplication.promised_date.is_(None))
    if year is not None:
        q = q.where(CardApplication.promised_calendar_year <= year)
    if branch_id is not None:
        q = q.where(CardApplication.branch_id == branch_id)
    q = q.order_by(CardApplication.approved_at, CardApplication.id)
    return list(s.execute(q.limit(limit) if limit else q).scalars())


def _sections(branch_id: int, states: list[str], channel: str | None, *columns: Any) -> list[Any]:
    """One query per state and channel: each is one range of ``ix_card_application_branch_state`` (branch,
    state, channel, updated_at, id), read in order and counted from the index alone."""
    channels = [channel] if channel else [c.value for c in Channel]
    return [select(*columns).where(CardApplication.branch_id == branch_id, CardApplication.state == state,
                                  CardApplication.channel == ch) for state in states for ch in channels]


class SectionRow(NamedTuple):
    """What a branch section shows of an application (and sorts it by): a plain row, not an ORM object. The
    rows are most of a branch page's cost, up to SECTION_LIMIT in each of four sections; loading the whole
    application for each took two to three times as long."""

    id: int
    reference: str
    family_name: str
    given_names: str
    state: str
    channel: str
    version: int
    promised_date: date | None
    updated_at: datetime


_SECTION_COLUMNS = tuple(getattr(CardApplication, name) for name in SectionRow._fields)


def branch_section(s: Session, branch_id: int, *, states: list[str], channel: str | None = None,
                   limit: int = SECTION_LIMIT) -> list[SectionRow]:
    """A branch's applications in these states, the longest waiting first (at most ``limit``)."""
    queries = [q.order_by(CardApplication.updated_at, CardApplication.id)
               for q in _sections(branch_id, states, channel, *_SECTION_COLUMNS)]
    return _merged(s, queries, lambda a: (a.updated_at, a.id), limit, make=SectionRow._make)


def branch_section_count(s: Session, branch_id: int, *, states: list[str], channel: str | None = None) -> int:
    return sum(capped_count(s, q, cap=SECTION_COUNT_CAP) for q in _sections(branch_id, states, channel,
                                                                            CardApplication.id))


def issued_at_branch(s: Session, branch_id: int, *, limit: int = SECTION_LIMIT) -> list[SectionRow]:
    """The applications of the cards handed over at the branch and not activated yet (oldest first)."""
    q = (select(*_SECTION_COLUMNS).join(Card, Card.application_id == CardApplication.id)
         .where(Card.branch_id == branch_id, Card.state == CardState.ISSUED.value,
                CardApplication.state == AppState.COLLECTED.value)
         .order_by(Card.issued_at, Card.id).limit(limit))
    return [SectionRow._make(r) for r in s.execute(q)]


def issued_count(s: Session, branch_id: int) -> int:
    return capped_count(s, select(Card.id).where(Card.branch_id == branch_id, Card.state == CardState.ISSUED.value),
                        cap=SECTION_COUNT_CAP)


INSTANT = Channel.INSTANT.value


# --- loss, replacement, fees ---------------------------------------------------------------------------

def live_replacement_for(s: Session, card_id: int) -> CardApplication | None:
    """The replacement application of this card that still counts (not rejected or cancelled)."""
    return s.execute(select(CardApplication).where(
        CardApplication.replaces_card_id == card_id,
        CardApplication.state.not_in([str(x) for x in DEAD_APPLICATION_STATES])).limit(1)).scalar_one_or_none()


def payment_for(s: Session, application_id: int) -> CardPayment | None:
    return s.execute(select(CardPayment).where(CardPayment.application_id == application_id)).scalar_one_or_none()


def payments_on(s: Session, *, branch_id: int, day: date) -> list[tuple[CardPayment, CardApplication]]:
    q = (select(CardPayment, CardApplication).join(CardApplication, CardApplication.id == CardPayment.application_id)
         .where(CardPayment.branch_id == branch_id, CardPayment.paid_date == day).order_by(CardPayment.paid_at,
                                                                                            CardPayment.id))
    return [(p, a) for p, a in s.execute(q).all()]


def replacements_collected(s: Session, *, branch_id: int, start: datetime,
                           end: datetime) -> list[tuple[CardApplication, Card]]:
    """Replacement cards handed over at this branch in [start, end), with the new card."""
    q = (select(CardApplication, Card).join(Card, Card.application_id == CardApplication.id)
         .where(CardApplication.branch_id == branch_id, CardApplication.kind == Kind.REPLACEMENT.value,
                CardApplication.collected_at >= start, CardApplication.collected_at < end)
         .order_by(CardApplication.collected_at, CardApplication.id))
    return [(a, c) for a, c in s.execute(q).all()]
