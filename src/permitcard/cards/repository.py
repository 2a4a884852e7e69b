"""Queries of the cards context. Never commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from permitcard.cards.domain import DEAD_APPLICATION_STATES, HELD_CARD_STATES, OPEN_STATES, AppState, Channel, Kind
from permitcard.cards.models import Card, CardApplication, CardPayment


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


def approved_waiting(s: Session, permit_number: str) -> list[CardApplication]:
    """Approved applications whose production has not started (waiting for the SSN or the permit)."""
    return list(s.execute(select(CardApplication).where(
        CardApplication.permit_number == permit_number, CardApplication.state == AppState.APPROVED.value,
    ).order_by(CardApplication.id)).scalars())


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


SORTS: dict[str, Any] = {
    "created": CardApplication.created_at.asc(),
    "-created": CardApplication.created_at.desc(),
    "promised": CardApplication.promised_date.asc(),
    "-promised": CardApplication.promised_date.desc(),
    "reference": CardApplication.reference.asc(),
    "name": CardApplication.family_name.asc(),
    "state": CardApplication.state.asc(),
}


def _filtered(f: QueueFilter, base: Any) -> Any:
    if f.state:
        base = base.where(CardApplication.state == f.state)
    if f.channel:
        base = base.where(CardApplication.channel == f.channel)
    if f.branch_id is not None:
        base = base.where(CardApplication.branch_id == f.branch_id)
    if f.permit_number is not None:
        base = base.where(CardApplication.permit_number == f.permit_number)
    if f.q:
        like = f"%{f.q.strip().upper()}%"
        base = base.where(or_(
            func.upper(CardApplication.reference).like(like),
            func.upper(CardApplication.family_name).like(like),
            func.upper(CardApplication.given_names).like(like),
            func.upper(CardApplication.permit_number).like(like),
        ))
    return base


def queue(s: Session, f: QueueFilter, *, sort: str, offset: int,
          limit: int | None) -> tuple[list[CardApplication], int]:
    total = int(s.execute(_filtered(f, select(func.count()).select_from(CardApplication))).scalar_one())
    q = _filtered(f, select(CardApplication)).order_by(SORTS.get(sort, SORTS["-created"]), CardApplication.id.desc())
    q = q.offset(offset)
    if limit is not None:
        q = q.limit(limit)
    return list(s.execute(q).scalars()), total


def counts_by_state(s: Session, f: QueueFilter) -> dict[str, int]:
    """Counts per state under every filter but the state one (the filter's own numbers)."""
    base = QueueFilter(channel=f.channel, branch_id=f.branch_id, q=f.q, permit_number=f.permit_number)
    q = _filtered(base, select(CardApplication.state, func.count()).select_from(CardApplication))
    return {state: int(n) for state, n in s.execute(q.group_by(CardApplication.state)).all()}


def in_progress_with_promise(s: Session, *, branch_id: int | None = None) -> list[CardApplication]:
    q = select(CardApplication).where(
        CardApplication.state.in_([AppState.APPROVED.value, AppState.IN_PRODUCTION.value]),
        CardApplication.promised_date.is_not(None),
    )
    if branch_id is not None:
        q = q.where(CardApplication.branch_id == branch_id)
    return list(s.execute(q.order_by(CardApplication.promised_date, CardApplication.id)).scalars())


def branch_section(s: Session, branch_id: int, *, states: list[str],
                   channel: str | None = None) -> list[CardApplication]:
    q = select(CardApplication).where(CardApplication.branch_id == branch_id, CardApplication.state.in_(states))
    if channel:
        q = q.where(CardApplication.channel == channel)
    return list(s.execute(q.order_by(CardApplication.updated_at, CardApplication.id)).scalars())


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
