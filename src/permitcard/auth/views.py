"""What other contexts may read about accounts, employers and permissions (auth's public face for reads).

They run inside the caller's unit of work (``s``) and return values, not ORM rows: no other context
reads auth's tables. A row read once stays in the session for the rest of the unit of work (the
identity map holds rows only weakly), so asking again costs no statement. ``Role`` and
``has_permission`` are the one role→permission table of ``auth.domain``, exposed here.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from permitcard.auth import repository as repo
from permitcard.auth.domain import ROLE_LABELS, STAFF_ROLES, Role, has_permission
from permitcard.auth.models import Employer, User

__all__ = ["ROLE_LABELS", "STAFF_ROLES", "Account", "EmployerInfo", "Role", "account", "account_of_permit", "employer",
           "employer_accounts", "employer_by_uscc",
           "employers", "has_permission"]


@dataclass(frozen=True)
class EmployerInfo:
    id: int
    uscc: str
    name_en: str
    name_zh: str


@dataclass(frozen=True)
class Account:
    """Whom to notify about a record: the account's address and whether it may still sign in."""

    id: int
    email: str
    is_active: bool
    locale: str = "en"  # the language the account's messages are written in


def _employer(e: Employer) -> EmployerInfo:
    return EmployerInfo(id=e.id, uscc=e.uscc, name_en=e.name_en, name_zh=e.name_zh)


def _account(u: User) -> Account:
    return Account(id=u.id, email=u.email, is_active=u.is_active, locale=u.locale or "en")


def _held(s: Session, row: Employer | User | None) -> None:
    if row is not None:
        s.info.setdefault("auth.views.held", {})[(type(row).__name__, row.id)] = row


def employer(s: Session, employer_id: int) -> EmployerInfo | None:
    e = repo.employer_row(s, employer_id)  # read once per unit of work
    return None if e is None else EmployerInfo(id=e.id, uscc=e.uscc, name_en=e.name_en, name_zh=e.name_zh)


def employers(s: Session, ids: set[int]) -> dict[int, EmployerInfo]:
    """Several employers in one query (a page of a queue names up to one per row): plain columns, no ORM rows."""
    if not ids:
        return {}
    rows = s.execute(select(Employer.id, Employer.uscc, Employer.name_en, Employer.name_zh)
                     .where(Employer.id.in_(bindparam("ids", expanding=True))), {"ids": list(ids)})
    return {row.id: EmployerInfo(id=row.id, uscc=row.uscc, name_en=row.name_en, name_zh=row.name_zh) for row in rows}


def account(s: Session, user_id: int) -> Account | None:
    u = repo.user_by_id(s, user_id)
    _held(s, u)
    return None if u is None else _account(u)


def account_of_permit(s: Session, permit_number: str) -> Account | None:
    """The applicant account linked to this work permit, if any."""
    u = repo.user_by_permit(s, permit_number)
    return None if u is None else _account(u)


def employer_accounts(s: Session, employer_id: int) -> list[Account]:
    """The active accounts acting for an employer (whom to tell about its permits)."""
    return [_account(u) for u in repo.members(s, employer_id) if u.is_active]


def employer_by_uscc(s: Session, uscc: str) -> EmployerInfo | None:
    """The live (not rejected) employer with this unified social credit code."""
    e = repo.employer_by_uscc(s, uscc)
    _held(s, e)
    return None if e is None else _employer(e)
