"""Use cases of the e-card (SPEC §5): registration, real-name verification, sign-in, tokens, password.

**Which contact gets the one-time code (decision, D).** The code goes to the e-mail address of the
applicant account linked to the work permit (``auth``), when there is one: that address was proven
when the account was linked with the same registry data. Otherwise it goes to the address typed at
registration, and receiving the code is what confirms that address. The page names the address
(masked) and whether it is the account's. A deployment with an SMS gateway or the registry's own
contact data changes ``_contact`` only.

Every wrong combination of name, permit number or SSN, and passport number gets one answer
(``DetailsDoNotMatch``) after the same work: the password is always hashed, the blind indexes always
computed and the registry always asked. Registration, codes and sign-in are limited per account and
per address (``limits``) and every attempt is audited.

The page session (cookie ``pc_ecard``), API access tokens (10 min) and rotating refresh tokens
are random 256-bit values of which only the SHA-256 is stored (``ecard_token``); sign-out revokes
them, a password change revokes all but the session that made it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email
from sqlalchemy.orm import Session

from permitcard.auth import service as accounts
from permitcard.auth import views as auth_views
from permitcard.db import Database
from permitcard.ecard import domain, limits, sessions
from permitcard.ecard import repository as repo
from permitcard.ecard.domain import Subject
from permitcard.ecard.errors import (
    AlreadyRegistered,
    BadEcardCredentials,
    CodeRejected,
    DetailsDoNotMatch,
    EcardSignInNeeded,
)
from permitcard.ecard.events import EcardPasswordChanged, EcardVerified
from permitcard.ecard.models import EcardAccount
from permitcard.ecard.realname import verifier
from permitcard.ecard.sessions import (
    PENDING,
    SESSION,
    Holder,
    TokenPair,
    forget_expired,
    holder_for,
    refresh,
    sign_out,
)
from permitcard.insurance import service as insurance
from permitcard.shared import audit, clock, i18n, ids, outbox, state
from permitcard.shared.audit import Actor
from permitcard.shared.crypto import blind_index, mask
from permitcard.shared.errors import N_, FieldError, ValidationFailed
from permitcard.shared.registry import REFUSAL_MESSAGES, RegistryRefusal, registry_for

__all__ = ["Holder", "Started", "TokenPair", "change_password", "forget_expired", "holder_for", "issue_tokens",
           "new_pair_for", "refresh", "register", "resend_code", "sign_in", "sign_out", "verify_code"]

password_hasher = PasswordHasher()


@cache
def _dummy_hash() -> str:
    """Verified against for an unknown number (same time either way); made on first use, not at import."""
    return password_hasher.hash(secrets.token_urlsafe(16))


@dataclass(frozen=True)
class Started:
    """Registration or sign-in done: a session token and where the code went (masked)."""

    token: str
    verified: bool
    contact_masked: str = ""
    contact_is_account: bool = False


def _anon(ip: str) -> Actor:
    return Actor(user_id=None, role="anonymous", label="e-card", ip=ip)


def mask_email(email: str) -> str:
    local, _, domain_part = email.partition("@")
    return f"{local[:1]}•••@{domain_part}" if domain_part else mask(email)


# --- registration ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Input:
    family_name: str
    given_names: str
    number_kind: str
    number: str
    passport: str
    email: str


def _clean(*, family_name: str, given_names: str, number_kind: str, number: str, passport_number: str,
           email: str, password: str, password_again: str) -> _Input:
    errors: list[FieldError] = []
    family, given = " ".join(family_name.split()), " ".join(given_names.split())
    if not family:
        errors.append(FieldError("family_name", N_("Enter your family name as it is in your passport")))
    elif len(family) > 100 or len(given) > 200:
        errors.append(FieldError("family_name", N_("Enter at most %(max_length)s characters"), {"max_length": 100}))
    clean_number = "".join(number.split()).upper()
    if number_kind not in ("permit", "ssn"):
        errors.append(FieldError("number_kind", N_("Choose the number you will use")))
    elif not clean_number:
        errors.append(FieldError("number", N_("Enter your work permit number or social security number")))
    elif number_kind == "permit" and not ids.normalise_permit_number(clean_number):
        errors.append(FieldError("number", N_("Enter the work permit number: 6 to 32 letters and digits")))
    elif number_kind == "ssn" and (len(clean_number) != 18 or not clean_number[:17].isdigit()):
        errors.append(FieldError("number", N_("Enter the social security number: 18 characters")))
    passport = "".join(passport_number.split()).upper()
    if not passport or len(passport) > 32 or not passport.isalnum():
        errors.append(FieldError("passport_number", N_("Enter your passport number: letters and digits only")))
    clean_email = ""
    try:
        clean_email = str(validate_email(email.strip(), check_deliverability=False).normalized).lower()
    except EmailNotValidError:
        errors.append(FieldError("email", N_("Enter an e-mail address like name@example.com")))
    problem = domain.password_problem(password, is_common=accounts.is_common_password(password))
    if problem:
        errors.append(FieldError("password", problem))
    elif password != password_again:
        errors.append(FieldError("password_again", N_("The two passwords are not the same")))
    if errors:
        raise ValidationFailed(errors)
    if number_kind == "permit":
        clean_number = ids.normalise_permit_number(clean_number) or clean_number
    return _Input(family, given, number_kind, clean_number, passport, clean_email)


@limits.audited_when_blocked("register")
def register(db: Database, *, family_name: str, given_names: str, number_kind: str, number: str,
             passport_number: str, email: str, password: str, password_again: str, ip: str = "") -> Started:
    """Register an e-card: the registry must confirm the name, the permit (or the SSN's permit) and the
    passport; then a one-time code goes to the contact on file (see the module docstring)."""
    data = _clean(family_name=family_name, given_names=given_names, number_kind=number_kind, number=number,
                  passport_number=passport_number, email=email, password=password, password_again=password_again)
    password_hash = password_hasher.hash(password)  # always, before we know whether the details match
    names = limits.keys("register", account=blind_index(data.number), ip=ip)
    blind_index(data.passport)
    with db.uow() as s:
        limits.check(s, names)
        permit_number = _permit_of(s, data)
        try:
            registry_for(s).verify(permit_number=permit_number or "-", family_name=data.family_name,
                                   given_names=data.given_names, passport_number=data.passport,
                                   require_valid=False)
            if not permit_number:
                raise RegistryRefusal(REFUSAL_MESSAGES["unknown"], reason="unknown")
        except RegistryRefusal as refusal:
            limits.failed(s, names)
            audit.record(s, actor=_anon(ip), action="ecard_account.registration_refused", target_type="ecard_account",
                         target_id="-", after={"number_kind": data.number_kind, "reason": refusal.reason})
            s.commit()
            raise DetailsDoNotMatch() from None
        account = repo.account_by_permit(s, permit_number)
        if account is not None and account.state == domain.ACCOUNT_VERIFIED:
            audit.record(s, actor=_anon(ip), action="ecard_account.registration_repeated",
                         target_type="ecard_account", target_id=account.id)
            s.commit()
            raise AlreadyRegistered()
        contact, from_account = _contact(s, permit_number, data.email)
        account = _save_account(s, account, permit_number=permit_number, data=data, contact=contact,
                                from_account=from_account, password_hash=password_hash, ip=ip)
        limits.succeeded(s, names)
        verifier().start(s, _subject(account))
        token = sessions.new_token(s, account, kind=PENDING, ip=ip)
        s.commit()
        return Started(token=token, verified=False, contact_masked=mask_email(contact), contact_is_account=from_account)


def _permit_of(s: Session, data: _Input) -> str:
    """The permit number the registration names: typed, or the one of the person holding the SSN."""
    if data.number_kind == "permit":
        return data.number
    person = insurance.insured_by_ssn(s, ssn=data.number)
    return person.permit_number if person is not None else ""


def _contact(s: Session, permit_number: str, typed: str) -> tuple[str, bool]:
    linked = auth_views.account_of_permit(s, permit_number)
    return (linked.email, True) if linked is not None and linked.is_active else (typed, False)


def _save_account(s: Session, account: EcardAccount | None, *, permit_number: str, data: _Input, contact: str,
                  from_account: bool, password_hash: str, ip: str) -> EcardAccount:
    now = clock.now()
    values = {"family_name": data.family_name, "given_names": data.given_names, "contact_email": contact,
              "contact_source": "account" if from_account else "registration", "password_hash": password_hash,
              "locale": i18n.get_locale(), "password_changed_at": now}
    if account is None:
        account = EcardAccount(permit_number=permit_number, card_ref=secrets.token_urlsafe(16),
                               state=domain.ACCOUNT_PENDING, version=1, created_at=now, **values)
        s.add(account)
        s.flush([account])
        action = "ecard_account.registered"
    else:  # registered before but never verified: the latest registration counts
        for key, value in values.items():
            setattr(account, key, value)
        repo.revoke_all(s, account.id, now)
        action = "ecard_account.registered_again"
    audit.record(s, actor=_anon(ip), action=action, target_type="ecard_account", target_id=account.id,
                 after={"permit_number": permit_number, "number_kind": data.number_kind,
                        "contact_source": values["contact_source"]})
    return account


def _subject(account: EcardAccount) -> Subject:
    return Subject(account_id=account.id, permit_number=account.permit_number, contact_email=account.contact_email,
                   locale=account.locale)


# --- real-name verification -------------------------------------------------------------------------


@limits.audited_when_blocked("code")
def verify_code(db: Database, *, holder: Holder, code: str, ip: str = "", session: bool = True) -> str:
    """Check the one-time code of a pending e-card; returns the new page session token (with ``session``)."""
    if holder.verified:
        return ""
    names = limits.keys("code", account=str(holder.account_id), ip=ip)
    with db.uow() as s:
        limits.check(s, names)
        account = repo.account(s, holder.account_id)
        assert account is not None
        chosen = verifier()
        outcome = chosen.check(s, _subject(account), code)
        actor = holder.actor(ip)
        if not outcome.passed:
            limits.failed(s, names)
            audit.record(s, actor=actor, action="ecard_account.code_failed", target_type="ecard_account",
                         target_id=account.id, after={"new_code_sent": outcome.new_challenge})
            s.commit()
            raise CodeRejected(outcome.message or CodeRejected.title, **outcome.params)
        limits.succeeded(s, names)
        state.change(s, account, machine=domain.ACCOUNT, action="verify", seen=account.version, actor=actor,
                     values={"verified_at": clock.now(), "verifier": chosen.name},
                     event=EcardVerified(account_id=account.id, permit_number=account.permit_number,
                                         verifier=chosen.name))
        repo.revoke_all(s, account.id, clock.now())
        token = sessions.new_token(s, account, kind=SESSION, ip=ip) if session else ""
        s.commit()
        return token


@limits.audited_when_blocked("code")
def resend_code(db: Database, *, holder: Holder, ip: str = "") -> None:
    """Send a new code (the old one stops working). Counted like a failed try, so it cannot flood."""
    names = limits.keys("code", account=str(holder.account_id), ip=ip)
    with db.uow() as s:
        limits.check(s, names)
        account = repo.account(s, holder.account_id)
        if account is None or account.state != domain.ACCOUNT_PENDING:
            return
        limits.failed(s, names)
        verifier().start(s, _subject(account))
        audit.record(s, actor=holder.actor(ip), action="ecard_account.code_resent", target_type="ecard_account",
                     target_id=account.id)
        s.commit()


# --- sign-in, tokens, sign-out ---------------------------------------------------------------------


def _account_for_number(s: Session, number: str) -> EcardAccount | None:
    clean = "".join(number.split()).upper()
    account = repo.account_by_permit(s, ids.normalise_permit_number(clean) or clean)
    if account is None and len(clean) == 18:
        person = insurance.insured_by_ssn(s, ssn=clean)
        account = repo.account_by_permit(s, person.permit_number) if person is not None else None
    return account


def _authenticate(s: Session, *, number: str, password: str, ip: str, names: list[str]) -> EcardAccount:
    account = _account_for_number(s, number or "")
    try:
        password_hasher.verify(account.password_hash if account else _dummy_hash(), password or "")
        ok = account is not None
    except (VerificationError, InvalidHashError):
        ok = False
    if not ok or account is None:
        limits.failed(s, names)
        audit.record(s, actor=_anon(ip), action="ecard_account.sign_in_failed", target_type="ecard_account",
                     target_id=account.id if account else "-")
        s.commit()
        raise BadEcardCredentials()
    limits.succeeded(s, names)
    return account


@limits.audited_when_blocked("login")
def sign_in(db: Database, *, number: str, password: str, ip: str = "") -> Started:
    """The page session of an e-card (a pending one goes on to the code)."""
    names = limits.keys("login", account=blind_index(number or "-"), ip=ip)
    with db.uow() as s:
        limits.check(s, names)
        account = _authenticate(s, number=number, password=password, ip=ip, names=names)
        verified = account.state == domain.ACCOUNT_VERIFIED
        token = sessions.new_token(s, account, kind=SESSION if verified else PENDING, ip=ip)
        audit.record(s, actor=Actor(None, "applicant", f"e-card {account.id}", ip, permit_number=account.permit_number),
                     action="ecard_account.signed_in", target_type="ecard_account", target_id=account.id)
        s.commit()
        return Started(token=token, verified=verified, contact_masked=mask_email(account.contact_email),
                       contact_is_account=account.contact_source == "account")


@limits.audited_when_blocked("login")
def issue_tokens(db: Database, *, number: str, password: str, ip: str = "") -> TokenPair:
    """For a mobile app: a 10-minute bearer access token and a refresh token (verified e-cards only)."""
    names = limits.keys("login", account=blind_index(number or "-"), ip=ip)
    with db.uow() as s:
        limits.check(s, names)
        account = _authenticate(s, number=number, password=password, ip=ip, names=names)
        if account.state != domain.ACCOUNT_VERIFIED:
            s.commit()
            raise EcardSignInNeeded(N_("Finish the real-name verification of your e-card first"))
        pair = sessions.new_pair(s, account, family=secrets.token_hex(16), ip=ip)
        audit.record(s, actor=Actor(None, "applicant", f"e-card {account.id}", ip, permit_number=account.permit_number),
                     action="ecard_account.tokens_issued", target_type="ecard_account", target_id=account.id)
        s.commit()
        return pair


def new_pair_for(db: Database, *, account_id: int, ip: str = "") -> TokenPair:
    """Bearer tokens for an e-card that has just passed verification through the API."""
    with db.uow() as s:
        account = repo.account(s, account_id)
        if account is None or account.state != domain.ACCOUNT_VERIFIED:
            raise EcardSignInNeeded()
        pair = sessions.new_pair(s, account, family=secrets.token_hex(16), ip=ip)
        audit.record(s, actor=Actor(None, "applicant", f"e-card {account.id}", ip, permit_number=account.permit_number),
                     action="ecard_account.tokens_issued", target_type="ecard_account", target_id=account.id)
        s.commit()
        return pair


@limits.audited_when_blocked("password")
def change_password(db: Database, *, holder: Holder, current: str, new: str, new_again: str, ip: str = "") -> None:
    """A new e-card password; every other session and every bearer token is revoked."""
    problem = domain.password_problem(new, is_common=accounts.is_common_password(new))
    if problem:
        raise ValidationFailed.one("new_password", problem)
    if new != new_again:
        raise ValidationFailed.one("new_password_again", N_("The two passwords are not the same"))
    new_hash = password_hasher.hash(new)
    names = limits.keys("login", account=f"id{holder.account_id}", ip=ip)
    with db.uow() as s:
        limits.check(s, names)
        account = repo.account(s, holder.account_id)
        assert account is not None
        try:
            password_hasher.verify(account.password_hash, current or "")
        except (VerificationError, InvalidHashError):
            limits.failed(s, names)
            audit.record(s, actor=holder.actor(ip), action="ecard_account.password_change_failed",
                         target_type="ecard_account", target_id=account.id)
            s.commit()
            raise ValidationFailed.one("current_password", N_("Your current e-card password is not right")) from None
        now = clock.now()
        account.password_hash, account.password_changed_at = new_hash, now
        revoked = repo.revoke_all(s, account.id, now, keep=holder.token_hash if holder.token_kind == SESSION else None)
        audit.record(s, actor=holder.actor(ip), action="ecard_account.password_changed", target_type="ecard_account",
                     target_id=account.id, after={"tokens_revoked": revoked})
        outbox.publish(s, EcardPasswordChanged(account_id=account.id, permit_number=account.permit_number))
        s.commit()


