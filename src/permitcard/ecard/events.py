"""What happens to e-cards, for notifications and reports to follow (references only, no personal data)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from permitcard.shared.events import Event


@dataclass(frozen=True)
class EcardVerified(Event):
    """A person passed real-name verification: their e-card is in use."""

    name: ClassVar[str] = "ecard.verified"

    account_id: int
    permit_number: str
    verifier: str


@dataclass(frozen=True)
class EcardPasswordChanged(Event):
    """The e-card password changed: every other session and bearer token was revoked."""

    name: ClassVar[str] = "ecard.password_changed"

    account_id: int
    permit_number: str
