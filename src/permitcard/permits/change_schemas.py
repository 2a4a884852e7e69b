"""JSON in and out of permit changes (extension, modification, cancellation, electronic permit) and of a
permit's history."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from permitcard.permits.change_views import History


class ExtensionIn(BaseModel):
    """Filed 90 to 30 days before the permit's last day."""

    requested_end_date: date = Field(description="The new last day of the permit")
    contract_end_date: date = Field(description="The (renewed) contract's last day")
    passport_expiry_date: date = Field(description="The passport's expiry date")


class ModificationIn(BaseModel):
    """Only the details that changed; empty or absent fields stay as they are."""

    change_date: date = Field(description="The day the detail changed (report within 10 working days)")
    family_name: str = Field(default="", max_length=100)
    given_names: str | None = Field(default=None, max_length=100)
    passport_number: str = Field(default="", max_length=32, description="A renewed passport's number")
    passport_expiry_date: date | None = None
    position: str = Field(default="", max_length=200)
    category: Literal["", "A", "B", "C"] = ""
    employer_uscc: str = Field(default="", max_length=32, description=(
        "A different employer is refused: the old employer cancels, the new employer files a new application"))


class CancellationIn(BaseModel):
    change_date: date = Field(description="The day the contract ended (report within 10 working days)")


class ElectronicPermitIn(BaseModel):
    """Nothing changes: the electronic permit of a still-valid paper permit."""


class ChangeResubmitIn(BaseModel):
    """A returned change application, corrected: the fields of its kind, and the version you corrected."""

    version: int
    requested_end_date: date | None = None
    contract_end_date: date | None = None
    passport_expiry_date: date | None = None
    change_date: date | None = None
    family_name: str = Field(default="", max_length=100)
    given_names: str | None = Field(default=None, max_length=100)
    passport_number: str = Field(default="", max_length=32)
    position: str = Field(default="", max_length=200)
    category: Literal["", "A", "B", "C"] = ""
    employer_uscc: str = Field(default="", max_length=32)


class FieldChangeOut(BaseModel):
    field: str
    before: str
    after: str


class PermitVersionOut(BaseModel):
    version: int
    kind: str = Field(description="issued, extension, modification, cancellation, electronic, ...")
    at: datetime
    changes: list[FieldChangeOut]
    application_reference: str | None
    filed_by: str
    filed_at: datetime | None
    decided_by: str
    decided_at: datetime | None
    reason: str
    change_date: date | None
    days_late: int


class PermitHistoryOut(BaseModel):
    permit_number: str
    family_name: str
    given_names: str
    versions: list[PermitVersionOut] = Field(description="Newest first")

    @classmethod
    def of(cls, h: History) -> PermitHistoryOut:
        versions = [PermitVersionOut(
            version=v.version, kind=v.kind, at=v.at, application_reference=v.application_reference,
            changes=[FieldChangeOut(field=c.field, before=c.before, after=c.after) for c in v.changes],
            filed_by=v.filed_by, filed_at=v.filed_at, decided_by=v.decided_by, decided_at=v.decided_at,
            reason=v.reason, change_date=v.change_date, days_late=v.days_late) for v in h.versions]
        return cls(permit_number=h.permit_number, family_name=h.family_name, given_names=h.given_names,
                   versions=versions)
