"""Every model of the API is built on the one base that writes date-times as RFC 3339 with an offset."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from pydantic_settings import BaseSettings

from permitcard.bootstrap import import_models, include_routers
from permitcard.shared.schemas import ApiModel


def _subclasses(cls: type) -> set[type]:
    found = set()
    for sub in cls.__subclasses__():
        found |= {sub} | _subclasses(sub)
    return found


def test_every_api_model_is_an_api_model() -> None:
    from fastapi import FastAPI

    import_models()
    include_routers(FastAPI())  # imports every api module
    ours = [m for m in _subclasses(BaseModel) if m.__module__.startswith("permitcard.")
            and not issubclass(m, BaseSettings)]
    assert ours, "no API models found"
    assert sorted(m.__qualname__ for m in ours if not issubclass(m, ApiModel)) == []


def test_naive_datetimes_are_utc_with_an_offset() -> None:
    class Out(ApiModel):
        at: datetime
        many: list[datetime]

    data = Out(at=datetime(2026, 11, 28, 10, 32, 46, 500000), many=[datetime(2026, 1, 1)]).model_dump(mode="json")
    assert data == {"at": "2026-11-28T10:32:46.500000Z", "many": ["2026-01-01T00:00:00Z"]}
