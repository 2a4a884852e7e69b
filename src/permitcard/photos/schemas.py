"""Photos API output: what a studio needs to know about its uploads."""

from __future__ import annotations

from datetime import datetime

from permitcard.shared.schemas import ApiModel


class PhotoOut(ApiModel):
    receipt_number: str
    family_name: str
    given_names: str
    width: int
    height: int
    size_bytes: int
    created_at: datetime
    used: bool
    used_at: datetime | None


class PhotoList(ApiModel):
    items: list[PhotoOut]
    total: int
    used: int
    page: int
    per_page: int
    pages: int
