"""Import of paper work permits issued before 2024-12-01 from the legacy registry (R: no change, no replacement).

Each row becomes a ``PermitPerson`` with its lifelong permit number and a ``Permit`` with
``origin="paper"``, valid as it was: no event is published, no card is touched and nobody is asked to
do anything. Its first extension or modification supersedes the paper (the permits service does that).
The CSV format is in the README ("Importing the legacy registries") and docs/examples/legacy-permits.csv.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path

import pycountry
from sqlalchemy.orm import Session

from permitcard.auth import views as accounts
from permitcard.db import Database
from permitcard.permits import domain
from permitcard.permits import repository as repo
from permitcard.permits.models import Permit, PermitPerson, PermitVersion
from permitcard.shared import audit, clock, ids
from permitcard.shared.audit import Actor
from permitcard.shared.crypto import blind_index
from permitcard.shared.legacy_import import AlreadyImported, ImportReport, RowError, need, parse_date, run_import

INTEGRATION_DAY = date(2024, 12, 1)  # R: from this day permits are electronic and carried on the card
COLUMNS = ("permit_number", "family_name", "given_names", "nationality", "birth_date", "sex", "passport_number",
           "employer_uscc", "category", "position", "valid_from", "valid_to")
_PASSPORT_RE = re.compile(r"^[A-Z0-9]{5,20}$")


def _permit_number(row: dict[str, str]) -> str:
    raw = need(row, "permit_number")
    number = ids.normalise_permit_number(raw)
    if number is None or not domain.is_valid_permit_number(number):
        raise RowError(f"permit_number {raw!r} is not a valid permit number (WP + 14 digits; wrong check digit?)")
    return number


def _nationality(row: dict[str, str]) -> str:
    code = need(row, "nationality").upper()
    if code == "CN":
        raise RowError("nationality CN: work permits are for foreign nationals")
    if len(code) != 2 or pycountry.countries.get(alpha_2=code) is None:
        raise RowError(f"nationality {code!r} is not a known ISO 3166 country code")
    return code


@dataclass(frozen=True)
class _Row:
    number: str
    family_name: str
    given_names: str
    nationality: str
    birth_date: date
    sex: str
    passport: str
    employer_id: int
    category: str
    position: str
    valid_from: date
    valid_to: date


def _checked(s: Session, row: dict[str, str]) -> _Row:
    number = _permit_number(row)
    if repo.person_by_number(s, number) is not None:
        raise AlreadyImported()
    nationality = _nationality(row)
    birth = parse_date(row, "birth_date")
    sex = need(row, "sex").upper()
    if sex not in ("M", "F"):
        raise RowError(f"sex {sex!r} must be M or F")
    passport = domain.normalise_passport(need(row, "passport_number"))
    if not _PASSPORT_RE.match(passport):
        raise RowError("passport_number must be 5 to 20 letters and digits")
    uscc = need(row, "employer_uscc").upper()
    if not ids.is_valid_uscc(uscc):
        raise RowError(f"employer_uscc {uscc!r} is not a valid unified social credit code")
    employer = accounts.employer_by_uscc(s, uscc)
    if employer is None:
        raise RowError(f"no employer with unified social credit code {uscc} is registered (register it first)")
    category = need(row, "category").upper()
    if category not in {c.value for c in domain.Category}:
        raise RowError(f"category {category!r} must be A, B or C")
    valid_from, valid_to = parse_date(row, "valid_from"), parse_date(row, "valid_to")
    assert valid_from is not None and valid_to is not None and birth is not None
    if valid_from >= INTEGRATION_DAY:
        raise RowError(f"valid_from {valid_from} is not before 2024-12-01: only paper permits issued before the "
                       "integration are imported")
    if valid_to < valid_from:
        raise RowError("valid_to is before valid_from")
    if repo.person_by_passport(s, nationality=nationality, passport_hash=blind_index(passport)) is not None:
        raise RowError("this passport already belongs to another permit number")
    return _Row(number=number, family_name=need(row, "family_name").upper(),
                given_names=" ".join(row.get("given_names", "").split()).upper(), nationality=nationality,
                birth_date=birth, sex=sex, passport=passport, employer_id=employer.id, category=category,
                position=need(row, "position"), valid_from=valid_from, valid_to=valid_to)


def import_row(s: Session, row: dict[str, str], *, actor: Actor) -> Permit:
    """One legacy paper permit, as it was (RowError / AlreadyImported otherwise)."""
    d = _checked(s, row)
    now = clock.now()
    number = d.number
    person = PermitPerson(permit_number=number, family_name=d.family_name, given_names=d.given_names,
                          nationality=d.nationality, birth_date=d.birth_date, sex=d.sex,
                          passport_number=d.passport, passport_hash=blind_index(d.passport), created_at=now)
    s.add(person)
    s.flush()
    # A paper permit whose last day has already passed comes in expired; no event: no card carries it.
    status = domain.effective_status(domain.PermitStatus.VALID, d.valid_to, clock.today())
    permit = Permit(person_id=person.id, employer_id=d.employer_id, category=d.category, position=d.position,
                    valid_from_date=d.valid_from, valid_to_date=d.valid_to, status=status,
                    notice_number=f"PAPER-{number}", version=1, origin="paper",
                    issued_at=datetime.combine(d.valid_from, time(0), tzinfo=clock.SHANGHAI))
    s.add(permit)
    s.flush()
    snapshot = {"permit_number": number, "notice_number": permit.notice_number, "family_name": person.family_name,
                "given_names": person.given_names, "nationality": person.nationality,
                "passport_hash": person.passport_hash, "employer_id": permit.employer_id, "category": permit.category,
                "position": permit.position, "valid_from": permit.valid_from_date.isoformat(),
                "valid_to": permit.valid_to_date.isoformat(), "status": permit.status, "origin": "paper"}
    s.add(PermitVersion(permit_id=permit.id, version=1, application_id=None, snapshot=snapshot,
                        reason="imported_paper", created_at=now))
    audit.record(s, actor=actor, action="permit.imported", target_type="permit", target_id=permit.id,
                 after={k: v for k, v in snapshot.items() if k != "passport_hash"}, note="legacy paper permit")
    return permit


def import_file(db: Database, path: Path, *, actor: Actor | None = None,
                progress: Callable[[int], None] | None = None) -> ImportReport:
    """Import a legacy registry CSV; a row report (ok / skipped-already-imported / error and why)."""
    who = actor or Actor.system("import-legacy permits")
    return run_import(db, path, required=COLUMNS, key="permit_number",
                      import_row=lambda s, row: import_row(s, row, actor=who), progress=progress)
