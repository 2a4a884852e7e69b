"""Roles and permissions (SPEC §1), from this one table; password rules; the employer
registration's state table; second-factor codes. Pure: no database, no HTTP."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from enum import StrEnum
from functools import lru_cache
from pathlib import Path

import pyotp

from permitcard.shared import labels
from permitcard.shared.errors import N_
from permitcard.shared.state import Machine


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
labels.register("role", ROLE_LABELS)

_READ_ALL = {
    "permit.read_all", "insurance.read_all", "card.read_all", "photo.read_all", "audit.read",
    "bank.read_all", "policy.read",
}

# role -> what it may do. Object-level checks (own employer, own branch, own record) live in
# each context's service loader.
PERMISSIONS: dict[Role, frozenset[str]] = {
    Role.APPLICANT: frozenset({
        "account.link_permit", "permit.read_own", "insurance.register_self", "insurance.read_own",
        "card.apply_online", "card.read_own", "card.report_loss",
    }),
    Role.EMPLOYER: frozenset({
        "permit.apply", "permit.read_employer", "insurance.register_employee",
        "insurance.read_employer", "employer.colleagues",
    }),
    Role.PERMIT_OFFICER: frozenset({"permit.decide", "permit.read_all", "employer.review"}),
    Role.AGENCY_CLERK: frozenset({
        "insurance.register_any", "insurance.read_all", "insurance.assign_ssn", "card.decide",
        "card.read_all", "permit.verify",
    }),
    Role.BANK_CLERK: frozenset({
        "card.apply_at_branch", "card.branch_work", "card.read_branch", "permit.verify", "card.report_loss",
        "card.collect_fee",
    }),
    Role.PHOTO_STUDIO: frozenset({"photo.upload", "photo.read_own"}),
    Role.AUDITOR: frozenset(_READ_ALL),
    Role.ADMIN: frozenset({
        "admin.manage", "audit.read", "calendar.manage", "bank.manage", "account.manage", "studio.manage",
        "policy.read", "policy.manage",
    }),
}

# Staff sign in with a second factor (ASVS 6.3.3); employers and workers may turn it on.
SECOND_FACTOR_REQUIRED = frozenset({
    Role.PERMIT_OFFICER, Role.AGENCY_CLERK, Role.BANK_CLERK, Role.PHOTO_STUDIO, Role.AUDITOR, Role.ADMIN,
})
# Roles an administrator invites, and what each is bound to.
STAFF_ROLES = (Role.PERMIT_OFFICER, Role.AGENCY_CLERK, Role.BANK_CLERK, Role.PHOTO_STUDIO, Role.AUDITOR,
               Role.ADMIN)
BINDING = {Role.BANK_CLERK: "branch", Role.PHOTO_STUDIO: "studio", Role.PERMIT_OFFICER: "city",
           Role.AGENCY_CLERK: "city", Role.AUDITOR: "city", Role.ADMIN: "city"}


def second_factor_required(role: str) -> bool:
    return role in {r.value for r in SECOND_FACTOR_REQUIRED}


# --- an employer's registration, reviewed by a permit officer -----------------------------------

class EmployerState(StrEnum):
    SUBMITTED = "submitted"
    CORRECTION = "correction_requested"
    APPROVED = "approved"
    REJECTED = "rejected"


EMPLOYER_STATE_LABELS = {
    EmployerState.SUBMITTED: N_("Waiting for review"),
    EmployerState.CORRECTION: N_("Correction requested"),
    EmployerState.APPROVED: N_("Approved"),
    EmployerState.REJECTED: N_("Rejected"),
}
labels.register("employer_state", EMPLOYER_STATE_LABELS)

# (state, action) -> new state: the one table of the registration's life.
EMPLOYER_TRANSITIONS: dict[tuple[str, str], str] = {
    (EmployerState.SUBMITTED, "approve"): EmployerState.APPROVED,
    (EmployerState.SUBMITTED, "reject"): EmployerState.REJECTED,
    (EmployerState.SUBMITTED, "request_correction"): EmployerState.CORRECTION,
    (EmployerState.CORRECTION, "resubmit"): EmployerState.SUBMITTED,
    (EmployerState.CORRECTION, "reject"): EmployerState.REJECTED,
}
REVIEW_ACTIONS = ("approve", "reject", "request_correction")
EMPLOYER_MACHINE = Machine(name="employer", transitions=EMPLOYER_TRANSITIONS, verbs={
    "approve": "approved", "reject": "rejected", "request_correction": "correction_requested",
    "resubmit": "resubmitted"})


def employer_transition(state: str, action: str) -> str:
    return EMPLOYER_MACHINE.next_state(state, action)


def has_permission(role: str, permission: str) -> bool:
    try:
        return permission in PERMISSIONS[Role(role)]
    except ValueError:
        return False


MIN_PASSWORD = 12
MAX_PASSWORD = 128


@lru_cache
def _common_passwords() -> frozenset[str]:
    """Our list plus the common and breached passwords bundled with zxcvbn (Dropbox's list of
    30,000 from leaked password sets), lower-cased."""
    path = Path(__file__).with_name("common_passwords.txt")
    words = {line.strip().lower() for line in path.read_text().splitlines() if line.strip()}
    try:
        from zxcvbn.frequency_lists import FREQUENCY_LISTS
    except ImportError:  # pragma: no cover - the package is a dependency; the bundled list still applies
        return frozenset(words)
    return frozenset(words | {w.lower() for w in FREQUENCY_LISTS.get("passwords", [])})


def is_common(password: str) -> bool:
    return password.lower() in _common_passwords()


def password_problem(password: str, *, email: str = "") -> str | None:
    """None if acceptable, else a message id. No composition rules (ASVS 6.2.1, 6.2.4, 6.2.5)."""
    if len(password) < MIN_PASSWORD:
        return N_("Enter a password of at least 12 characters")
    if len(password) > MAX_PASSWORD:
        return N_("Enter a password of at most 128 characters")
    lowered = password.lower()
    if lowered in _common_passwords() or (email and lowered == email.lower()):
        return N_("This password is too common. Choose a less guessable one, such as three random words")
    return None


# --- one-time tokens, TOTP (RFC 6238) and recovery codes: pure functions -------------------------

TOTP_INTERVAL = 30
TOTP_WINDOW = 1  # one step either side, for clocks a little off
RECOVERY_CODES = 10
MAX_CODE_FAILURES = 5


def token_hash(token: str) -> str:
    """Only the SHA-256 of a session, invitation or reset token is stored."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)


def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_uri(secret: str, *, email: str, issuer: str) -> str:
    return pyotp.TOTP(secret, interval=TOTP_INTERVAL).provisioning_uri(name=email, issuer_name=issuer)


def totp_step(secret: str, code: str, *, at: float, last_step: int) -> int | None:
    """The time step whose code ``code`` is, if it is within the window and newer than the last one
    accepted (a code is good once); else None."""
    digits = "".join(code.split())
    if not (digits.isdigit() and len(digits) == 6):
        return None
    totp = pyotp.TOTP(secret, interval=TOTP_INTERVAL)
    now_step = int(at // TOTP_INTERVAL)
    for step in range(now_step - TOTP_WINDOW, now_step + TOTP_WINDOW + 1):
        if step > last_step and hmac.compare_digest(totp.generate_otp(step), digits):
            return step
    return None


def new_recovery_codes(n: int = RECOVERY_CODES) -> list[str]:
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    codes = []
    for _ in range(n):
        raw = "".join(secrets.choice(alphabet) for _ in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    return codes


def recovery_code_hash(code: str) -> str:
    normal = "".join(ch for ch in code.lower() if ch.isalnum())
    return hashlib.sha256(("recovery:" + normal).encode()).hexdigest()
