"""Account queries. Never commits."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from permitcard.auth.models import Employer, User, UserSession


def user_by_email(s: Session, email: str) -> User | None:
    return s.execute(select(User).where(User.email == email.strip().lower())).scalar_one_or_none()


def user_by_permit(s: Session, permit_number: str) -> User | None:
    return s.execute(select(User).where(User.permit_number == permit_number)).scalar_one_or_none()


def session_by_hash(s: Session, token_hash: str) -> UserSession | None:
    return s.get(UserSession, token_hash)


def employer_by_uscc(s: Session, uscc: str) -> Employer | None:
    return s.execute(select(Employer).where(Employer.uscc == uscc)).scalar_one_or_none()


def employers(s: Session) -> list[Employer]:
    return list(s.execute(select(Employer).order_by(Employer.name_en)).scalars())


def user_by_id(s: Session, user_id: int) -> User | None:
    return s.get(User, user_id)


def employer_by_id(s: Session, employer_id: int) -> Employer | None:
    return s.get(Employer, employer_id)
