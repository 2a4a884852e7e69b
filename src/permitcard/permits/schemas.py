"""JSON in and out. Answers carry only what the role needs; passports are masked unless the
reader is an officer or the employer that filed."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from permitcard.permits.service import ApplicationPage, ApplicationView
from permitcard.shared.crypto import mask
from permitcard.shared.openapi import PageMeta
from permitcard.shared.registry import PermitInfo


class PermitApplicationIn(BaseModel):
    family_name: str = Field(max_length=100, description="As in the passport")
    given_names: str = Field(default="", max_length=100, description="As in the passport; may be empty")
    nationality: str = Field(max_length=2, description="ISO 3166 alpha-2, not CN")
    birth_date: date
    sex: Literal["M", "F"]
    passport_number: str = Field(max_length=32)
    passport_expiry_date: date
    position: str = Field(max_length=200)
    category: Literal["A", "B", "C"]
    contract_start_date: date
    contract_end_date: date
    requested_end_date: date = Field(description="Last day the permit should be valid")


class PermitResubmitIn(PermitApplicationIn):
    version: int = Field(description="The version you corrected")


class WithdrawIn(BaseModel):
    version: int


class PermitDecisionIn(BaseModel):
    action: Literal["approve", "reject", "return"]
    reason: str = Field(default="", max_length=2000, description="Required to reject; what to fix to return")
    version: int


class PermitApplicationOut(BaseModel):
    id: int
    reference: str
    kind: Literal["new", "extension", "modification", "cancellation", "electronic"]
    state: str
    version: int
    employer_id: int
    employer_name_en: str
    employer_name_zh: str
    family_name: str
    given_names: str
    nationality: str
    birth_date: date
    sex: str
    passport_number: str = Field(description="Masked unless you are an officer or the filing employer")
    passport_expiry_date: date
    position: str
    category: str
    contract_start_date: date
    contract_end_date: date
    requested_end_date: date
    officer_note: str
    submitted_at: datetime
    decided_at: datetime | None
    permit_number: str | None
    notice_number: str | None
    change_date: date | None = Field(default=None, description="Changes: the day of the change or contract end")
    days_late: int = Field(default=0, description="Changes: days filed after the 10th working day (0: on time)")

    @classmethod
    def of(cls, v: ApplicationView, *, full_passport: bool) -> PermitApplicationOut:
        data = {k: getattr(v, k) for k in cls.model_fields}
        if not full_passport:
            data["passport_number"] = mask(v.passport_number)
        return cls(**data)


class ApplicationListOut(PageMeta):
    items: list[PermitApplicationOut]

    @classmethod
    def of(cls, p: ApplicationPage, items: list[PermitApplicationOut]) -> ApplicationListOut:
        return cls(items=items, **PageMeta.fields_of(p))


class PermitOut(BaseModel):
    permit_number: str
    notice_number: str
    family_name: str
    given_names: str
    nationality: str
    birth_date: date
    sex: str
    passport_number: str = Field(description="Masked unless you are an officer, the employer or the holder")
    category: str
    employer_uscc: str
    employer_name_en: str
    employer_name_zh: str
    position: str
    valid_from: date
    valid_to: date
    status: Literal["valid", "cancelled", "expired"]
    version: int

    @classmethod
    def of(cls, info: PermitInfo, *, full_passport: bool) -> PermitOut:
        data = {k: getattr(info, k) for k in cls.model_fields}
        if not full_passport:
            data["passport_number"] = mask(info.passport_number)
        return cls(**data)


class NoticeOut(PermitOut):
    issued_at: datetime
    verify_url: str = Field(description="Public verification address encoded in the notice's QR code")


class VerifyIn(BaseModel):
    permit_number: str = Field(max_length=64)
    family_name: str = Field(max_length=100)
    given_names: str = Field(default="", max_length=100)
    passport_number: str = Field(max_length=32)
    require_valid: bool = True


class VerifiedPermit(BaseModel):
    """What a verifying clerk needs: no birth date, no passport number."""

    permit_number: str
    family_name: str
    given_names: str
    nationality: str
    category: str
    employer_name_en: str
    employer_name_zh: str
    position: str
    valid_from: date
    valid_to: date
    status: str


class VerifyOut(BaseModel):
    confirmed: bool
    reason: Literal["unknown", "name_mismatch", "passport_mismatch", "not_valid"] | None = None
    message: str | None = None
    permit: VerifiedPermit | None = None
