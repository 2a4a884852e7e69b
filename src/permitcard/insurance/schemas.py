"""Insurance API input and output. Readers get only what their role may see."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from permitcard.shared.openapi import PageMeta
from permitcard.shared.schemas import ApiModel


class RegistrationIn(ApiModel):
    """Give the notice number (Foreign Work Permit Notice) or the permit number (e-card), or both."""

    notice_number: str | None = Field(default=None, max_length=40)
    permit_number: str | None = Field(default=None, max_length=40)
    family_name: str = Field(max_length=100)
    given_names: str = Field(default="", max_length=200)
    passport_number: str = Field(max_length=32)
    permanent_residence_id: str | None = Field(default=None, max_length=24, description=(
        "A 2023 permanent residence ID; a valid one of this person is kept as their SSN"))


class RegistrationOut(ApiModel):
    id: int
    reference: str
    state: str
    channel: str
    credential: str
    permit_number: str
    family_name: str
    given_names: str
    ssn: str | None = Field(description="In full for the person, the agency and the filing employer; masked otherwise")
    refusal_reason: str | None
    refusal_message: str | None
    created_at: datetime
    decided_at: datetime | None
    already_registered: bool = False


class RegistrationList(PageMeta):
    items: list[RegistrationOut]
