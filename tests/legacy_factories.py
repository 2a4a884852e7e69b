"""Builders for the legacy imports and the upgrade: CSV files as the old registries export them."""

from __future__ import annotations

import csv
import io
import random
import uuid
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select, update

from permitcard.cards.domain import card_number
from permitcard.cards.legacy import COLUMNS as CARD_COLUMNS
from permitcard.db import Database
from permitcard.insurance.domain import ssn_for_sequence, ssn_prefix
from permitcard.permits import domain as permit_domain
from permitcard.permits.legacy import COLUMNS as PERMIT_COLUMNS
from permitcard.permits.models import Permit, PermitPerson
from tests.permit_factories import _valid_uscc, employer_with_user

LEGACY_BRANCH = "CCB-DG-BRANCH"


def write_csv(path: Path, columns: tuple[str, ...], rows: list[dict[str, Any]]) -> Path:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(columns))
    writer.writeheader()
    for row in rows:
        writer.writerow({c: row.get(c, "") for c in columns})
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


def legacy_employer(db: Database) -> str:
    """A registered employer; its unified social credit code."""
    return legacy_employer_ids(db)[0]


def legacy_employer_ids(db: Database) -> tuple[str, int, int]:
    """A registered employer: (unified social credit code, employer id, its HR user's id)."""
    uscc = _valid_uscc(uuid.uuid4().int % 10**10)
    employer_id, user_id = employer_with_user(db, uscc=uscc)
    return uscc, employer_id, user_id


def permit_row(uscc: str, **overrides: Any) -> dict[str, Any]:
    serial = random.randrange(10**9)
    row = {"permit_number": permit_domain.permit_number(2021, serial), "family_name": "MUELLER",
           "given_names": "ANNA", "nationality": "DE", "birth_date": "1988-04-02", "sex": "F",
           "passport_number": "C" + uuid.uuid4().hex[:8].upper(), "employer_uscc": uscc, "category": "B",
           "position": "Teacher", "valid_from": "2023-06-01", "valid_to": "2026-05-31"}
    row.update(overrides)
    return row


def ssn_of(row: dict[str, Any]) -> str:
    """A well-formed SSN for the row's person (random sequence of the right parity, high to avoid
    the numbers the agency hands out from 001/002)."""
    prefix = ssn_prefix(province_code="44", nationality=row["nationality"],
                        birth_date=date.fromisoformat(row["birth_date"]))
    n = random.randrange(250, 499) * 2 + (0 if row["sex"] == "F" else 1)
    return ssn_for_sequence(prefix, n)


def card_row(permit: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    row = {"card_number": card_number(random.randrange(1, 10**7)), "ssn": ssn_of(permit),
           "permit_number": permit["permit_number"], "family_name": permit["family_name"],
           "given_names": permit["given_names"], "branch_code": LEGACY_BRANCH,
           "bank_account": "6217" + f"{random.randrange(10**15):015d}", "issued_on": "2022-03-15",
           "activated_on": "2022-03-20"}
    row.update(overrides)
    return row


def permits_csv(path: Path, rows: list[dict[str, Any]]) -> Path:
    return write_csv(path, PERMIT_COLUMNS, rows)


def cards_csv(path: Path, rows: list[dict[str, Any]]) -> Path:
    return write_csv(path, CARD_COLUMNS, rows)


def make_electronic(db: Database, permit_number: str, employer: tuple[int, int]) -> None:
    """The employer asks for the electronic permit of the still-valid paper permit and an officer approves
    it (the real path): the permit is on the social security record from now on, nothing else changed."""
    from permitcard.permits import change_service
    from permitcard.permits import service as permits
    from tests.permit_factories import employer_actor, officer_actor

    app = change_service.file_change(db, actor=employer_actor(*employer), kind="electronic",
                                     data={"permit_number": permit_number})
    done = permits.decide(db, actor=officer_actor(), application_id=app.id, version=app.version,
                          action="approve", reason="")
    assert done.state == "approved"


def force_electronic(db: Database, permit_number: str) -> None:
    """The origin flag alone, for a live server's database the test reaches directly."""
    with db.uow() as s:
        person_id = s.scalar(select(PermitPerson.id).where(PermitPerson.permit_number == permit_number))
        s.execute(update(Permit).where(Permit.person_id == person_id).values(origin="electronic"))
        s.commit()
