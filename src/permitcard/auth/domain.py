"""Roles and permissions (SPEC §1), from this one table; password rules."""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from permitcard.shared.errors import N_


class Role(StrEnum):
    APPLICANT = "applicant"
    EMPLOYER = "employer"
    PERMIT_OFFICER = "permit_officer"
    AGENCY_CLERK = "agency_clerk"
    BANK_CLERK = "bank_clerk"
    PHOTO_STUDIO = "photo_studio"
    AUDITOR = "auditor"
    ADMIN = "admin"


ROLE_LABELS = {
    Role.APPLICANT: N_("Applicant"),
    Role.EMPLOYER: N_("Employer"),
    Role.PERMIT_OFFICER: N_("Permit officer"),
    Role.AGENCY_CLERK: N_("Social insurance agency clerk"),
    Role.BANK_CLERK: N_("Bank clerk"),
    Role.PHOTO_STUDIO: N_("Photo studio"),
    Role.AUDITOR: N_("Auditor"),
    Role.ADMIN: N_("Administrator"),
}

_READ_ALL = {
    "permit.read_all", "insurance.read_all", "card.read_all", "photo.read_all", "audit.read",
    "bank.read_all",
}

# role -> what it may do. Object-level checks (own employer, own branch, own record) live in
# each context's service loader.
PERMISSIONS: dict[Role, frozenset[str]] = {
    Role.APPLICANT: frozenset({
        "account.link_permit", "permit.read_own", "insurance.register_self", "insurance.read_own",
        "card.apply_online", "card.read_own",
    }),
    Role.EMPLOYER: frozenset({
        "permit.apply", "permit.read_employer", "insurance.register_employee",
        "insurance.read_employer",
    }),
    Role.PERMIT_OFFICER: frozenset({"permit.decide", "permit.read_all"}),
    Role.AGENCY_CLERK: frozenset({
        "insurance.register_any", "insurance.read_all", "insurance.assign_ssn", "card.decide",
        "card.read_all", "permit.verify",
    }),
    Role.BANK_CLERK: frozenset({
        "card.apply_at_branch", "card.branch_work", "card.read_branch", "permit.verify",
    }),
    Role.PHOTO_STUDIO: frozenset({"photo.upload", "photo.read_own"}),
    Role.AUDITOR: frozenset(_READ_ALL),
    Role.ADMIN: frozenset({"admin.manage", "audit.read", "calendar.manage", "bank.manage"}),
}


def has_permission(role: str, permission: str) -> bool:
    try:
        return permission in PERMISSIONS[Role(role)]
    except ValueError:
        return False


MIN_PASSWORD = 8
MAX_PASSWORD = 128


@lru_cache
def _common_passwords() -> frozenset[str]:
    path = Path(__file__).with_name("common_passwords.txt")
    return frozenset(line.strip().lower() for line in path.read_text().splitlines() if line.strip())


def password_problem(password: str, *, email: str = "") -> str | None:
    """None if acceptable, else a message id. No composition rules (ASVS 6.2.1, 6.2.4, 6.2.5)."""
    if len(password) < MIN_PASSWORD:
        return N_("Enter a password of at least 8 characters")
    if len(password) > MAX_PASSWORD:
        return N_("Enter a password of at most 128 characters")
    lowered = password.lower()
    if lowered in _common_passwords() or (email and lowered == email.lower()):
        return N_("This password is too common. Choose a less guessable one, such as three random words")
    return None
