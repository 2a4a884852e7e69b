"""Account queries. Never commits."""

from __future__ import annotations

import functools
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, func, select
from sqlalchemy.orm import Session

from permitcard.auth.models import Employer, Invitation, PasswordReset, RecoveryCode, User, UserSession
from permitcard.prebuilt import Prebuilt


def user_by_email(s: Session, email: str) -> User | None:
    return s.execute(select(User).where(User.email == email.strip().lower())).scalar_one_or_none()


def user_by_permit(s: Session, permit_number: str) -> User | None:
    return s.execute(select(User).where(User.permit_number == permit_number)).scalar_one_or_none()


def session_by_hash(s: Session, token_hash: str) -> UserSession | None:
    return s.get(UserSession, token_hash)


def session_and_user(s: Session, token_hash: str) -> tuple[UserSession, User] | None:
    """A session and its account in one statement (every signed-in request asks)."""
    row = s.execute(select(UserSession, User).join(User, User.id == UserSession.user_id)
                    .where(UserSession.token_hash == token_hash)).first()
    return None if row is None else (row[0], row[1])


@functools.cache
def _session_row() -> Any:
    """A session and the columns of its account that a signed-in request uses, built once, on the tables
    (no ORM objects, no decryption of the account's secrets on every request)."""
    us, u = cast(Table, UserSession.__table__), cast(Table, User.__table__)
    return Prebuilt(select(us.c.stage, us.c.last_seen_at, us.c.expires_at, u.c.id, u.c.email, u.c.display_name,
                           u.c.role, u.c.employer_id, u.c.branch_id, u.c.permit_number, u.c.studio_id,
                           u.c.is_active, u.c.totp_confirmed_at)
                    .select_from(us.join(u, u.c.id == us.c.user_id)).where(us.c.token_hash == bindparam("token_hash")))


def session_row(s: Session, token_hash: str) -> Any | None:
    """One plain row: the session's stage and times and its account's identity, or None."""
    return _session_row().run(s, {"token_hash": token_hash}).first()


@functools.cache
def _employer_row() -> Any:
    e = cast(Table, Employer.__table__).c
    return Prebuilt(select(e.id, e.uscc, e.name_en, e.name_zh, e.state, e.city_code).where(e.id == bindparam("id")))


def employer_row(s: Session, employer_id: int) -> Any | None:
    """An employer's identity, state and city as one plain row, read once per unit of work (the filing
    and registration paths ask for it several times; they never change it)."""
    known: dict[int, Any] = s.info.setdefault("auth.employer_rows", {})
    if employer_id not in known:
        known[employer_id] = _employer_row().run(s, {"id": employer_id}).first()
    return known[employer_id]


def known_employer_row(s: Session, uscc: str) -> Any | None:
    """An employer this unit of work already read as a row, by its code."""
    rows: dict[int, Any] = s.info.get("auth.employer_rows", {})
    return next((r for r in rows.values() if r is not None and r.uscc == uscc), None)


def end_sessions(s: Session, user_id: int, *, keep: str | None = None) -> None:
    """Every session of the user ends now (all but ``keep``, a token hash)."""
    query = delete(UserSession).where(UserSession.user_id == user_id)
    if keep is not None:
        query = query.where(UserSession.token_hash != keep)
    s.execute(query)


def employer_by_uscc(s: Session, uscc: str) -> Employer | None:
    """The live (not rejected) employer with this code."""
    return s.execute(select(Employer).where(Employer.uscc == uscc, Employer.state != "rejected")
                     ).scalar_one_or_none()


def employers(s: Session, *, states: tuple[str, ...] = ()) -> list[Employer]:
    query = select(Employer).order_by(Employer.name_en)
    if states:
        query = select(Employer).where(Employer.state.in_(states)).order_by(Employer.submitted_at, Employer.id)
    return list(s.execute(query).scalars())


def employer_counts(s: Session) -> dict[str, int]:
    rows = s.execute(select(Employer.state, func.count()).group_by(Employer.state)).all()
    return {str(state): int(n) for state, n in rows}


def reference_taken(s: Session, reference: str) -> bool:
    return s.execute(select(Employer.id).where(Employer.reference == reference)).first() is not None


def user_by_id(s: Session, user_id: int) -> User | None:
    return s.get(User, user_id)


def employer_by_id(s: Session, employer_id: int) -> Employer | None:
    return s.get(Employer, employer_id)


def members(s: Session, employer_id: int) -> list[User]:
    return list(s.execute(select(User).where(User.employer_id == employer_id).order_by(User.created_at, User.id))
                .scalars())


def staff(s: Session, *, role: str = "") -> list[User]:
    query = select(User).where(User.role.not_in(("applicant", "employer")))
    if role:
        query = query.where(User.role == role)
    return list(s.execute(query.order_by(User.role, User.email)).scalars())


def invitation_by_hash(s: Session, token_hash: str) -> Invitation | None:
    return s.execute(select(Invitation).where(Invitation.token_hash == token_hash)).scalar_one_or_none()


def open_invitations(s: Session, *, employer_id: int | None = None, staff_only: bool = False) -> list[Invitation]:
    query = select(Invitation).where(Invitation.accepted_at.is_(None), Invitation.revoked_at.is_(None))
    if employer_id is not None:
        query = query.where(Invitation.employer_id == employer_id)
    if staff_only:
        query = query.where(Invitation.employer_id.is_(None))
    return list(s.execute(query.order_by(Invitation.created_at.desc())).scalars())


def reset_by_hash(s: Session, token_hash: str) -> PasswordReset | None:
    return s.execute(select(PasswordReset).where(PasswordReset.token_hash == token_hash)).scalar_one_or_none()


def recovery_codes(s: Session, user_id: int) -> list[RecoveryCode]:
    return list(s.execute(select(RecoveryCode).where(RecoveryCode.user_id == user_id)).scalars())


def delete_recovery_codes(s: Session, user_id: int) -> None:
    s.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))


def employers_by_ids(s: Session, ids: set[int]) -> dict[int, Employer]:
    """Several employers in one query (a page of a queue names up to one per row)."""
    if not ids:
        return {}
    return {e.id: e for e in s.execute(select(Employer).where(Employer.id.in_(ids))).scalars()}
