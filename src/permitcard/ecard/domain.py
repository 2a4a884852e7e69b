"""Pure rules of the e-card (SPEC §5): the password, one-time codes, attempt delays, what the e-card
says about the physical card, and the real-name verifier interface. No database, no HTTP."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from permitcard.shared.errors import N_
from permitcard.shared.state import Machine

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

def as_utc(value: datetime) -> datetime:
    """SQLite hands back naive UTC datetimes; PostgreSQL aware ones."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


# --- the e-card password (P: 8–16 characters, at least two kinds) -----------------------------------

MIN_PASSWORD, MAX_PASSWORD = 8, 16


def character_kinds(password: str) -> int:
    """How many of: lower-case letters, upper-case letters, digits, anything else."""
    return sum((
        any(c.islower() for c in password), any(c.isupper() for c in password),
        any(c.isdigit() for c in password), any(not c.isalnum() for c in password),
    ))


def password_problem(password: str, *, is_common: bool) -> str | None:
    """None if the e-card password is acceptable, else a message id."""
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        return N_("Enter an e-card password of 8 to 16 characters")
    if character_kinds(password) < 2:
        return N_("Use at least two kinds of characters: lower-case letters, capital letters, digits or symbols")
    if is_common:
        return N_("This password is too common. Choose one that is harder to guess")
    return None


# --- one-time codes (D: 6 digits, single use, valid 10 minutes, at most 5 tries) ---------------------

CODE_DIGITS = 6
CODE_LIFETIME = timedelta(minutes=10)
CODE_MAX_TRIES = 5


def new_code() -> str:
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def normalise_code(raw: str) -> str:
    return "".join(ch for ch in raw if ch.isdigit())


@dataclass(frozen=True)
class CodeState:
    expires_at: datetime
    attempts: int
    used: bool

    def usable(self, now: datetime) -> bool:
        return not self.used and now < self.expires_at and self.attempts < CODE_MAX_TRIES


# --- the e-card follows the physical card -------------------------------------------------------------

ACCOUNT_PENDING, ACCOUNT_VERIFIED = "pending", "verified"


@dataclass(frozen=True)
class CardFacts:
    """What cards says about the person's physical card (and application), as plain values."""

    card_id: int | None = None
    card_state: str | None = None  # produced | issued | active | suspended
    card_version: int = 0
    application_state: str | None = None
    promised_date_known: bool = False


SERVICE_ACTIVE, SERVICE_WAITING, SERVICE_SUSPENDED = "active", "waiting", "suspended"


def service_state(card: CardFacts) -> str:
    """The e-card offers its services once the card is received; it is suspended with the card."""
    if card.card_state == "suspended":
        return SERVICE_SUSPENDED
    if card.card_state in ("issued", "active"):
        return SERVICE_ACTIVE
    return SERVICE_WAITING


def waiting_message(card: CardFacts) -> str | None:
    """What the holder is waiting for before the physical card is received (a message id), or None."""
    if card.card_state in ("issued", "active", "suspended"):
        return None
    if card.card_state == "produced":
        return N_("Your card has been made. Collect it at your branch with your passport; the e-card services "
                  "start when you have received it.")
    app = card.application_state
    if app in ("submitted", "resubmitted"):
        return N_("Your card application is being checked by the social insurance agency.")
    if app == "returned":
        return N_("Your card application was returned for correction: correct it under “My card”.")
    if app in ("approved", "in_production"):
        return N_("Your card is being made. We will tell you when it is ready for collection.")
    if app == "ready_for_collection":
        return N_("Your card is ready for collection at your branch. Bring your passport.")
    return N_("You have no social security card yet. Apply for one under “My card”; the e-card services "
              "start when you have received it.")


CARD_STATE_LABELS = {
    "produced": N_("Made, not yet collected"),
    "issued": N_("Received, not yet activated"),
    "active": N_("Active"),
    "suspended": N_("Suspended"),
    "invalidated": N_("Invalidated"),
    None: N_("No card yet"),
}


# --- real-name verification: one interface, several providers ----------------------------------------

@dataclass(frozen=True)
class Subject:
    """Whom a verifier checks: the e-card account, the permit it belongs to, where to reach them."""

    account_id: int
    permit_number: str
    contact_email: str
    locale: str


@dataclass(frozen=True)
class Outcome:
    passed: bool
    message: str | None = None  # a message id when not passed
    params: dict[str, int] = field(default_factory=dict)
    new_challenge: bool = False  # a new code was sent (the old one is used up)
    retry_after: int = 0


class RealNameVerifier(Protocol):
    """Real-name verification after the registry's data match (SPEC §5, D).

    The built-in provider (``ecard.realname.OneTimeCodeVerifier``) sends a one-time code to the contact
    on file; a face-recognition provider implements the same two steps (``start`` returns what the
    person must do, e.g. open the camera; ``check`` compares the capture with the card photo)."""

    name: str

    def start(self, s: Session, subject: Subject) -> None:
        """Begin a check for ``subject`` (e.g. send a code), inside the caller's unit of work."""
        ...

    def check(self, s: Session, subject: Subject, response: str) -> Outcome:
        """Judge the person's response (a code, a capture reference)."""
        ...


# The account's one state machine (shared.state.change): registered, then verified once.
ACCOUNT = Machine(name="ecard_account", transitions={(ACCOUNT_PENDING, "verify"): ACCOUNT_VERIFIED},
                  verbs={"verify": "verified"})
