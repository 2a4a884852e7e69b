"""What happens in social insurance registration, for the card side (and later reports) to follow."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from permitcard.shared.events import Event


@dataclass(frozen=True)
class SsnAssigned(Event):
    """A person got their social security number (once in a lifetime)."""

    name: ClassVar[str] = "insurance.ssn_assigned"

    permit_number: str
    person_id: int


@dataclass(frozen=True)
class RegistrationDecided(Event):
    """A registration was registered (SSN given) or refused (``reason`` says why)."""

    name: ClassVar[str] = "insurance.registration_decided"

    registration_id: int
    reference: str
    permit_number: str
    state: str  # "registered" | "refused"
    reason: str = ""
