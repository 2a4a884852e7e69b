"""What happens to cards and card applications, for the e-card, notifications and reports to follow.

Events carry references, never personal data (the outbox is not encrypted): the card's id, the
permit number it belongs to and the state it reached.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from permitcard.shared.events import Event


@dataclass(frozen=True)
class CardEvent(Event):
    name: ClassVar[str] = "card.changed"

    card_id: int
    permit_number: str
    version: int


@dataclass(frozen=True)
class CardProduced(CardEvent):
    name: ClassVar[str] = "card.produced"

    application_id: int = 0


@dataclass(frozen=True)
class CardIssued(CardEvent):
    """Handed over to the holder at the branch (not active yet)."""

    name: ClassVar[str] = "card.issued"


@dataclass(frozen=True)
class CardActivated(CardEvent):
    name: ClassVar[str] = "card.activated"


@dataclass(frozen=True)
class CardSuspended(CardEvent):
    """Reported lost (or otherwise stopped): it cannot be used until restored."""

    name: ClassVar[str] = "card.suspended"


@dataclass(frozen=True)
class CardRestored(CardEvent):
    name: ClassVar[str] = "card.restored"


@dataclass(frozen=True)
class CardInvalidated(CardEvent):
    """For good: replaced by a new card."""

    name: ClassVar[str] = "card.invalidated"


@dataclass(frozen=True)
class CardApplicationChanged(Event):
    """A card application moved (``action``) to ``state``."""

    name: ClassVar[str] = "card_application.changed"

    application_id: int
    reference: str
    permit_number: str
    action: str
    state: str
