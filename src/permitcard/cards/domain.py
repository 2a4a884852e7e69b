"""Pure rules of the physical card (SPEC §4): state tables, eligibility, fees, dates, number plans.

Nothing here touches the database or HTTP; every rule is a function of its arguments.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from permitcard.cards.errors import AlreadyActiveCard
from permitcard.shared import ids, labels, money
from permitcard.shared.calendar import CalendarData, add_working_days, working_days_between
from permitcard.shared.errors import N_, CalendarUnknown
from permitcard.shared.registry import PermitInfo
from permitcard.shared.state import Machine


class AppState(StrEnum):
    SUBMITTED = "submitted"
    RETURNED = "returned"
    RESUBMITTED = "resubmitted"
    APPROVED = "approved"
    IN_PRODUCTION = "in_production"
    READY_FOR_COLLECTION = "ready_for_collection"
    COLLECTED = "collected"
    REJECTED = "rejected"
    CANCELLED = "cancelled"


class AppAction(StrEnum):
    RETURN = "return"
    RESUBMIT = "resubmit"
    APPROVE = "approve"
    REJECT = "reject"
    CANCEL = "cancel"
    START_PRODUCTION = "start_production"
    MARK_READY = "mark_ready"
    HAND_OVER = "hand_over"


class CardState(StrEnum):
    PRODUCED = "produced"
    ISSUED = "issued"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    INVALIDATED = "invalidated"


class CardAction(StrEnum):
    ISSUE = "issue"
    ACTIVATE = "activate"
    SUSPEND = "suspend"
    RESTORE = "restore"
    INVALIDATE = "invalidate"


class Kind(StrEnum):
    FIRST = "first"
    UPGRADE = "upgrade"
    REPLACEMENT = "replacement"  # loss/replacement flow (fee applies)


class Channel(StrEnum):
    STANDARD = "standard"  # decided by the agency, ready within N working days after approval
    INSTANT = "instant"  # produced and issued the same day at an instant-capable branch


class Via(StrEnum):
    ONLINE = "online"
    BRANCH = "branch"


class LossChannel(StrEnum):
    """How a loss was reported: the worker online, the worker from the e-card, a clerk at a branch."""

    ONLINE = "online"
    ECARD = "ecard"
    BRANCH = "branch"


class ReplacementReason(StrEnum):
    LOST = "lost"
    DAMAGED = "damaged"


class PaymentMethod(StrEnum):
    CASH = "cash"
    CARD = "card"
    WECHAT = "wechat"
    ALIPAY = "alipay"


# (state, action) -> new state. No other application transition exists.
APPLICATION_TRANSITIONS: dict[tuple[str, str], str] = {
    (AppState.SUBMITTED, AppAction.RETURN): AppState.RETURNED,
    (AppState.RESUBMITTED, AppAction.RETURN): AppState.RETURNED,
    (AppState.RETURNED, AppAction.RESUBMIT): AppState.RESUBMITTED,
    (AppState.SUBMITTED, AppAction.APPROVE): AppState.APPROVED,
    (AppState.RESUBMITTED, AppAction.APPROVE): AppState.APPROVED,
    (AppState.SUBMITTED, AppAction.REJECT): AppState.REJECTED,
    (AppState.RESUBMITTED, AppAction.REJECT): AppState.REJECTED,
    (AppState.SUBMITTED, AppAction.CANCEL): AppState.CANCELLED,
    (AppState.RETURNED, AppAction.CANCEL): AppState.CANCELLED,
    (AppState.RESUBMITTED, AppAction.CANCEL): AppState.CANCELLED,
    (AppState.APPROVED, AppAction.START_PRODUCTION): AppState.IN_PRODUCTION,
    (AppState.IN_PRODUCTION, AppAction.MARK_READY): AppState.READY_FOR_COLLECTION,
    (AppState.READY_FOR_COLLECTION, AppAction.HAND_OVER): AppState.COLLECTED,
}

# (state, action) -> new state. No other card transition exists.
CARD_TRANSITIONS: dict[tuple[str, str], str] = {
    (CardState.PRODUCED, CardAction.ISSUE): CardState.ISSUED,
    (CardState.ISSUED, CardAction.ACTIVATE): CardState.ACTIVE,
    (CardState.ACTIVE, CardAction.SUSPEND): CardState.SUSPENDED,
    (CardState.SUSPENDED, CardAction.RESTORE): CardState.ACTIVE,
    (CardState.ACTIVE, CardAction.INVALIDATE): CardState.INVALIDATED,
    (CardState.SUSPENDED, CardAction.INVALIDATE): CardState.INVALIDATED,
    (CardState.PRODUCED, CardAction.INVALIDATE): CardState.INVALIDATED,
    (CardState.ISSUED, CardAction.INVALIDATE): CardState.INVALIDATED,
}

OPEN_STATES = frozenset({AppState.SUBMITTED, AppState.RETURNED, AppState.RESUBMITTED, AppState.APPROVED,
                         AppState.IN_PRODUCTION, AppState.READY_FOR_COLLECTION})
FINAL_STATES = frozenset({AppState.COLLECTED, AppState.REJECTED, AppState.CANCELLED})
# Cards a person still holds (not yet invalidated).
HELD_CARD_STATES = frozenset({CardState.PRODUCED, CardState.ISSUED, CardState.ACTIVE, CardState.SUSPENDED})

STATE_LABELS: dict[str, str] = {
    AppState.SUBMITTED: N_("Submitted"),
    AppState.RETURNED: N_("Returned for correction"),
    AppState.RESUBMITTED: N_("Resubmitted"),
    AppState.APPROVED: N_("Approved"),
    AppState.IN_PRODUCTION: N_("In production"),
    AppState.READY_FOR_COLLECTION: N_("Ready for collection"),
    AppState.COLLECTED: N_("Collected"),
    AppState.REJECTED: N_("Rejected"),
    AppState.CANCELLED: N_("Cancelled"),
    CardState.PRODUCED: N_("Produced"),
    CardState.ISSUED: N_("Issued, not activated"),
    CardState.ACTIVE: N_("Active"),
    CardState.SUSPENDED: N_("Suspended"),
    CardState.INVALIDATED: N_("Invalidated"),
}

KIND_LABELS: dict[str, str] = {
    Kind.FIRST: N_("First card"),
    Kind.UPGRADE: N_("Upgrade to a card with your work permit"),
    Kind.REPLACEMENT: N_("Replacement card"),
}

CHANNEL_LABELS: dict[str, str] = {
    Channel.STANDARD: N_("Standard (decided by the agency, ready by the promised date)"),
    Channel.INSTANT: N_("Instant (produced at the branch the same day)"),
}

VIA_LABELS: dict[str, str] = {Via.ONLINE: N_("Online"), Via.BRANCH: N_("Paper form at a branch")}


LOSS_CHANNEL_LABELS: dict[str, str] = {
    LossChannel.ONLINE: N_("Online"), LossChannel.ECARD: N_("From the e-card"), LossChannel.BRANCH: N_("At a branch"),
}

REASON_LABELS: dict[str, str] = {ReplacementReason.LOST: N_("Lost"), ReplacementReason.DAMAGED: N_("Damaged")}

METHOD_LABELS: dict[str, str] = {
    PaymentMethod.CASH: N_("Cash"), PaymentMethod.CARD: N_("Bank card"), PaymentMethod.WECHAT: N_("WeChat Pay"),
    PaymentMethod.ALIPAY: N_("Alipay"),
}
labels.register("card_state", STATE_LABELS)
labels.register("card_kind", KIND_LABELS)
labels.register("card_channel", CHANNEL_LABELS)
labels.register("card_via", VIA_LABELS)
labels.register("loss_channel", LOSS_CHANNEL_LABELS)
labels.register("replacement_reason", REASON_LABELS)
labels.register("payment_method", METHOD_LABELS)

# A replacement application that still counts (it blocks restoring the old card and a second one).
DEAD_APPLICATION_STATES = frozenset({AppState.REJECTED, AppState.CANCELLED})

APPLICATION = Machine(name="card_application", transitions=APPLICATION_TRANSITIONS, stamp="updated_at")
CARD = Machine(name="card", transitions=CARD_TRANSITIONS, on_integrity_error=AlreadyActiveCard)


# --- eligibility --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Eligibility:
    eligible: bool
    kind: str | None = None
    reason: str = ""  # a message id when not eligible
    fee_fen: int = 0


PAPER_PERMIT_REASON = N_(
    "Your work permit is a paper permit issued before 1 December 2024. It stays valid as it is and you do not "
    "need to do anything; your current social security card stays valid too. The permit information can be "
    "loaded onto a card once the permit is electronic: at its first extension or change, or when your employer "
    "asks for the electronic permit. You can then apply for the free upgrade here.")


def eligibility(permit: PermitInfo | None, *, had_card_here: bool, holds_card_with_permit: bool,
                has_open_application: bool) -> Eligibility:
    """SPEC §4: approved, valid permit + never had a card here -> first; has had one -> upgrade."""
    if permit is None:
        return Eligibility(False, reason=N_("No approved work permit is registered for you"))
    if not permit.is_valid:
        return Eligibility(False, reason=N_("Your work permit is not valid (cancelled or expired)"))
    if permit.is_paper:
        return Eligibility(False, reason=PAPER_PERMIT_REASON)
    if has_open_application:
        return Eligibility(False, reason=N_("You already have a card application in progress"))
    if holds_card_with_permit:
        return Eligibility(False, reason=N_(
            "Your card already carries your work permit information. If it is lost, report the loss "
            "and apply for a replacement."))
    return Eligibility(True, kind=Kind.UPGRADE if had_card_here else Kind.FIRST)


# --- dates ------------------------------------------------------------------------------------------

def promised_date(*, approval_date: date, channel: str, working_days: int, calendar: CalendarData) -> date:
    """Standard: the N-th working day after approval (approval day not counted). Instant: same day.

    Raises ``CalendarUnknown`` when the date falls in a year whose official calendar is not known yet;
    callers that must not stop for it use ``promise``."""
    if channel == Channel.INSTANT:
        return approval_date
    return add_working_days(approval_date, working_days, calendar).due


@dataclass(frozen=True)
class Promise:
    """The promised date, or the year whose official calendar it waits for (exactly one is set)."""

    due: date | None
    waits_for_year: int | None = None


def promise(*, approval_date: date, channel: str, working_days: int, calendar: CalendarData) -> Promise:
    """``promised_date``, but a year nobody has published yet gives a pending promise, never an error."""
    try:
        return Promise(promised_date(approval_date=approval_date, channel=channel, working_days=working_days,
                                     calendar=calendar))
    except CalendarUnknown as exc:
        return Promise(None, int(exc.params["year"]))


@dataclass(frozen=True)
class Sla:
    status: str  # "due" | "due_today" | "overdue"
    working_days: int


def sla(promised: date, today: date, calendar: CalendarData) -> Sla:
    """How far the promised date is, counted in working days, from today."""
    if promised == today:
        return Sla("due_today", 0)
    if promised > today:
        return Sla("due", working_days_between(today, promised, calendar))
    return Sla("overdue", max(1, working_days_between(promised, today, calendar)))


# --- number plans -------------------------------------------------------------------------------------

CARD_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"  # no I, O: not read as 1, 0
CARD_BODY_DIGITS = 7
ACCOUNT_LENGTH = 19


def card_number(sequence: int) -> str:
    """9 characters: a letter, 7 sequence digits and a Luhn check digit over those digits."""
    block, rest = divmod(sequence, 10**CARD_BODY_DIGITS)
    if sequence < 1 or block >= len(CARD_LETTERS):
        raise ValueError("card number sequence out of range")
    return CARD_LETTERS[block] + ids.luhn_complete(f"{rest:0{CARD_BODY_DIGITS}d}")


def card_number_valid(number: str) -> bool:
    return (len(number) == 9 and number[0] in CARD_LETTERS and number[1:].isdigit()
            and ids.luhn_valid(number[1:]))


def account_number(bin_prefix: str, sequence: int) -> str:
    """19 digits: the bank's BIN prefix, the sequence, and a Luhn check digit over all of it."""
    width = ACCOUNT_LENGTH - 1 - len(bin_prefix)
    if not bin_prefix.isdigit() or width < 6 or sequence < 1 or sequence >= 10**width:
        raise ValueError("account number out of range")
    return ids.luhn_complete(f"{bin_prefix}{sequence:0{width}d}")


def passport_matches(a: str, b: str) -> bool:
    def norm(x: str) -> str:
        return "".join((x or "").split()).upper()

    return bool(norm(a)) and norm(a) == norm(b)


# --- loss and replacement ---------------------------------------------------------------------------

def unusable_reason(card_state: str) -> str | None:
    """Why a card cannot be handed over, activated or accepted as valid (a message id), or None."""
    if card_state == CardState.SUSPENDED:
        return N_("This card is suspended because it was reported lost. It cannot be used until it is "
                  "restored.")
    if card_state == CardState.INVALIDATED:
        return N_("This card is invalidated: it was replaced and can never be used again.")
    return None


def loss_refusal(card_state: str) -> str | None:
    """Why the loss of a card in this state cannot be reported (a message id), or None."""
    if card_state == CardState.SUSPENDED:
        return N_("This card has already been reported lost and is suspended.")
    if card_state == CardState.INVALIDATED:
        return N_("This card is invalidated: it was replaced and can never be used again.")
    if card_state != CardState.ACTIVE:
        return N_("Only an active card can be reported lost. This card has not been activated yet: ask "
                  "the branch that holds it.")
    return None


def restore_refusal(card_state: str, *, replacement_applied: bool) -> str | None:
    """SPEC §4: a suspended card can be restored only while no replacement has been applied for."""
    if card_state != CardState.SUSPENDED:
        return N_("Only a suspended card can be restored.")
    if replacement_applied:
        return N_("A replacement card has been applied for, so the card that was reported lost cannot be "
                  "restored. It becomes invalid when the new card is handed over.")
    return None


def replacement_refusal(card_state: str, reason: str, *, replacement_applied: bool,
                        other_open_application: bool) -> str | None:
    """A lost card must be reported (suspended) first; a damaged one must still be held."""
    if reason not in (ReplacementReason.LOST, ReplacementReason.DAMAGED):
        return N_("Choose whether the card was lost or damaged")
    if replacement_applied:
        return N_("A replacement for this card has already been applied for.")
    if other_open_application:
        return N_("You already have a card application in progress")
    if card_state == CardState.INVALIDATED:
        return N_("This card is invalidated: it was replaced and can never be used again.")
    if reason == ReplacementReason.LOST and card_state != CardState.SUSPENDED:
        return N_("Report the card lost first: it is suspended at once, then a replacement can be applied for.")
    if reason == ReplacementReason.DAMAGED and card_state not in (CardState.ACTIVE, CardState.ISSUED,
                                                                    CardState.SUSPENDED):
        return N_("Only a card that has been handed over can be replaced.")
    return None


def payment_problem(*, fee_fen: int, amount_fen: int | None, method: str) -> tuple[str, str] | None:
    """(field, message id) when a recorded payment is not exactly the fee, or has no known method."""
    if fee_fen <= 0:
        return "amount", N_("No fee is due for this application.")
    if amount_fen is None:
        return "amount", N_("Enter the amount paid in yuan, for example 20.00")
    if amount_fen != fee_fen:
        return "amount", N_("The amount paid must be exactly the fee: %(fee)s")
    if method not in {m.value for m in PaymentMethod}:
        return "method", N_("Choose how the fee was paid")
    return None


def parse_amount_fen(raw: str) -> int | None:
    """A yuan amount typed at the counter ("20", "20.00", "２０") as integer fen; None if it is not one."""
    text = unicodedata.normalize("NFKC", raw or "").strip().replace("¥", "").replace("￥", "").replace(",", "")
    if not text or len(text) > 12:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    if not value.is_finite() or value < 0 or value != value.quantize(Decimal("0.01")):
        return None
    return money.to_fen(value)
