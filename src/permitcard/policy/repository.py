"""Queries of the policy context; never commits."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from permitcard.policy.models import PolicyCity, PolicyRule


def cities(s: Session) -> list[PolicyCity]:
    return list(s.execute(select(PolicyCity).order_by(PolicyCity.is_default.desc(), PolicyCity.code)).scalars())


def city(s: Session, code: str) -> PolicyCity | None:
    return s.get(PolicyCity, code)


def rules(s: Session, city_code: str) -> list[PolicyRule]:
    return list(s.execute(select(PolicyRule).where(PolicyRule.city_code == city_code)
                          .order_by(PolicyRule.key, PolicyRule.effective_from)).scalars())


def rule(s: Session, city_code: str, key: str, effective_from: date) -> PolicyRule | None:
    return s.execute(select(PolicyRule).where(PolicyRule.city_code == city_code, PolicyRule.key == key,
                                              PolicyRule.effective_from == effective_from)).scalar_one_or_none()
