"""The built-in Work-in-China registry: answers ``shared.registry.PermitRegistry`` from our tables.

It reads through the caller's session (the caller owns the unit of work) and never commits.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from permitcard.auth import views as accounts
from permitcard.permits import domain
from permitcard.permits import repository as repo
from permitcard.permits.models import Permit, PermitPerson
from permitcard.shared import clock, ids
from permitcard.shared.crypto import blind_index
from permitcard.shared.registry import REFUSAL_MESSAGES, PermitInfo, RegistryRefusal, names_match


def permit_info(s: Session, permit: Permit, person: PermitPerson) -> PermitInfo:
    return _info(permit, person, accounts.employer(s, permit.employer_id))


def _info(permit: Any, person: Any, employer: accounts.EmployerInfo | None, today: date | None = None) -> PermitInfo:
    """From the ORM rows, or from one row carrying both's columns (``permit`` and ``person`` the same)."""
    return PermitInfo(
        permit_number=person.permit_number, notice_number=permit.notice_number,
        family_name=person.family_name, given_names=person.given_names, nationality=person.nationality,
        birth_date=person.birth_date, sex=person.sex, passport_number=person.passport_number,
        category=permit.category, employer_uscc=employer.uscc if employer else "",
        employer_name_en=employer.name_en if employer else "", employer_name_zh=employer.name_zh if employer else "",
        position=permit.position, valid_from=permit.valid_from_date, valid_to=permit.valid_to_date,
        status=domain.effective_status(permit.status, permit.valid_to_date, today or clock.today()),
        version=permit.version,
        origin="paper" if permit.origin == "paper" and permit.paper_superseded_at is None else "electronic",
        chinese_name=person.chinese_name,
    )


def _refuse(reason: str) -> RegistryRefusal:
    return RegistryRefusal(REFUSAL_MESSAGES[reason], reason=reason)


class BuiltinRegistry:
    """``shared.registry.PermitRegistry`` over the permits context's own tables.

    One instance serves one unit of work and remembers what it read, so a use case that looks a
    permit up by its notice and then verifies it asks the database once."""

    def __init__(self, session: Session) -> None:
        self.s = session
        self._known: dict[str, PermitInfo] = {}

    def _remember(self, row: Any | None) -> PermitInfo | None:
        """From one plain row with the permit's and the person's columns."""
        if row is None:
            return None
        info = _info(row, row, accounts.employer(self.s, row.employer_id))
        self._known[info.permit_number] = info
        return info

    def get(self, permit_number: str) -> PermitInfo | None:
        number = ids.normalise_permit_number(permit_number or "")
        if not number:
            return None
        if number in self._known:
            return self._known[number]
        return self._remember(repo.current_permit_row(self.s, number))

    def get_many(self, permit_numbers: list[str]) -> dict[str, PermitInfo]:
        """Several permits in two queries (the card handler's batches): number -> current permit."""
        wanted = [n for n in dict.fromkeys(ids.normalise_permit_number(x or "") for x in permit_numbers) if n]
        missing = [n for n in wanted if n not in self._known]
        if missing:
            found = repo.current_permits_by_numbers(self.s, missing)
            employers = accounts.employers(self.s, {row.employer_id for row in found.values()})
            today = clock.today()
            for number, row in found.items():
                self._known[number] = _info(row, row, employers.get(row.employer_id), today)
        return {n: self._known[n] for n in wanted if n in self._known}

    def verify(
        self, *, permit_number: str, family_name: str, given_names: str, passport_number: str,
        require_valid: bool = True,
    ) -> PermitInfo:
        info = self.get(permit_number)
        if info is None:
            raise _refuse("unknown")
        if not names_match(family_name or "", given_names or "", info.family_name, info.given_names):
            raise _refuse("name_mismatch")
        if not passport_number.strip() or blind_index(passport_number) != blind_index(info.passport_number):
            raise _refuse("passport_mismatch")
        if require_valid and not info.is_valid:
            raise _refuse("not_valid")
        return info

    def by_notice(self, notice_number: str) -> PermitInfo | None:
        notice = (notice_number or "").strip().upper()
        for info in self._known.values():
            if info.notice_number == notice:
                return info
        return self._remember(repo.permit_row_by_notice(self.s, notice))
