"""Builders for permit-change tests: an issued permit at a chosen date, a paper permit, decisions."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import update

from permitcard.db import Database
from permitcard.permits import change_service
from permitcard.permits import service as permits
from permitcard.permits.models import Permit, PermitPerson
from permitcard.shared import clock
from permitcard.shared.registry import PermitInfo
from tests.permit_factories import employer_actor, employer_with_user, file_and_approve, officer_actor


def issued_permit(db: Database, *, on: date, days: int = 200, employer: tuple[int, int] | None = None,
                  **overrides: Any) -> tuple[PermitInfo, int, int]:
    """A category B permit issued on ``on``, valid from ``on`` + 10 days for ``days`` days:
    (registry info, employer_id, user_id)."""
    employer_id, user_id = employer or employer_with_user(db)
    start = on + timedelta(days=10)
    with clock.frozen(on):
        info = file_and_approve(db, employer_id=employer_id, user_id=user_id, contract_start_date=start,
                                requested_end_date=start + timedelta(days=days), **overrides)
    return info, employer_id, user_id


def make_paper(db: Database, permit_number: str) -> None:
    """Turn an issued permit into an imported paper permit (what import-legacy makes)."""
    with db.uow() as s:
        person_id = s.query(PermitPerson.id).filter(PermitPerson.permit_number == permit_number).scalar()
        s.execute(update(Permit).where(Permit.person_id == person_id).values(origin="paper"))
        s.commit()


def file(db: Database, employer: tuple[int, int], kind: str, **data: Any) -> permits.ApplicationView:
    return change_service.file_change(db, actor=employer_actor(*employer), kind=kind, data=data)


def decide(db: Database, view: permits.ApplicationView, action: str = "approve",
           reason: str = "") -> permits.ApplicationView:
    return permits.decide(db, actor=officer_actor(), application_id=view.id, version=view.version, action=action,
                          reason=reason)


def permit_row(db: Database, permit_number: str) -> Permit:
    with db.uow(write=False) as s:
        person = s.query(PermitPerson).filter(PermitPerson.permit_number == permit_number).one()
        row = s.query(Permit).filter(Permit.person_id == person.id).order_by(Permit.id.desc()).first()
        assert row is not None
        s.expunge(row)
        return row
