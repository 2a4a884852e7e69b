"""Rules a city or the ministry can change, as data (SPEC §1 "policy as data").

Each rule is a row (city, key, value, effective_from). ``resolve`` turns a city's rows into one
immutable ``Policy`` for a business day: for every key, the latest value that had taken effect by
then. Nothing here touches the database; values are canonical strings in rows and typed here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from permitcard.shared import money
from permitcard.shared.errors import N_, FieldError, RuleViolation, ValidationFailed


class ValueKind(StrEnum):
    COUNT = "count"  # a whole number within bounds
    MONEY = "money"  # integer fen; entered in yuan ("20.00")
    PROVINCE = "province"  # two digits (GB/T 2260 province code)
    BRANCHES = "branches"  # a set of branch codes


@dataclass(frozen=True)
class RuleSpec:
    key: str
    label: str  # a message id
    hint: str  # a message id
    kind: ValueKind
    minimum: int = 0
    maximum: int = 0


RULES: dict[str, RuleSpec] = {spec.key: spec for spec in (
    RuleSpec("permit_max_years_a", N_("Longest work permit, category A (years)"),
             N_("A whole number of years, 1 to 10"), ValueKind.COUNT, 1, 10),
    RuleSpec("permit_max_years_b", N_("Longest work permit, category B (years)"),
             N_("A whole number of years, 1 to 10"), ValueKind.COUNT, 1, 10),
    RuleSpec("permit_max_years_c", N_("Longest work permit, category C (years)"),
             N_("A whole number of years, 1 to 10"), ValueKind.COUNT, 1, 10),
    RuleSpec("card_ready_working_days", N_("Working days from approval to the promised card date"),
             N_("A whole number of working days, 1 to 60"), ValueKind.COUNT, 1, 60),
    RuleSpec("fee_first", N_("Fee for a first card"),
             N_("In yuan, for example 0 or 20.00"), ValueKind.MONEY, 0, 100_000),
    RuleSpec("fee_upgrade", N_("Fee for an upgrade to a card with the work permit"),
             N_("In yuan, for example 0 or 20.00"), ValueKind.MONEY, 0, 100_000),
    RuleSpec("fee_replacement", N_("Fee for a replacement card"),
             N_("In yuan, for example 0 or 20.00"), ValueKind.MONEY, 0, 100_000),
    RuleSpec("ssn_province_code", N_("Province code in new social security numbers"),
             N_("Two digits, for example 44 for Guangdong"), ValueKind.PROVINCE),
    RuleSpec("instant_branches", N_("Branches that produce cards the same day"),
             N_("Branch codes separated by spaces, for example CGB-DG-MAIN; empty for none"), ValueKind.BRANCHES),
    RuleSpec("replacement_branches", N_("Branches that replace lost cards immediately"),
             N_("Branch codes separated by spaces, for example CGB-DG-MAIN; empty for none"), ValueKind.BRANCHES),
    RuleSpec("ecard_qr_seconds", N_("Lifetime of the e-card QR code (seconds)"),
             N_("A whole number of seconds, 10 to 600"), ValueKind.COUNT, 10, 600),
)}

# GB/T 2260 province-level codes (mainland provinces, municipalities, autonomous regions).
PROVINCE_CODES = frozenset({
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41", "42",
    "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65",
})
_BRANCH_CODE = re.compile(r"^[A-Z0-9][A-Z0-9-]{1,31}$")
_CITY_CODE = re.compile(r"^[0-9]{4}$")


def check_city_code(code: str) -> str:
    """A city is named by the first four digits of its GB/T 2260 code (Dongguan 4419, Chengdu 5101)."""
    code = (code or "").strip()
    if not _CITY_CODE.match(code):
        raise ValidationFailed.one("code", N_("Enter the city code: four digits, for example 4419"))
    return code


def parse_value(key: str, raw: str) -> str:
    """What an administrator typed, as the canonical text stored in the row (ValidationFailed if wrong)."""
    spec = RULES.get(key)
    if spec is None:
        raise ValidationFailed.one("key", N_("Choose the rule to change"))
    raw = (raw or "").strip()
    if spec.kind == ValueKind.COUNT:
        if not raw.isdigit() or not spec.minimum <= int(raw) <= spec.maximum:
            raise ValidationFailed.one("value", N_("Enter a whole number from %(min)s to %(max)s"),
                                       min=spec.minimum, max=spec.maximum)
        return str(int(raw))
    if spec.kind == ValueKind.MONEY:
        try:
            amount = Decimal(raw)
            ok = (amount.is_finite() and 0 <= amount <= Decimal(spec.maximum) / 100
                  and amount == amount.quantize(Decimal("0.01")))
        except InvalidOperation:
            ok = False
        if not ok:
            raise ValidationFailed.one("value", N_("Enter an amount in yuan from 0 to %(max)s, at most 2 decimals"),
                                       max=spec.maximum // 100)
        return str(money.to_fen(amount))
    if spec.kind == ValueKind.PROVINCE:
        if raw not in PROVINCE_CODES:
            raise ValidationFailed.one("value", N_("Enter a province code: two digits, for example 44"))
        return raw
    codes = sorted({c.upper() for c in re.split(r"[\s,;]+", raw) if c})
    bad = [c for c in codes if not _BRANCH_CODE.match(c)]
    if bad:
        raise ValidationFailed.one("value", N_("“%(code)s” is not a branch code"), code=bad[0])
    return " ".join(codes)


def typed(key: str, value: str) -> int | str | frozenset[str]:
    kind = RULES[key].kind
    if kind in (ValueKind.COUNT, ValueKind.MONEY):
        return int(value)
    if kind == ValueKind.BRANCHES:
        return frozenset(value.split())
    return value


def display(key: str, value: str, locale: str) -> str:
    """The value as a person reads it (money in yuan, codes as a list)."""
    kind = RULES[key].kind
    if kind == ValueKind.MONEY:
        return money.format_fen(int(value), locale)
    if kind == ValueKind.BRANCHES:
        return ", ".join(value.split()) or "—"
    return value


def input_value(key: str, value: str) -> str:
    """The value as typed back into the form (money in yuan)."""
    if RULES[key].kind == ValueKind.MONEY:
        return str(money.from_fen(int(value)))
    return value


@dataclass(frozen=True)
class RuleRow:
    key: str
    value: str  # canonical text (see parse_value)
    effective_from: date


@dataclass(frozen=True)
class Policy:
    """Every rule of one city as in force on one day. Field names are the rule keys."""

    city: str
    day: date
    permit_max_years_a: int
    permit_max_years_b: int
    permit_max_years_c: int
    card_ready_working_days: int
    fee_first: int  # fen
    fee_upgrade: int  # fen
    fee_replacement: int  # fen
    ssn_province_code: str
    instant_branches: frozenset[str]
    replacement_branches: frozenset[str]
    ecard_qr_seconds: int

    @property
    def permit_limits(self) -> dict[str, int]:
        """Longest validity per permit category, in years."""
        return {"A": self.permit_max_years_a, "B": self.permit_max_years_b, "C": self.permit_max_years_c}

    def fee_fen(self, kind: str) -> int:
        """The card fee for a kind of card application ("first", "upgrade", "replacement")."""
        fees = {"first": self.fee_first, "upgrade": self.fee_upgrade,
                "replacement": self.fee_replacement}
        if kind not in fees:
            raise ValueError(f"no fee rule for card kind {kind!r}")
        return fees[kind]

    def instant(self, branch_code: str) -> bool:
        return branch_code in self.instant_branches

    def immediate_replacement(self, branch_code: str) -> bool:
        return branch_code in self.replacement_branches


assert {f.name for f in fields(Policy)} - {"city", "day"} == set(RULES), "Policy fields must match RULES"


class PolicyMissing(RuleViolation):
    code = "policy_missing"
    title = N_("A rule is not set for this city and day")


def in_force(rows: Iterable[RuleRow], key: str, day: date) -> RuleRow | None:
    """The row of ``key`` in force on ``day``: the latest one that had taken effect by then."""
    candidates = [r for r in rows if r.key == key and r.effective_from <= day]
    return max(candidates, key=lambda r: r.effective_from) if candidates else None


def resolve(rows: Iterable[RuleRow], *, city: str, day: date) -> Policy:
    """One city's rules for ``day``; PolicyMissing names the first rule with no value yet."""
    rows = list(rows)
    values: dict[str, int | str | frozenset[str]] = {}
    for key in RULES:
        row = in_force(rows, key, day)
        if row is None:
            raise PolicyMissing(N_("No value of the rule “%(rule)s” is in force in city %(city)s on %(day)s"),
                                rule=key, city=city, day=day)
        values[key] = typed(key, row.value)
    return Policy(city=city, day=day, **values)  # type: ignore[arg-type]


def check_effective_from(effective_from: date | None, today: date) -> date:
    """A new value takes effect today or later: the past is never rewritten."""
    if effective_from is None:
        raise ValidationFailed([FieldError("effective_from", N_("Enter the date the value takes effect"))])
    if effective_from < today:
        raise ValidationFailed.one("effective_from", N_("The date must be today (%(today)s) or later"), today=today)
    return effective_from
