"""JSON in and out of the cards API. Only what the role needs: no owner, state or fee from input."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import Field

from permitcard.shared.openapi import PageMeta
from permitcard.shared.schemas import ApiModel


class EligibilityOut(ApiModel):
    eligible: bool
    kind: str | None = Field(None, description="first | upgrade")
    fee_fen: int = Field(0, description="Fee in fen (1/100 RMB)")
    reason: str = ""
    permit_number: str | None = None
    permit_status: str | None = None


class CardApplicationIn(ApiModel):
    """Applicants send branch_id, photo_receipt and passport_number (their own online application).
    Bank clerks send the paper form: permit_number, names, passport_number, passport_checked,
    photo_receipt and channel (the application belongs to the clerk's branch)."""

    branch_id: int | None = None
    photo_receipt: str = Field("", max_length=40)
    passport_number: str = Field("", max_length=40)
    permit_number: str = Field("", max_length=40)
    family_name: str = Field("", max_length=100)
    given_names: str = Field("", max_length=150)
    passport_checked: bool = False
    channel: Literal["standard", "instant"] = Field(
        "standard", description="Bank clerks only: instant (same day, at a branch that makes cards) or standard. "
                                "An applicant applying online always gets the standard channel; sending `instant` "
                                "is refused with 422 (`channel`): same-day cards are made only in person at the "
                                "counter.")


class VersionIn(ApiModel):
    version: int


class CardDecisionIn(ApiModel):
    version: int
    action: Literal["approve", "reject", "return"]
    reason: str = Field("", max_length=2000)


class CardResubmitIn(ApiModel):
    version: int
    photo_receipt: str = Field("", max_length=40)


class CancelIn(ApiModel):
    version: int
    reason: str = Field("", max_length=500)


class PassportIn(ApiModel):
    version: int
    passport_number: str = Field(min_length=1, max_length=40)


class CardApplicationOut(ApiModel):
    id: int
    reference: str
    permit_number: str
    family_name: str
    given_names: str
    kind: str
    channel: str
    submitted_via: str
    branch_id: int
    state: str
    version: int
    fee_fen: int
    promised_date: date | None
    promised_calendar_year: int | None = Field(
        None, description="Approved while this year's official calendar was unknown: the promised date is set "
                          "as soon as an administrator enters it")
    approved_at: datetime | None
    ready_at: datetime | None
    collected_at: datetime | None
    return_note: str
    reject_reason: str
    created_at: datetime
    waiting: str | None = Field(None, description="Why an approved application is not in production yet")
    card_id: int | None = None
    replaces_card_id: int | None = Field(None, description="A replacement: the card it replaces")
    replacement_reason: str = Field("", description="lost | damaged, for a replacement")


class ApplicationList(PageMeta):
    items: list[CardApplicationOut]


class PermitOnCard(ApiModel):
    permit_number: str | None
    category: str | None
    employer_name_en: str | None
    employer_name_zh: str | None
    position: str | None
    valid_from: date | None
    valid_to: date | None
    status: str | None


class CardOut(ApiModel):
    id: int
    card_number: str
    state: str
    version: int
    family_name: str
    given_names: str
    chinese_name: str | None = Field(None, description="The holder's name in Chinese characters, where they have one")
    ssn: str
    bank_account: str = Field(description="Masked except to a clerk of the issuing branch")
    branch_id: int
    branch_name: str
    application_id: int | None
    produced_at: datetime
    issued_at: datetime | None
    activated_at: datetime | None
    suspended_at: datetime | None = None
    loss_reported_via: str | None = Field(None, description="online | ecard | branch, while suspended")
    permit: PermitOnCard


class HeldCardOut(ApiModel):
    """The card a worker holds now, as they may see it: numbers masked, the permit information printed on it."""

    id: int
    card_number: str
    state: str = Field(description="produced | issued | active | suspended")
    state_label: str = Field(description="The state in the reader's language")
    version: int
    family_name: str
    given_names: str
    chinese_name: str | None = None
    ssn_masked: str
    bank_account_masked: str
    branch_id: int
    branch_name: str
    produced_at: datetime
    issued_at: datetime | None
    activated_at: datetime | None
    suspended_at: datetime | None
    permit: PermitOnCard


class OpenApplicationOut(ApiModel):
    id: int
    reference: str
    kind: str
    state: str
    state_label: str
    promised_date: date | None
    promised_calendar_year: int | None


class MyCardOut(ApiModel):
    """``card`` is null until a card is made; ``application`` is the application in progress, if any."""

    card: HeldCardOut | None
    application: OpenApplicationOut | None


class LossIn(ApiModel):
    """The version of the card you saw. Bank clerks add the passport number shown at the counter."""

    version: int
    passport_number: str = Field("", max_length=40)


class CardStateOut(ApiModel):
    id: int
    card_number: str
    state: str
    version: int
    suspended_at: datetime | None
    loss_reported_via: str | None


class ReplacementIn(ApiModel):
    """Applicants: reason and the collection branch_id (standard channel). Bank clerks: reason, the
    passport number shown, and channel (instant at a branch that replaces immediately)."""

    reason: Literal["lost", "damaged"]
    branch_id: int | None = None
    channel: Literal["standard", "instant"] = "standard"
    passport_number: str = Field("", max_length=40)
    photo_receipt: str = Field("", max_length=40, description="Only for a new photo; else the old card's")


class PaymentIn(ApiModel):
    amount: str = Field(max_length=20, description="Yuan as typed, exactly the fee, e.g. 20.00")
    method: Literal["cash", "card", "wechat", "alipay"]


class PaymentOut(ApiModel):
    reference: str
    application_id: int
    amount_fen: int
    method: str
    paid_at: datetime
    branch_id: int


class CounterIn(ApiModel):
    permit_number: str = Field(max_length=40)
    passport_number: str = Field(max_length=40)
    passport_checked: bool = False


class CounterOut(ApiModel):
    permit_number: str
    cards: list[CardStateOut]
    replacement_fee_fen: int


class CardCheckIn(ApiModel):
    card_number: str = Field(min_length=1, max_length=20)


class CardCheckOut(ApiModel):
    card_number: str
    state: str
    valid: bool
    reason: str = ""


class FeeReportOut(ApiModel):
    branch_id: int
    day: date
    payments: list[PaymentOut]
    replacement_card_ids: list[int]
    by_method_fen: dict[str, int]
    total_fen: int
