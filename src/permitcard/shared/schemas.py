"""The one base of every JSON schema of the API.

Every date-time leaves the API as RFC 3339 with its offset (UTC, ``...Z``). SQLite hands back naive
datetimes for ``DateTime(timezone=True)`` columns; they hold UTC (``clock.now()``), so a naive value
is read as UTC here, once, for every field of every model (nested lists and dicts included), instead
of in each schema. ``tests/unit/shared/test_api_schemas.py`` keeps every API model on this base.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, field_validator


def as_utc(value: Any) -> Any:
    """A datetime with its offset (naive ones are UTC), recursively through lists, tuples and dicts."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if isinstance(value, list):
        return [as_utc(v) for v in value]
    if isinstance(value, tuple):
        return tuple(as_utc(v) for v in value)
    if isinstance(value, dict):
        return {k: as_utc(v) for k, v in value.items()}
    return value


class ApiModel(BaseModel):
    """Base of every request and response model: date-times always carry their UTC offset."""

    @field_validator("*", mode="before")
    @classmethod
    def _instants_in_utc(cls, value: Any) -> Any:
        return as_utc(value)
