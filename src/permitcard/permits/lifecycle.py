"""The permit's life after approval that nobody files: expiry and the 30-day reminder (SPEC §2, §6).

A permit not extended expires after the end of its last day (Asia/Shanghai): ``expire_due`` moves every
such permit from ``valid`` to ``expired``, writes a new permit version, the audit row and the
``PermitExpired`` event (the card side follows). Holder and employer are told 30 days before the last
day, once per end date (``Permit.expiry_reminded_for`` records it; an extension re-arms it).

Both are safe to run twice and in two workers at once: each change is a guarded
``UPDATE … WHERE id = :id AND version = :seen AND <still due>``; of two runners exactly one writes, the
other changes nothing (no second version, event, audit row or message). ``permitcard worker`` runs
them (``@periodic``); ``permitcard permits expire`` runs them by hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, or_, select, update
from sqlalchemy.orm import Session

from permitcard.auth import views as accounts
from permitcard.config import get_settings
from permitcard.db import Database
from permitcard.notifications.service import notify
from permitcard.permits import repository as repo
from permitcard.permits.domain import PermitStatus
from permitcard.permits.events import PermitExpired
from permitcard.permits.models import Permit, PermitPerson, PermitVersion
from permitcard.shared import audit, clock, i18n, outbox
from permitcard.shared.audit import Actor

REMINDER_DAYS = 30  # SPEC §6: "permit expires in 30 days"
BATCH = 200  # permits per unit of work


@dataclass(frozen=True)
class LifecycleRun:
    expired: int
    reminded: int


def _actor() -> Actor:
    return Actor.system("permits.lifecycle")


def _due_for_expiry(s: Session, today: date, after_id: int) -> list[int]:
    return list(s.execute(select(Permit.id).where(
        Permit.status == PermitStatus.VALID.value, Permit.valid_to_date < today, Permit.id > after_id)
        .order_by(Permit.id).limit(BATCH)).scalars())


def _snapshot(permit: Permit, person: PermitPerson) -> dict[str, Any]:
    return {"permit_number": person.permit_number, "notice_number": permit.notice_number,
            "family_name": person.family_name, "given_names": person.given_names,
            "nationality": person.nationality, "passport_hash": person.passport_hash,
            "employer_id": permit.employer_id, "category": permit.category, "position": permit.position,
            "valid_from": permit.valid_from_date.isoformat(), "valid_to": permit.valid_to_date.isoformat(),
            "status": permit.status, "origin": permit.origin}


def expire_one(s: Session, permit: Permit, *, today: date, actor: Actor | None = None) -> bool:
    """Expire ``permit`` if it is still valid and past its last day; False if someone else did (or it is not due)."""
    seen = permit.version
    if permit.status != PermitStatus.VALID or permit.valid_to_date >= today:
        return False
    result = cast(CursorResult[Any], s.execute(
        update(Permit).where(Permit.id == permit.id, Permit.version == seen,
                             Permit.status == PermitStatus.VALID.value, Permit.valid_to_date < today)
        .values(status=PermitStatus.EXPIRED.value, version=seen + 1).execution_options(synchronize_session=False)))
    if result.rowcount != 1:
        return False
    s.refresh(permit)
    person = repo.person(s, permit.person_id)
    assert person is not None
    now = clock.now()
    s.add(PermitVersion(permit_id=permit.id, version=seen + 1, application_id=None,
                        snapshot=_snapshot(permit, person), reason="expired", created_at=now))
    actor = actor or _actor()
    audit.record(s, actor=actor, action="permit.expired", target_type="permit", target_id=permit.id,
                 before={"status": PermitStatus.VALID.value, "version": seen},
                 after={"status": PermitStatus.EXPIRED.value, "version": seen + 1,
                        "valid_to": permit.valid_to_date.isoformat()},
                 note=f"last day {permit.valid_to_date.isoformat()} (Asia/Shanghai) passed")
    outbox.publish(s, PermitExpired(permit_number=person.permit_number, permit_id=permit.id, version=seen + 1,
                                    employer_id=permit.employer_id))
    return True


def expire_due(db: Database, *, actor: Actor | None = None) -> int:
    """Expire every valid permit whose last day (Asia/Shanghai) has ended. Returns how many changed."""
    today = clock.today()
    changed, after = 0, 0
    while True:
        with db.uow() as s:
            ids = _due_for_expiry(s, today, after)
            if not ids:
                return changed
            for permit in s.execute(select(Permit).where(Permit.id.in_(ids)).order_by(Permit.id)).scalars():
                changed += expire_one(s, permit, today=today, actor=actor)
            s.commit()
        after = ids[-1]


# ---------------------------------------------------------------- the 30-day reminder


def _due_for_reminder(s: Session, today: date, after_id: int) -> list[int]:
    return list(s.execute(select(Permit.id).where(
        Permit.status == PermitStatus.VALID.value, Permit.valid_to_date >= today,
        Permit.valid_to_date <= today + timedelta(days=REMINDER_DAYS),
        or_(Permit.expiry_reminded_for.is_(None), Permit.expiry_reminded_for != Permit.valid_to_date),
        Permit.id > after_id).order_by(Permit.id).limit(BATCH)).scalars())


def remind_one(s: Session, permit: Permit, *, today: date) -> bool:
    """Claim the reminder for this end date (guarded, once) and queue the messages. False: not due or
    already sent (by an earlier run or another worker)."""
    end = permit.valid_to_date
    if permit.status != PermitStatus.VALID or not today <= end <= today + timedelta(days=REMINDER_DAYS):
        return False
    result = cast(CursorResult[Any], s.execute(
        update(Permit).where(Permit.id == permit.id, Permit.version == permit.version,
                             Permit.valid_to_date == end,
                             or_(Permit.expiry_reminded_for.is_(None), Permit.expiry_reminded_for != end))
        .values(expiry_reminded_for=end).execution_options(synchronize_session=False)))
    if result.rowcount != 1:
        return False
    person = repo.person(s, permit.person_id)
    assert person is not None
    name = f"{person.given_names} {person.family_name}".strip()
    base = get_settings().base_url.rstrip("/")
    recipients: list[tuple[accounts.Account, str]] = []
    holder = accounts.account_of_permit(s, person.permit_number)
    if holder is not None and holder.is_active:
        recipients.append((holder, f"{base}/my"))
    recipients += [(a, f"{base}/employer/permits") for a in accounts.employer_accounts(s, permit.employer_id)]
    for account, url in recipients:
        with i18n.use_locale(account.locale):
            last_day = i18n.format_date(end)
        notify(s, to=account.email, template="permit_expiry_reminder", locale=account.locale,
               dedupe_key=f"permit:{permit.id}:expiry-reminder:{end.isoformat()}:{account.id}",
               params={"name": name, "permit_number": person.permit_number, "last_day": last_day,
                       "days": (end - today).days, "url": url})
    audit.record(s, actor=_actor(), action="permit.expiry_reminder_sent", target_type="permit", target_id=permit.id,
                 after={"valid_to": end.isoformat(), "recipients": len(recipients)})
    return True


def send_reminders(db: Database) -> int:
    """Tell holder and employer of every permit ending within 30 days, once per end date. Returns permits reminded."""
    today = clock.today()
    reminded, after = 0, 0
    while True:
        with db.uow() as s:
            ids = _due_for_reminder(s, today, after)
            if not ids:
                return reminded
            for permit in s.execute(select(Permit).where(Permit.id.in_(ids)).order_by(Permit.id)).scalars():
                reminded += remind_one(s, permit, today=today)
            s.commit()
        after = ids[-1]


def run(db: Database) -> LifecycleRun:
    """The daily job: expire what ended, then remind what ends within 30 days."""
    return LifecycleRun(expired=expire_due(db), reminded=send_reminders(db))
