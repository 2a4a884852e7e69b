"""JSON shapes of the e-card API (a mobile app's view of it)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import Field

from permitcard.shared.schemas import ApiModel


class EcardRegister(ApiModel):
    """Name as in the passport, EITHER the work permit number OR the SSN, the passport number, the
    e-mail address for the one-time code (used when no applicant account is linked to the permit)
    and a separate e-card password (8–16 characters, at least two kinds)."""

    family_name: str = Field(max_length=100)
    given_names: str = Field(default="", max_length=200)
    number_kind: Literal["permit", "ssn"]
    number: str = Field(max_length=40)
    passport_number: str = Field(max_length=40)
    email: str = Field(max_length=254)
    password: str = Field(max_length=64)
    password_again: str = Field(max_length=64)


class EcardRegistered(ApiModel):
    """Send ``verification_token`` as ``Authorization: Bearer`` with the code."""

    verification_token: str
    contact_masked: str
    contact_is_account: bool


class EcardCodeIn(ApiModel):
    code: str = Field(max_length=12)


class EcardSignIn(ApiModel):
    """The work permit number or the SSN, and the e-card password."""

    number: str = Field(max_length=40)
    password: str = Field(max_length=64)


class EcardRefresh(ApiModel):
    refresh_token: str = Field(max_length=200)


class EcardTokens(ApiModel):
    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - the scheme's name, not a secret
    expires_in: int


class EcardPasswordChange(ApiModel):
    current_password: str = Field(max_length=64)
    new_password: str = Field(max_length=64)
    new_password_again: str = Field(max_length=64)


class EcardLoss(ApiModel):
    card_id: int
    version: int


class EcardPermitOut(ApiModel):
    permit_number: str
    category: str
    employer_name_en: str
    employer_name_zh: str
    position: str
    valid_from: date
    valid_to: date
    status: str


class EcardOut(ApiModel):
    name: str
    permit: EcardPermitOut | None
    service_state: Literal["active", "waiting", "suspended"]
    waiting: str | None
    card_id: int | None
    card_state: str | None
    card_version: int
    card_state_label: str
    ssn_masked: str


class EcardSsn(ApiModel):
    ssn: str


class EcardQrOut(ApiModel):
    token: str
    url: str
    expires_at: datetime
    expires_in: int = Field(description="Seconds from now (renew before; the device's clock may differ)")
    lifetime: int
    svg: str


class EcardVerificationOut(ApiModel):
    """Only what a verifier needs: never the passport number or the SSN."""

    valid: bool
    reason: str | None
    message: str
    name: str
    permit_status: str | None
    permit_valid_from: date | None
    permit_valid_to: date | None
    card_state: str | None
