"""Builders for permit tests, reused by insurance, cards, e-card and e2e tests.

Everything goes through the real services: an employer files, an officer approves.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

from permitcard.auth.domain import Role
from permitcard.auth.service import create_employer
from permitcard.db import Database
from permitcard.permits import service as permits
from permitcard.shared import clock
from permitcard.shared.audit import Actor
from permitcard.shared.registry import PermitInfo, registry_for
from tests.factories import PASSWORD, SYSTEM, create_account


def _valid_uscc(n: int) -> str:
    from stdnum.cn import uscc

    body = f"9144190{n:010d}"
    return body + uscc.calc_check_digit(body)


def employer_with_user(db: Database, *, email: str | None = None, uscc: str | None = None,
                       name: str = "Permit Test Employer Co., Ltd.", city_code: str | None = None) -> tuple[int, int]:
    """A new employer (in ``city_code``, default: the default city) and one HR user of it:
    (employer_id, user_id). Password: factories.PASSWORD."""
    email = email or f"hr-{uuid.uuid4().hex[:8]}@example.com"
    code = uscc or _valid_uscc(uuid.uuid4().int % 10**10)
    with db.uow() as s:
        employer = create_employer(s, uscc=code, name_en=name, name_zh="许可测试有限公司", address="Dongguan",
                                   actor=SYSTEM, city_code=city_code)
        user = create_account(s, email=email, password=PASSWORD, role=Role.EMPLOYER, display_name="HR",
                           actor=SYSTEM, employer_id=employer.id)
        s.commit()
        return employer.id, user.id


def officer(db: Database, *, email: str | None = None) -> int:
    email = email or f"officer-{uuid.uuid4().hex[:8]}@example.com"
    with db.uow() as s:
        user = create_account(s, email=email, password=PASSWORD, role=Role.PERMIT_OFFICER, display_name="Officer",
                           actor=SYSTEM)
        s.commit()
        return user.id


def employer_actor(employer_id: int, user_id: int, email: str = "hr@example.com") -> Actor:
    return Actor(user_id=user_id, role=Role.EMPLOYER.value, label=email, employer_id=employer_id)


def officer_actor(user_id: int = 0) -> Actor:
    return Actor(user_id=user_id or None, role=Role.PERMIT_OFFICER.value, label="officer@example.com")


def application_data(**overrides: Any) -> dict[str, Any]:
    """A valid new application (category B, two years from 10 days after today's clock)."""
    start = clock.today() + timedelta(days=10)
    data: dict[str, Any] = {
        "family_name": "GARCIA LOPEZ", "given_names": "MARIA", "nationality": "ES",
        # A different person at each call (passport and birth date), unless the test says otherwise: one
        # person cannot have two applications open or two valid permits.
        "birth_date": date(1980, 1, 1) + timedelta(days=uuid.uuid4().int % 7000), "sex": "F",
        "passport_number": "PA" + uuid.uuid4().hex[:7].upper(),
        "passport_expiry_date": start + timedelta(days=365 * 6), "position": "Process engineer",
        "category": "B", "contract_start_date": start, "contract_end_date": start + timedelta(days=365 * 3),
        "requested_end_date": start + timedelta(days=700),
    }
    data.update(overrides)
    return data


def file_and_approve(db: Database, *, employer_id: int | None = None, user_id: int | None = None,
                     **overrides: Any) -> PermitInfo:
    """File as an employer and approve as an officer; returns what the registry now says."""
    if employer_id is None or user_id is None:
        employer_id, user_id = employer_with_user(db)
    app = permits.file_application(db, actor=employer_actor(employer_id, user_id),
                                   data=application_data(**overrides))
    approved = permits.decide(db, actor=officer_actor(), application_id=app.id, version=app.version,
                              action="approve", reason="")
    assert approved.permit_number is not None
    with db.uow(write=False) as s:
        info = registry_for(s).get(approved.permit_number)
    assert info is not None
    return info
