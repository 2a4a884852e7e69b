"""JSON shapes of the policy context."""

from __future__ import annotations

from datetime import date

from pydantic import Field

from permitcard.shared.schemas import ApiModel


class CityOut(ApiModel):
    code: str = Field(description="First four digits of the GB/T 2260 code, e.g. 4419 for Dongguan")
    name_en: str
    name_zh: str
    is_default: bool


class PolicyOut(ApiModel):
    """Every rule of a city as in force on one business day (Asia/Shanghai). Money in fen."""

    city: str
    day: date
    permit_max_years: dict[str, int] = Field(description="Longest permit validity per category, in years")
    card_ready_working_days: int
    fee_first_fen: int
    fee_upgrade_fen: int
    fee_replacement_fen: int
    ssn_province_code: str
    instant_branches: list[str]
    replacement_branches: list[str]
    ecard_qr_seconds: int


class RuleValueOut(ApiModel):
    key: str
    value: str = Field(description="Canonical value: a number, fen for fees, or branch codes separated by spaces")
    effective_from: date
    status: str = Field(description="past, current (in force today) or future")
    note: str
    created_by: str


class RuleValueIn(ApiModel):
    key: str = Field(max_length=40, description="The rule, e.g. fee_replacement or card_ready_working_days")
    value: str = Field(max_length=1000, description="Years, days or seconds as a whole number; fees in yuan "
                                                      "(\"20.00\"); a province code; branch codes separated by spaces")
    effective_from: date = Field(description="Business date from which the value applies: today or later")
    note: str = Field(default="", max_length=500, description="Why (e.g. the notice that changed it)")
