"""Pure rules of the Work-in-China registry (SPEC §2): categories, validation, states, numbers.

Nothing here touches the database or HTTP; everything is unit-tested.

Permit number plan (D, permitcard's own; the official format is not public):
``WP`` + 4-digit year of first issue + 9-digit serial + 1 Luhn check digit computed over the
13 digits (year + serial), e.g. ``WP20261234567897``: 16 characters, letters and digits, so it
also satisfies the opaque format every registry number must meet (6–32 letters/digits). A person
keeps the number for life; the year only says when it was first issued.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

import pycountry

from permitcard.shared import ids, labels, names
from permitcard.shared.errors import N_, NP_, TOO_LONG, FieldError, ValidationFailed
from permitcard.shared.state import Machine


class Category(StrEnum):
    A = "A"  # high-end talent
    B = "B"  # professional
    C = "C"  # other


CATEGORY_LABELS = {
    Category.A: N_("Category A: high-end talent"),
    Category.B: N_("Category B: professional"),
    Category.C: N_("Category C: other foreign workers"),
}
labels.register("permit_category", CATEGORY_LABELS)


class State(StrEnum):
    SUBMITTED = "submitted"
    RETURNED = "returned"
    RESUBMITTED = "resubmitted"
    APPROVED = "approved"
    REJECTED = "rejected"
    CANCELLED = "cancelled"


STATE_LABELS = {
    State.SUBMITTED: N_("Submitted"),
    State.RETURNED: N_("Returned for correction"),
    State.RESUBMITTED: N_("Resubmitted"),
    State.APPROVED: N_("Approved"),
    State.REJECTED: N_("Rejected"),
    State.CANCELLED: N_("Withdrawn"),
}

WAITING = (State.SUBMITTED, State.RESUBMITTED)  # waiting for an officer's decision
labels.register("permit_application_state", STATE_LABELS)


class Action(StrEnum):
    RETURN = "return"
    RESUBMIT = "resubmit"
    APPROVE = "approve"
    REJECT = "reject"
    WITHDRAW = "withdraw"


DECISIONS = (Action.APPROVE, Action.REJECT, Action.RETURN)

# The application's whole life, one row per legal move (SPEC §2, §4 "returned ⇄ resubmitted").
TRANSITIONS: dict[tuple[str, str], str] = {
    (State.SUBMITTED, Action.RETURN): State.RETURNED,
    (State.RESUBMITTED, Action.RETURN): State.RETURNED,
    (State.RETURNED, Action.RESUBMIT): State.RESUBMITTED,
    (State.SUBMITTED, Action.APPROVE): State.APPROVED,
    (State.RESUBMITTED, Action.APPROVE): State.APPROVED,
    (State.SUBMITTED, Action.REJECT): State.REJECTED,
    (State.RESUBMITTED, Action.REJECT): State.REJECTED,
    (State.SUBMITTED, Action.WITHDRAW): State.CANCELLED,
    (State.RETURNED, Action.WITHDRAW): State.CANCELLED,
    (State.RESUBMITTED, Action.WITHDRAW): State.CANCELLED,
}


APPLICATION = Machine(name="permit_application", transitions=TRANSITIONS, verbs={
    Action.RETURN: "returned", Action.RESUBMIT: "resubmitted", Action.APPROVE: "approved",
    Action.REJECT: "rejected", Action.WITHDRAW: "withdrawn"})


class PermitStatus(StrEnum):
    VALID = "valid"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


# A cancelled permit is 已注销, a cancelled application 已取消: the permit's own message context.
labels.register("permit_status", {PermitStatus.VALID: "Valid", PermitStatus.CANCELLED: "Cancelled",
                                  PermitStatus.EXPIRED: "Expired", "not_yet_valid": "Not yet valid"},
                context="permit status")


def effective_status(status: str, valid_to: date, today: date) -> str:
    """What a reader is told: a valid permit past its last day is expired even before the job runs."""
    if status == PermitStatus.VALID:
        return PermitStatus.VALID if today <= valid_to else PermitStatus.EXPIRED
    if status == PermitStatus.EXPIRED:
        return PermitStatus.EXPIRED
    return PermitStatus.CANCELLED


# ---------------------------------------------------------------- validity limits


def add_years(start: date, years: int) -> date:
    """Same day ``years`` later; 29 February becomes 1 March in a common year."""
    try:
        return start.replace(year=start.year + years)
    except ValueError:
        return date(start.year + years, 3, 1)


def last_allowed_day(valid_from: date, years: int) -> date:
    """Calendar years: from 2026-12-01, two years end on 2028-11-30."""
    return add_years(valid_from, years) - timedelta(days=1)


def max_years(category: str, limits: Mapping[str, int]) -> int:
    return int(limits[category])


def beyond_limit(category: str, valid_from: date, valid_to: date, limits: Mapping[str, int]) -> tuple[int, date] | None:
    """(years, last possible day) when ``valid_to`` is past the category's limit, else None."""
    if category not in limits:
        return None
    years = max_years(category, limits)
    last = last_allowed_day(valid_from, years)
    return (years, last) if valid_to > last else None


# ---------------------------------------------------------------- the application's data

_PASSPORT_RE = re.compile(r"^[A-Z0-9]{5,20}$")
NAME_MAX = 100
POSITION_MAX = 200
START_GRACE_DAYS = 30  # D: a contract may have started up to 30 days before the application
MIN_AGE, MAX_AGE = 16, 80

DATE_FIELDS = ("birth_date", "passport_expiry_date", "contract_start_date", "contract_end_date",
               "requested_end_date")


@dataclass(frozen=True)
class ApplicationInput:
    """What the employer states about the person and the job (a new application)."""

    family_name: str = ""
    given_names: str = ""
    nationality: str = ""
    birth_date: date | None = None
    sex: str = ""
    passport_number: str = ""
    passport_expiry_date: date | None = None
    position: str = ""
    category: str = ""
    contract_start_date: date | None = None
    contract_end_date: date | None = None
    requested_end_date: date | None = None
    chinese_name: str = ""  # optional: the person's name in Chinese characters, where they have one

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> ApplicationInput:
        """Text is stripped; dates may be ``date`` or ISO strings (an unreadable one becomes None)."""
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = data.get(f.name)
            if f.name in DATE_FIELDS:
                values[f.name] = _as_date(raw)
            else:
                values[f.name] = "" if raw is None else " ".join(str(raw).split())
        # Alpha-2 or alpha-3 (as in the passport MRZ) in, alpha-2 stored; an unknown code stays to be refused.
        values["nationality"] = ids.country_alpha2(values["nationality"]) or values["nationality"].upper()
        return cls(**values)

    def as_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def _as_date(raw: Any) -> date | None:
    if isinstance(raw, date):
        return raw
    if isinstance(raw, str) and raw.strip():
        try:
            return date.fromisoformat(raw.strip())
        except ValueError:
            return None
    return None


def normalise_passport(raw: str) -> str:
    return "".join(raw.split()).upper()


def age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


LATIN_ONLY = N_("Enter the name in Latin letters as in the passport's machine-readable zone: A to Z, spaces, "
                "hyphens and apostrophes. A name in Chinese characters goes in the Chinese name field.")
# A change of the permit has no Chinese name field: the same rule without the pointer to it.
LATIN_ONLY_CHANGE = N_("Enter the name in Latin letters as in the passport's machine-readable zone: A to Z, "
                       "spaces, hyphens and apostrophes.")


def _check_person(d: ApplicationInput, today: date, errors: list[FieldError]) -> None:
    for name_field in ("given_names", "family_name"):
        if passport_name_problem(getattr(d, name_field)):
            errors.append(FieldError(name_field, LATIN_ONLY))
    if not d.family_name:
        errors.append(FieldError("family_name", N_("Enter the family name as it is in the passport")))
    elif len(d.family_name) > NAME_MAX or len(d.given_names) > NAME_MAX:
        errors.append(FieldError("family_name", NP_("Names must be %(max_length)s character or fewer",
                                                     "Names must be %(max_length)s characters or fewer",
                                                     "max_length"), {"max_length": NAME_MAX}))
    if names.chinese_name(d.chinese_name) is None:
        errors.append(FieldError("chinese_name", N_("Enter the Chinese name in Chinese characters "
                                                    "(at most %(max_length)s), or leave it empty"),
                                 {"max_length": names.CHINESE_NAME_MAX}))
    if not d.nationality:
        errors.append(FieldError("nationality", N_("Select the nationality")))
    elif d.nationality == "CN":
        errors.append(FieldError(
            "nationality", N_("Work permits are for foreign nationals: choose a country other than China")))
    elif pycountry.countries.get(alpha_2=d.nationality) is None:
        errors.append(FieldError("nationality", N_("Select a nationality from the list")))
    if d.birth_date is None:
        errors.append(FieldError("birth_date", N_("Enter the date of birth")))
    elif not MIN_AGE <= age_on(d.birth_date, today) <= MAX_AGE:
        errors.append(FieldError("birth_date", NP_("The person must be between %(min)s and %(max)s year old",
                                    "The person must be between %(min)s and %(max)s years old", "max"),
                                 {"min": MIN_AGE, "max": MAX_AGE}))
    if d.sex not in ("M", "F"):
        errors.append(FieldError("sex", N_("Select the sex as it is in the passport")))


def _check_passport(d: ApplicationInput, errors: list[FieldError]) -> None:
    if not d.passport_number:
        errors.append(FieldError("passport_number", N_("Enter the passport number")))
    elif not _PASSPORT_RE.match(d.passport_number):
        errors.append(FieldError("passport_number", N_("Enter the passport number: 5 to 20 letters and digits")))
    if d.passport_expiry_date is None:
        errors.append(FieldError("passport_expiry_date", N_("Enter the date the passport expires")))
    elif d.requested_end_date is not None and d.passport_expiry_date < d.requested_end_date:
        errors.append(FieldError(
            "passport_expiry_date",
            N_("The passport must be valid until the end of the permit (%(end)s). Renew the passport first."),
            {"end": d.requested_end_date}))


def _check_job(d: ApplicationInput, today: date, limits: Mapping[str, int], errors: list[FieldError]) -> None:
    if not d.position:
        errors.append(FieldError("position", N_("Enter the position (job title)")))
    elif len(d.position) > POSITION_MAX:
        errors.append(FieldError("position", TOO_LONG, {"max_length": POSITION_MAX}))
    if d.category not in {c.value for c in Category}:
        errors.append(FieldError("category", N_("Select the permit category")))
    start, end, until = d.contract_start_date, d.contract_end_date, d.requested_end_date
    if start is None:
        errors.append(FieldError("contract_start_date", N_("Enter the date the contract starts")))
    elif start < today - timedelta(days=START_GRACE_DAYS):
        errors.append(FieldError("contract_start_date",
                                 NP_("The contract start can be at most %(days)s day in the past",
                                    "The contract start can be at most %(days)s days in the past", "days"),
                                 {"days": START_GRACE_DAYS}))
    if end is None:
        errors.append(FieldError("contract_end_date", N_("Enter the date the contract ends")))
    elif start is not None and end <= start:
        errors.append(FieldError("contract_end_date", N_("The contract must end after it starts")))
    if until is None:
        errors.append(FieldError("requested_end_date", N_("Enter the date the permit should be valid until")))
        return
    if start is not None and until <= start:
        errors.append(FieldError("requested_end_date", N_("The permit must end after the contract starts")))
    elif end is not None and until > end:
        errors.append(FieldError("requested_end_date",
                                 N_("The permit cannot be valid after the contract ends (%(end)s)"), {"end": end}))
    elif start is not None and (beyond := beyond_limit(d.category, start, until, limits)) is not None:
        years, last = beyond
        errors.append(FieldError(
            "requested_end_date",
            NP_("A category %(category)s permit is valid for at most %(years)s year: "
                "the last possible day is %(last)s",
                "A category %(category)s permit is valid for at most %(years)s years: "
                "the last possible day is %(last)s", "years"),
            {"category": d.category, "years": years, "last": last}))


def passport_name_problem(value: str) -> bool:
    """True when a passport name holds characters the MRZ cannot (Chinese characters, digits, ...)."""
    return names.passport_name(value) is None


def validate_application(
    data: ApplicationInput, *, today: date, limits: Mapping[str, int], employer_uscc: str
) -> ApplicationInput:
    """The normalised application, or ValidationFailed naming every wrong field."""
    d = replace(data, passport_number=normalise_passport(data.passport_number),
                nationality=data.nationality.strip().upper(), sex=data.sex.strip().upper(),
                category=data.category.strip().upper(),
                family_name=names.passport_name(data.family_name) or data.family_name,
                given_names=names.passport_name(data.given_names) or data.given_names,
                chinese_name=names.chinese_name(data.chinese_name) or data.chinese_name)
    errors: list[FieldError] = []
    if not ids.is_valid_uscc(employer_uscc or ""):
        errors.append(FieldError("employer", N_("Your employer's unified social credit code is not valid. "
                                                "Ask the administrator to correct the employer record.")))
    _check_person(d, today, errors)
    _check_passport(d, errors)
    _check_job(d, today, limits, errors)
    if errors:
        raise ValidationFailed(errors)
    return d


def validate_decision(action: str, reason: str) -> tuple[Action, str]:
    reason = (reason or "").strip()
    try:
        chosen = Action(action)
    except ValueError:
        chosen = None
    if chosen not in DECISIONS:
        raise ValidationFailed.one("action", N_("Choose approve, reject or return for correction"))
    assert chosen is not None
    if len(reason) > 2000:
        raise ValidationFailed.one("reason", TOO_LONG, max_length=2000)
    if chosen == Action.REJECT and not reason:
        raise ValidationFailed.one("reason", N_("Enter the reason for rejecting the application"))
    if chosen == Action.RETURN and not reason:
        raise ValidationFailed.one("reason", N_("Enter what the employer must correct"))
    return chosen, reason


# ---------------------------------------------------------------- numbers

_PERMIT_NUMBER_RE = re.compile(r"^WP(\d{4})(\d{9})(\d)$")


def permit_number(year: int, serial: int) -> str:
    if not (1000 <= year <= 9999 and 0 <= serial < 10**9):
        raise ValueError("year must have 4 digits and serial at most 9")
    return "WP" + ids.luhn_complete(f"{year:04d}{serial:09d}")


def is_valid_permit_number(number: str) -> bool:
    m = _PERMIT_NUMBER_RE.match(number or "")
    return bool(m) and ids.luhn_valid(number[2:])


def notice_number(year: int) -> str:
    """``FWPN-2026-7K3M9Q2T``: random, unguessable, read aloud without I/L/O/U."""
    return ids.reference(f"FWPN-{year:04d}")


def application_reference() -> str:
    return ids.reference("WPA")
