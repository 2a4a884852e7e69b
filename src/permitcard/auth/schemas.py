from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from permitcard.shared.schemas import ApiModel


class SignIn(ApiModel):
    email: str = Field(max_length=254)
    password: str = Field(max_length=200)
    totp_code: str | None = Field(
        default=None, max_length=40,
        description="The current 6-digit code from the authenticator app (RFC 6238 TOTP), or one of the "
        "account's one-time recovery codes. Required for staff (officers, agency and bank clerks, photo "
        "studios, auditors, administrators) and for anyone who turned the second factor on; without it such "
        "an account is answered 401 `second_factor_required`. Staff who have not set up their factor yet are "
        "answered 403 `second_factor_not_enrolled` and set it up on the web first.",
        examples=["492039"])


class SignUp(ApiModel):
    email: str = Field(max_length=254)
    password: str = Field(max_length=200)
    display_name: str = Field(default="", max_length=200)


class SignUpSent(ApiModel):
    status: str = "sent"
    detail: str


class SignUpConfirm(ApiModel):
    token: str = Field(max_length=2000)


class LinkPermit(ApiModel):
    family_name: str = Field(max_length=100)
    given_names: str = Field(default="", max_length=100)
    permit_number: str = Field(max_length=64)
    passport_number: str = Field(max_length=32)


class Me(ApiModel):
    id: int
    email: str
    display_name: str
    role: str
    employer_id: int | None
    branch_id: int | None
    permit_number: str | None
    has_second_factor: bool = False
    csrf_token: str = ""


class EmployerRegistration(ApiModel):
    uscc: str = Field(max_length=40, description="Unified social credit code (GB 32100), 18 characters")
    name_en: str = Field(max_length=200)
    name_zh: str = Field(max_length=200)
    address: str = Field(max_length=500)
    contact_name: str = Field(max_length=200, description="The contact person; also the name on the first account")
    contact_phone: str = Field(max_length=40)
    email: str = Field(max_length=254, description="The first HR account's e-mail address")
    password: str = Field(max_length=200, description="At least 12 characters, not a common password")


class EmployerRegistrationConfirm(ApiModel):
    token: str = Field(max_length=8000, description="The last part of the e-mailed link")


class EmployerCorrection(ApiModel):
    version: int
    name_en: str = Field(max_length=200)
    name_zh: str = Field(max_length=200)
    address: str = Field(max_length=500)
    contact_name: str = Field(max_length=200)
    contact_phone: str = Field(max_length=40)


class EmployerOut(ApiModel):
    id: int
    reference: str
    uscc: str
    name_en: str
    name_zh: str
    address: str
    contact_name: str
    contact_phone: str
    state: str = Field(description="submitted | correction_requested | approved | rejected")
    version: int
    review_note: str


class EmployerDecision(ApiModel):
    version: int
    action: Literal["approve", "reject", "request_correction"]
    reason: str = Field(default="", max_length=1000, description="Required to reject or ask for a correction")


class InvitationIn(ApiModel):
    email: str = Field(max_length=254)
    display_name: str = Field(max_length=200)


class StaffInvitationIn(InvitationIn):
    role: Literal["permit_officer", "agency_clerk", "bank_clerk", "photo_studio", "auditor", "admin"]
    branch_id: int | None = Field(default=None, description="Bank clerks: the branch they work at")
    studio_id: int | None = Field(default=None, description="Photo studio accounts: their accredited studio")


class InvitationOut(ApiModel):
    id: int
    email: str
    display_name: str
    role: str
    binding: str = Field(description="What the account acts for: the employer, branch, studio or city")
    expires_at: datetime


class AcceptInvitation(ApiModel):
    token: str = Field(max_length=200, description="From the link in the invitation e-mail")
    password: str = Field(max_length=200)


class PasswordChange(ApiModel):
    current_password: str = Field(max_length=200)
    new_password: str = Field(max_length=200)


class ResetRequest(ApiModel):
    email: str = Field(max_length=254)


class ResetComplete(ApiModel):
    token: str = Field(max_length=200, description="From the link in the reset e-mail")
    new_password: str = Field(max_length=200)


class AccountOut(ApiModel):
    id: int
    email: str
    display_name: str
    role: str
    is_active: bool
    branch_id: int | None
    studio_id: int | None
    city_code: str | None
    has_second_factor: bool
