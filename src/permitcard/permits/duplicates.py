"""One person, one permit: a new application is refused when it is filed (not only at approval) if the
person already holds a valid permit or already has an application open. The filing employer is pointed
to its own permit or application; another employer's is never named (no number, reference or employer)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from permitcard.permits import domain
from permitcard.permits import repository as repo
from permitcard.permits.errors import AlreadyHoldsPermit, ApplicationAlreadyOpen, HeldOrOpenElsewhere
from permitcard.permits.models import Permit, PermitApplication, PermitPerson
from permitcard.shared import clock
from permitcard.shared.registry import names_match

OPEN_STATES = (domain.State.SUBMITTED.value, domain.State.RETURNED.value, domain.State.RESUBMITTED.value)


def find_person(s: Session, *, nationality: str, passport_hash: str, family_name: str, given_names: str,
                birth_date: date, sex: str) -> PermitPerson | None:
    """The registry's person: by passport, else by identity (name, birth date, nationality, sex)."""
    person = repo.person_by_passport(s, nationality=nationality, passport_hash=passport_hash)
    if person is not None:
        return person
    for candidate in repo.people_by_identity(s, family_name=family_name, birth_date=birth_date,
                                             nationality=nationality, sex=sex):
        if names_match(candidate.family_name, candidate.given_names, family_name, given_names):
            return candidate
    return None


def held_valid_permit(s: Session, person_id: int) -> Permit | None:
    today = clock.today()
    for held in repo.valid_permits_of(s, person_id):
        if domain.effective_status(held.status, held.valid_to_date, today) == domain.PermitStatus.VALID:
            return held
    return None


def _open_application(s: Session, *, nationality: str, passport_hash: str, family_name: str, given_names: str,
                      birth_date: date, sex: str, excluding: int | None) -> PermitApplication | None:
    q = select(PermitApplication).where(PermitApplication.state.in_(OPEN_STATES),
                                        PermitApplication.nationality == nationality)
    if excluding is not None:
        q = q.where(PermitApplication.id != excluding)
    by_passport = s.execute(q.where(PermitApplication.passport_hash == passport_hash)
                            .order_by(PermitApplication.id).limit(1)).scalar_one_or_none()
    if by_passport is not None:
        return by_passport
    same_identity = q.where(func.upper(PermitApplication.family_name) == family_name.upper(),
                            PermitApplication.birth_date == birth_date, PermitApplication.sex == sex)
    for candidate in s.execute(same_identity.order_by(PermitApplication.id)).scalars():
        if names_match(candidate.family_name, candidate.given_names, family_name, given_names):
            return candidate
    return None


def refuse_duplicate(s: Session, *, employer_id: int, nationality: str, passport_hash: str, family_name: str,
                     given_names: str, birth_date: date, sex: str, excluding: int | None = None) -> None:
    """Raise when this person holds a valid permit or has another application open."""
    person = find_person(s, nationality=nationality, passport_hash=passport_hash, family_name=family_name,
                         given_names=given_names, birth_date=birth_date, sex=sex)
    held = held_valid_permit(s, person.id) if person is not None else None
    if held is not None and person is not None:
        if held.employer_id == employer_id:
            raise AlreadyHoldsPermit(permit_number=person.permit_number)
        raise HeldOrOpenElsewhere()
    app = _open_application(s, nationality=nationality, passport_hash=passport_hash, family_name=family_name,
                            given_names=given_names, birth_date=birth_date, sex=sex, excluding=excluding)
    if app is not None:
        if app.employer_id == employer_id:
            raise ApplicationAlreadyOpen(reference=app.reference)
        raise HeldOrOpenElsewhere()
