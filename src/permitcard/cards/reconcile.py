"""``permitcard reconcile``: the registry against every card's permit information.

Each card that carries a permit is compared, field by field, with what the registry says about that
permit now. The differences are listed; ``repair`` fixes them through the one permit-event handler
(``cards.handlers.refresh_permit``, with ``force``: the registry decides, even over a card claiming a
newer version), audited as ``card.permit_refreshed`` by ``cards.reconcile``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from permitcard.cards.handlers import refresh_permit
from permitcard.cards.models import Card
from permitcard.cards.service import permit_values
from permitcard.db import Database
from permitcard.shared.audit import Actor
from permitcard.shared.registry import registry_for

CHUNK = 500  # permit numbers per unit of work


@dataclass(frozen=True)
class Drift:
    card_number: str
    permit_number: str
    field: str
    on_card: Any
    in_registry: Any

    def line(self) -> str:
        return (f"card {self.card_number} permit {self.permit_number}: {self.field} on the card {self.on_card!r}, "
                f"in the registry {self.in_registry!r}")


@dataclass
class Reconciliation:
    cards: int = 0
    drift: list[Drift] = field(default_factory=list)
    repaired_cards: int = 0

    @property
    def permits_with_drift(self) -> list[str]:
        return sorted({d.permit_number for d in self.drift})


def _permit_numbers(db: Database) -> Iterator[list[str]]:
    after = ""
    while True:
        with db.uow(write=False) as s:
            numbers = list(s.execute(select(Card.permit_number).where(
                Card.permit_number.is_not(None), Card.permit_number > after)
                .group_by(Card.permit_number).order_by(Card.permit_number).limit(CHUNK)).scalars())
        if not numbers:
            return
        yield [n for n in numbers if n]
        after = numbers[-1] or after


def _compare(s: Session, numbers: list[str], report: Reconciliation) -> list[str]:
    drifted: list[str] = []
    cards: dict[str, list[Card]] = {}
    for card in s.execute(select(Card).where(Card.permit_number.in_(numbers)).order_by(Card.id)).scalars():
        cards.setdefault(card.permit_number or "", []).append(card)
    registry = registry_for(s)
    for number in numbers:
        permit = registry.get(number)
        for card in cards.get(number, []):
            report.cards += 1
            if permit is None:
                report.drift.append(Drift(card.card_number, number, "permit", "present", "unknown permit number"))
                continue
            found = [Drift(card.card_number, number, key, getattr(card, key), value)
                     for key, value in permit_values(permit).items() if getattr(card, key) != value]
            report.drift += found
            if found:
                drifted.append(number)
    return drifted


def reconcile(db: Database, *, repair: bool = False) -> Reconciliation:
    """Compare every card's permit information with the registry; with ``repair``, fix the differences."""
    report = Reconciliation()
    actor = Actor.system("cards.reconcile")
    for numbers in _permit_numbers(db):
        with db.uow(write=repair) as s:
            drifted = _compare(s, numbers, report)
            if repair and drifted:
                for number in dict.fromkeys(drifted):
                    report.repaired_cards += refresh_permit(s, number, actor=actor, force=True)
                s.commit()
    return report
