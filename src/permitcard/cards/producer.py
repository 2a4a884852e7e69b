"""The card production adapter: the bank's card vendor that personalises a card.

``producer_for(s)`` returns the vendor that ``permitcard.bootstrap`` installed in ``PRODUCER`` (chosen
by PERMITCARD_CARD_PRODUCER). The built-in vendor numbers cards from counters in ``card_sequence``:
an atomic ``UPDATE … RETURNING`` hands every concurrent caller a different value, on SQLite and
PostgreSQL alike.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from permitcard.banks.service import Branch
from permitcard.cards import domain
from permitcard.cards.models import CardSequence
from permitcard.shared.ports import Port
from permitcard.shared.registry import PermitInfo


@dataclass(frozen=True)
class ProducedCard:
    card_number: str
    bank_account_number: str


class CardProducer(Protocol):
    def produce(self, *, application_ref: str, branch: Branch, ssn: str, permit: PermitInfo) -> ProducedCard:
        """Personalise one card for this person at this branch's bank."""
        ...


def next_value(s: Session, name: str) -> int:
    """The next value of a named counter, unique under concurrency (inside the caller's transaction)."""
    for _ in range(3):
        stmt = (update(CardSequence).where(CardSequence.name == name)
                .values(value=CardSequence.value + 1).returning(CardSequence.value))
        value = s.execute(stmt).scalar_one_or_none()
        if value is not None:
            return int(value)
        try:
            with s.begin_nested():
                s.add(CardSequence(name=name, value=0))
        except IntegrityError:  # another transaction created it first: increment theirs
            continue
    raise RuntimeError(f"counter {name} could not be incremented")


class BuiltinProducer:
    """The built-in card vendor: card number and bank account number from counters."""

    def __init__(self, session: Session) -> None:
        self.s = session

    def produce(self, *, application_ref: str, branch: Branch, ssn: str, permit: PermitInfo) -> ProducedCard:
        card_no = domain.card_number(next_value(self.s, "card_number"))
        account = domain.account_number(branch.bin_prefix, next_value(self.s, f"account:{branch.bin_prefix}"))
        return ProducedCard(card_number=card_no, bank_account_number=account)


ProducerFactory = Callable[[Session], CardProducer]
"""Makes the vendor for one unit of work (the built-in one counts inside the caller's transaction)."""

PRODUCER: Port[ProducerFactory] = Port("card producer")


def producer_for(s: Session) -> CardProducer:
    return PRODUCER.get()(s)
