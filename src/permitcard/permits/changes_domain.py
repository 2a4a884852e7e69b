"""Pure rules of changes to an issued permit (SPEC §2): extension, modification, cancellation and the
electronic permit of a paper one. Windows and late flags are counted on the official calendar.

Nothing here touches the database or HTTP; everything is unit-tested.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from permitcard.permits import domain
from permitcard.shared.calendar import CalendarData, add_working_days
from permitcard.shared.errors import N_, NP_, FieldError, ValidationFailed


class Kind(StrEnum):
    NEW = "new"
    EXTENSION = "extension"
    MODIFICATION = "modification"
    CANCELLATION = "cancellation"
    ELECTRONIC = "electronic"  # the electronic permit of a still-valid paper permit, nothing changed


CHANGE_KINDS = (Kind.EXTENSION, Kind.MODIFICATION, Kind.CANCELLATION, Kind.ELECTRONIC)

KIND_LABELS = {
    Kind.NEW: N_("New permit"),
    Kind.EXTENSION: N_("Extension"),
    Kind.MODIFICATION: N_("Modification"),
    Kind.CANCELLATION: N_("Cancellation"),
    Kind.ELECTRONIC: N_("Electronic permit of a paper permit"),
}

EXTENSION_FIRST_DAYS = 90  # an extension may be filed from 90 days before the last valid day ...
EXTENSION_LAST_DAYS = 30  # ... until 30 days before it
REPORT_WORKING_DAYS = 10  # modifications and cancellations: within 10 working days of the change

MODIFIABLE = ("family_name", "given_names", "passport_number", "passport_expiry_date", "position", "category")


@dataclass(frozen=True)
class Window:
    first: date
    last: date

    def contains(self, day: date) -> bool:
        return self.first <= day <= self.last


def extension_window(valid_to: date) -> Window:
    """The days on which an extension of a permit valid until ``valid_to`` can be filed."""
    return Window(valid_to - timedelta(days=EXTENSION_FIRST_DAYS), valid_to - timedelta(days=EXTENSION_LAST_DAYS))


def check_extension_window(valid_to: date, today: date) -> None:
    w = extension_window(valid_to)
    if not w.contains(today):
        raise ValidationFailed.one(
            "permit_number",
            N_("An extension of this permit can be filed only from %(first)s to %(last)s "
               "(90 to 30 days before it ends on %(end)s)."), first=w.first, last=w.last, end=valid_to)


@dataclass(frozen=True)
class Lateness:
    last_day: date  # the last day on which the filing is on time
    days_late: int  # calendar days after ``last_day`` (0: on time)


def lateness(change_date: date, filed_on: date, calendar: CalendarData | None = None) -> Lateness:
    """A change must be reported within 10 working days of ``change_date`` (the official calendar:
    holidays are not counted, 调休 weekend working days are)."""
    last = add_working_days(change_date, REPORT_WORKING_DAYS, calendar).due
    return Lateness(last, max(0, (filed_on - last).days))


def check_change_date(field: str, change_date: date | None, today: date, *, earliest: date,
                      issued: date | None = None) -> date:
    """A modification's or a cancellation's date: not in the future, not before the permit started or,
    for a permit issued before its first day, not before the day it was issued (a worker who never
    came: the contract ended before the permit started)."""
    if change_date is None:
        raise ValidationFailed.one(field, N_("Enter the date of the change"))
    if change_date > today:
        raise ValidationFailed.one(field, N_("The date cannot be in the future"))
    if issued is not None and issued < earliest:
        if change_date < issued:
            raise ValidationFailed.one(field, N_("The date cannot be before the permit was issued (%(issued)s)"),
                                       issued=issued)
    elif change_date < earliest:
        raise ValidationFailed.one(field, N_("The date cannot be before the permit started (%(start)s)"),
                                   start=earliest)
    return change_date


def check_new_end(*, category: str, valid_from: date, valid_to: date, new_end: date | None, contract_end: date | None,
                  passport_expiry: date | None, limits: Mapping[str, int]) -> None:
    """An extension's new last day: later than now, and never past the category limit, the contract end
    or the passport expiry, each with its own reason."""
    errors: list[FieldError] = []
    if contract_end is None:
        errors.append(FieldError("contract_end_date", N_("Enter the date the contract ends")))
    if passport_expiry is None:
        errors.append(FieldError("passport_expiry_date", N_("Enter the date the passport expires")))
    if new_end is None:
        errors.append(FieldError("requested_end_date", N_("Enter the date the permit should be valid until")))
    elif new_end <= valid_to:
        errors.append(FieldError("requested_end_date",
                                 N_("An extension must end after the current last day (%(end)s)"), {"end": valid_to}))
    elif (beyond := domain.beyond_limit(category, valid_from, new_end, limits)) is not None:
        errors.append(FieldError(
            "requested_end_date",
            NP_("A category %(category)s permit is valid for at most %(years)s year: "
                "the last possible day is %(last)s",
                "A category %(category)s permit is valid for at most %(years)s years: "
                "the last possible day is %(last)s", "years"),
            {"category": category, "years": beyond[0], "last": beyond[1]}))
    elif contract_end is not None and new_end > contract_end:
        errors.append(FieldError("contract_end_date",
                                 N_("The permit cannot be valid after the contract ends (%(end)s)"),
                                 {"end": contract_end}))
    elif passport_expiry is not None and new_end > passport_expiry:
        errors.append(FieldError(
            "passport_expiry_date",
            N_("The passport must be valid until the end of the permit (%(end)s). Renew the passport first."),
            {"end": new_end}))
    if errors:
        raise ValidationFailed(errors)


EMPLOYER_CHANGE = N_("A change of employer is not a modification: the current employer cancels the permit, "
                     "then the new employer files a new application. The permit number stays the same.")


def changed_fields(current: Mapping[str, Any], wanted: Mapping[str, Any]) -> dict[str, tuple[Any, Any]]:
    """{field: (before, after)} of the modifiable fields that differ (empty values mean "unchanged")."""
    out: dict[str, tuple[Any, Any]] = {}
    for key in MODIFIABLE:
        value = wanted.get(key)
        if value in (None, ""):
            continue
        if value != current.get(key):
            out[key] = (current.get(key), value)
    return out


# Fields of a version snapshot shown in the history, in this order.
HISTORY_FIELDS = ("family_name", "given_names", "passport", "employer_id", "category", "position", "valid_from",
                  "valid_to", "status", "origin")


def diff(before: Mapping[str, Any] | None, after: Mapping[str, Any]) -> list[tuple[str, Any, Any]]:
    """Field by field, what a version changed against the one before it."""
    if before is None:
        return []
    rows = []
    for key in HISTORY_FIELDS:
        old, new = before.get(key), after.get(key)
        if key == "passport":
            old, new = before.get("passport_hash"), after.get("passport_hash")
        if key == "origin":  # a version that superseded a paper permit says so itself
            old = "paper" if after.get("superseded_paper") else before.get("origin", "electronic")
            new = after.get("origin", "electronic")
        if old != new:
            rows.append((key, old, new))
    return rows
