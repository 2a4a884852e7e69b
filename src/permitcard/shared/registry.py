"""The one door from the card side to the Work-in-China registry (SPEC §2, last point).

Insurance, cards, e-card and account linking ask only these questions, through ``registry_for``.
Which registry answers is injected by ``permitcard.bootstrap``: the built-in one
(``permitcard.permits.registry.BuiltinRegistry``) answers from our own tables; a deployment can set
PERMITCARD_REGISTRY_BACKEND to an adapter for the national system instead. This module imports no
context.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from sqlalchemy.orm import Session

from permitcard.shared.errors import N_, RuleViolation
from permitcard.shared.names import fold
from permitcard.shared.ports import Port


@dataclass(frozen=True)
class PermitInfo:
    """What the registry tells about a permit: the data loaded onto the card."""

    permit_number: str
    notice_number: str
    family_name: str
    given_names: str
    nationality: str  # ISO 3166 alpha-2
    birth_date: date
    sex: str  # "M" | "F"
    passport_number: str
    category: str  # "A" | "B" | "C"
    employer_uscc: str
    employer_name_en: str
    employer_name_zh: str
    position: str
    valid_from: date
    valid_to: date
    status: str  # "valid" | "cancelled" | "expired"
    version: int
    # "electronic": on the social security record; "paper": a pre-2024-12-01 paper permit not yet
    # superseded (no change, no replacement), whose information cannot be loaded onto a card yet.
    origin: str = "electronic"
    chinese_name: str = ""  # the person's name in Chinese characters, where they have one

    @property
    def is_valid(self) -> bool:
        return self.status == "valid"

    @property
    def is_paper(self) -> bool:
        return self.origin == "paper"

    @property
    def full_name(self) -> str:
        return f"{self.given_names} {self.family_name}".strip()


class RegistryRefusal(RuleViolation):
    """The registry does not confirm the permit for this person; ``reason`` says why."""

    code = "registry_refusal"
    title = N_("The work permit could not be confirmed")

    def __init__(self, message: str, /, reason: str, **params: object) -> None:
        self.reason = reason  # "unknown" | "name_mismatch" | "passport_mismatch" | "not_valid"
        super().__init__(message, **params)


REFUSAL_MESSAGES = {
    "unknown": N_("No work permit with this number is registered"),
    "name_mismatch": N_("The name does not match the name on the work permit"),
    "passport_mismatch": N_("The passport number does not match the one on the work permit"),
    "not_valid": N_("The work permit is not valid (cancelled or expired)"),
    # Asked by the number of a Foreign Work Permit Notice (the form had no permit number in it).
    "unknown_notice": N_("No Foreign Work Permit Notice with this notice number is registered. Check the number on "
                         "the notice."),
}


class PermitRegistry(Protocol):
    def verify(
        self, *, permit_number: str, family_name: str, given_names: str, passport_number: str,
        require_valid: bool = True,
    ) -> PermitInfo:
        """Is permit N valid for this person? Raises RegistryRefusal with the reason if not."""
        ...

    def get(self, permit_number: str) -> PermitInfo | None: ...

    def by_notice(self, notice_number: str) -> PermitInfo | None: ...


RegistryFactory = Callable[[Session], PermitRegistry]
"""Makes the registry for one unit of work (the built-in one reads through the caller's session)."""

REGISTRY: Port[RegistryFactory] = Port("permit registry")


def registry_for(session: Session) -> PermitRegistry:
    """The configured registry, answering inside the caller's transaction."""
    return REGISTRY.get()(session)


def names_match(a_family: str, a_given: str, b_family: str, b_given: str) -> bool:
    """Names as in the passport: case, spacing and hyphen/apostrophe differences do not count."""

    def norm(x: str) -> str:
        return fold(x)  # García == GARCIA, as the MRZ writes it

    if norm(a_family) != norm(b_family):
        return False
    return not a_given.strip() or not b_given.strip() or norm(a_given) == norm(b_given)
