"""The built-in Work-in-China registry: answers ``shared.registry.PermitRegistry`` from our tables.

It reads through the caller's session (the caller owns the unit of work) and never commits.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from permitcard.auth import repository as auth_repo
from permitcard.permits import domain
from permitcard.permits import repository as repo
from permitcard.permits.models import Permit, PermitPerson
from permitcard.shared import clock, ids
from permitcard.shared.crypto import blind_index
from permitcard.shared.registry import REFUSAL_MESSAGES, PermitInfo, RegistryRefusal, names_match


def permit_info(s: Session, permit: Permit, person: PermitPerson) -> PermitInfo:
    employer = auth_repo.employer_by_id(s, permit.employer_id)
    return PermitInfo(
        permit_number=person.permit_number, notice_number=permit.notice_number,
        family_name=person.family_name, given_names=person.given_names, nationality=person.nationality,
        birth_date=person.birth_date, sex=person.sex, passport_number=person.passport_number,
        category=permit.category, employer_uscc=employer.uscc if employer else "",
        employer_name_en=employer.name_en if employer else "", employer_name_zh=employer.name_zh if employer else "",
        position=permit.position, valid_from=permit.valid_from_date, valid_to=permit.valid_to_date,
        status=domain.effective_status(permit.status, permit.valid_to_date, clock.today()), version=permit.version,
    )


def _refuse(reason: str) -> RegistryRefusal:
    return RegistryRefusal(REFUSAL_MESSAGES[reason], reason=reason)


class BuiltinRegistry:
    """``shared.registry.PermitRegistry`` over the permits context's own tables."""

    def __init__(self, session: Session) -> None:
        self.s = session

    def _current(self, permit_number: str) -> tuple[Permit, PermitPerson] | None:
        number = ids.normalise_permit_number(permit_number or "")
        person = repo.person_by_number(self.s, number) if number else None
        if person is None:
            return None
        permit = repo.latest_permit_of(self.s, person.id)
        return None if permit is None else (permit, person)

    def verify(
        self, *, permit_number: str, family_name: str, given_names: str, passport_number: str,
        require_valid: bool = True,
    ) -> PermitInfo:
        found = self._current(permit_number)
        if found is None:
            raise _refuse("unknown")
        permit, person = found
        if not names_match(family_name or "", given_names or "", person.family_name, person.given_names):
            raise _refuse("name_mismatch")
        if not passport_number.strip() or blind_index(passport_number) != person.passport_hash:
            raise _refuse("passport_mismatch")
        info = permit_info(self.s, permit, person)
        if require_valid and not info.is_valid:
            raise _refuse("not_valid")
        return info

    def get(self, permit_number: str) -> PermitInfo | None:
        found = self._current(permit_number)
        return None if found is None else permit_info(self.s, *found)

    def by_notice(self, notice_number: str) -> PermitInfo | None:
        permit = repo.permit_by_notice(self.s, (notice_number or "").strip().upper())
        if permit is None:
            return None
        person = repo.person(self.s, permit.person_id)
        return None if person is None else permit_info(self.s, permit, person)
