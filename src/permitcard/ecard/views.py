"""Reads of the e-card for pages and the API: the e-card itself, the QR keys and lifetime, the public
verification, and the two audited acts on the page (showing the SSN, reporting the card lost).

**QR signing keys.** The current key is the Ed25519 key of ``shared.crypto`` (PERMITCARD_SIGNING_KEY).
To rotate: set the new seed as PERMITCARD_SIGNING_KEY and add the old public key (base64url of its
32 raw bytes, as published in ``x``) to PERMITCARD_ECARD_RETIRED_PUBLIC_KEYS, comma-separated. Both
are published at ``/.well-known/permitcard-ecard-keys.json`` (JWKS-like, with ``kid`` and ``status``)
and accepted by the verification, so codes signed just before the rotation still verify.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from permitcard.cards import service as cards
from permitcard.cards import views as cards_views
from permitcard.config import get_settings
from permitcard.db import Database
from permitcard.ecard import domain, qr
from permitcard.ecard import repository as repo
from permitcard.ecard.errors import EcardSignInNeeded, EcardSuspended
from permitcard.ecard.models import EcardQrSeen
from permitcard.ecard.service import Holder
from permitcard.insurance import service as insurance
from permitcard.policy import service as policy
from permitcard.shared import audit, clock
from permitcard.shared.crypto import mask, signing_key
from permitcard.shared.errors import N_, DomainError, NotFound
from permitcard.shared.registry import PermitInfo, registry_for

# --- keys --------------------------------------------------------------------------------------------


@lru_cache
def _retired(setting: str) -> tuple[Ed25519PublicKey, ...]:
    return tuple(qr.public_key_from_text(k) for k in setting.split(",") if k.strip())


def current_key() -> Ed25519PrivateKey:
    return signing_key()


def public_keys() -> dict[str, Ed25519PublicKey]:
    """Every key a token may be signed with: the current one and the retired ones still published."""
    current = current_key().public_key()
    keys = {qr.kid_of(k): k for k in _retired(get_settings().ecard_retired_public_keys)}
    keys[qr.kid_of(current)] = current
    return keys


def published_keys() -> dict[str, Any]:
    """The document at /.well-known/permitcard-ecard-keys.json."""
    current = current_key().public_key()
    retired = [k for k in _retired(get_settings().ecard_retired_public_keys) if qr.kid_of(k) != qr.kid_of(current)]
    return {"keys": [qr.jwk(current, status="current"), *(qr.jwk(k, status="retired") for k in retired)],
            "token_format": "PC1.<base64url(JSON {kid, ref, n, exp})>.<base64url(Ed25519 signature)>",
            "verify_offline": "permitcard verify-qr TOKEN --public-key permitcard-ecard-keys.json"}


def qr_lifetime_seconds(s: Session) -> int:
    """The QR lifetime: the city's rule ``ecard_qr_seconds`` in force today (policy), or the default
    setting (60 s) where no rule has been entered. The one place the e-card reads it."""
    try:
        return policy.policy_for(s, city=None, on=clock.today()).ecard_qr_seconds
    except DomainError:  # no rules for the city yet
        return get_settings().ecard_qr_seconds


# --- the e-card page ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class EcardView:
    holder: Holder
    permit: PermitInfo | None
    card: domain.CardFacts
    service_state: str
    waiting: str | None
    card_state_label: str
    ssn_masked: str
    promised_date: date | None
    can_report_loss: bool
    promised_calendar_year: int | None = None  # the promised date waits for this year's official calendar

    @property
    def name(self) -> str:
        return f"{self.holder.given_names} {self.holder.family_name}".strip()


def loss_reporting_available() -> bool:
    """Loss reporting from the e-card calls ``cards.service.report_loss`` (built on another branch)."""
    return callable(getattr(cards, "report_loss", None))


def _facts(s: Session, permit_number: str) -> tuple[domain.CardFacts, date | None, int | None]:
    status = cards_views.card_status_for(s, permit_number=permit_number)
    return domain.CardFacts(card_id=status.card_id, card_state=status.card_state, card_version=status.card_version,
                            application_state=status.application_state,
                            promised_date_known=status.promised_date is not None), status.promised_date, \
        status.promised_calendar_year


def ecard(db: Database, *, holder: Holder) -> EcardView:
    if not holder.verified:
        raise EcardSignInNeeded()
    with db.uow(write=False) as s:
        permit = registry_for(s).get(holder.permit_number)
        facts, promised, waits_for_year = _facts(s, holder.permit_number)
        ssn = insurance.ssn_for(s, permit_number=holder.permit_number)
    service_state = domain.service_state(facts)
    return EcardView(holder=holder, permit=permit, card=facts, service_state=service_state,
                     waiting=domain.waiting_message(facts), card_state_label=domain.CARD_STATE_LABELS[facts.card_state],
                     ssn_masked=mask(ssn) if ssn else "", promised_date=promised,
                     can_report_loss=loss_reporting_available() and facts.card_state in ("issued", "active"),
                     promised_calendar_year=waits_for_year)


def reveal_ssn(db: Database, *, holder: Holder, ip: str = "") -> str:
    """The holder's SSN in full; every showing is audited."""
    if not holder.verified:
        raise EcardSignInNeeded()
    with db.uow() as s:
        ssn = insurance.ssn_for(s, permit_number=holder.permit_number)
        if not ssn:
            raise NotFound(N_("You have no social security number yet"))
        audit.record(s, actor=holder.actor(ip), action="ecard_account.ssn_shown", target_type="ecard_account",
                     target_id=holder.account_id)
        s.commit()
        return ssn


def report_loss(db: Database, *, holder: Holder, card_id: int, version: int, ip: str = "") -> None:
    """Report the physical card lost from the e-card: the card (and with it the e-card) is suspended."""
    if not holder.verified:
        raise EcardSignInNeeded()
    cards.report_loss(db, actor=holder.actor(ip), card_id=card_id, version=version, channel="ecard")


# --- the dynamic QR code -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class QrCode:
    token: str
    url: str
    expires_at: int  # Unix seconds
    lifetime: int  # seconds

    @property
    def expires(self) -> datetime:
        return datetime.fromtimestamp(self.expires_at, tz=clock.now().tzinfo)


def issue_qr(db: Database, *, holder: Holder) -> QrCode:
    """A fresh signed token for the holder's e-card (refused while the card is suspended)."""
    if not holder.verified:
        raise EcardSignInNeeded()
    with db.uow(write=False) as s:
        facts, _, _ = _facts(s, holder.permit_number)
        lifetime = qr_lifetime_seconds(s)
    if domain.service_state(facts) == domain.SERVICE_SUSPENDED:
        raise EcardSuspended()
    expires = int(clock.now().timestamp()) + lifetime
    token = qr.sign(current_key(), card_ref=holder.card_ref, expires_at=expires)
    return QrCode(token=token, url=f"{get_settings().base_url.rstrip('/')}/verify/{token}", expires_at=expires,
                  lifetime=lifetime)


@dataclass(frozen=True)
class Verification:
    """What the public verification page shows: only what a verifier needs (never passport or SSN)."""

    ok: bool
    reason: str | None
    name: str = ""
    permit_status: str | None = None
    permit_valid_from: date | None = None
    permit_valid_to: date | None = None
    permit_category: str | None = None
    card_state: str | None = None
    expires_at: datetime | None = None

    @property
    def message(self) -> str:
        return qr.REASONS[self.reason] if self.reason else N_("Valid")


def verify_online(db: Database, token: str) -> Verification:
    """Signature, key, expiry, replay and the card's state, against this server's keys and records."""
    now = clock.now()
    verdict = qr.verify(token, public_keys(), now=int(now.timestamp()))
    claims = verdict.claims
    if claims is None or verdict.reason in (qr.UNKNOWN_KEY, qr.WRONG_KEY, qr.TAMPERED):
        return Verification(ok=False, reason=verdict.reason)
    expires = datetime.fromtimestamp(claims.expires_at, tz=now.tzinfo)
    with db.uow(write=False) as s:  # reads only: a code opened again takes no write lock
        seen = repo.seen_nonce(s, claims.nonce) is not None
        if verdict.reason == qr.EXPIRED:
            return Verification(ok=False, reason=qr.REPLAYED if seen else qr.EXPIRED, expires_at=expires)
        account = repo.account_by_ref(s, claims.card_ref)
        if account is None or account.state != domain.ACCOUNT_VERIFIED:
            return Verification(ok=False, reason=qr.UNKNOWN_CARD)
        facts, _, _ = _facts(s, account.permit_number)
        name = _name(account.given_names, account.family_name)
        if domain.service_state(facts) == domain.SERVICE_SUSPENDED:
            return Verification(ok=False, reason=qr.SUSPENDED, name=name, card_state=facts.card_state)
        permit = registry_for(s).get(account.permit_number)
    if not seen:
        _remember_nonce(db, claims, expires, now)
    return Verification(
        ok=True, reason=None, name=name, permit_status=permit.status if permit else None,
        permit_valid_from=permit.valid_from if permit else None, permit_valid_to=permit.valid_to if permit else None,
        permit_category=permit.category if permit else None, card_state=facts.card_state, expires_at=expires)


def _remember_nonce(db: Database, claims: qr.Claims, expires: datetime, now: datetime) -> None:
    """The first time a code is verified (so that showing it again after expiry reads as a replay)."""
    with db.uow() as s:
        try:
            with s.begin_nested():  # two verifiers opening the same code at once: one row
                s.add(EcardQrSeen(nonce=claims.nonce[:32], card_ref=claims.card_ref[:32], expires_at=expires,
                                  first_seen_at=now))
        except IntegrityError:
            pass
        s.commit()


def _name(given: str, family: str) -> str:
    return f"{given} {family}".strip()
