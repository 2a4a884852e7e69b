"""Cities and their rules as rows with the date each value takes effect."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from permitcard.db import Base


class PolicyCity(Base):
    """A city served by this installation. ``code``: the first four digits of its GB/T 2260 code."""

    __tablename__ = "policy_city"

    code: Mapped[str] = mapped_column(String(8), primary_key=True)
    name_en: Mapped[str] = mapped_column(String(100))
    name_zh: Mapped[str] = mapped_column(String(100))
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    # A new random value whenever the city's rules change: processes compare it to their cache.
    revision: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PolicyRule(Base):
    """One value of one rule for one city, in force from ``effective_from`` until the next one."""

    __tablename__ = "policy_rule"
    __table_args__ = (UniqueConstraint("city_code", "key", "effective_from"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    city_code: Mapped[str] = mapped_column(ForeignKey("policy_city.code"), index=True)
    key: Mapped[str] = mapped_column(String(40))
    value: Mapped[str] = mapped_column(String(1000))
    # A business date (Asia/Shanghai): the value applies from the start of that day.
    effective_from: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(200), default="")
