"""Reads of a permit's history: every version, what it changed field by field, who filed, who decided,
when and why. Nothing here writes; the versions themselves are append-only.

Visible to the permit's employer (its own permits only), officers, agency clerks and auditors, and to
the worker (their own); anyone else gets NotFound.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from permitcard.auth import views as accounts
from permitcard.auth.views import Role
from permitcard.db import Database
from permitcard.permits import changes_domain as rules
from permitcard.permits import repository as repo
from permitcard.permits.models import Permit, PermitApplication, PermitDecision, PermitVersion
from permitcard.permits.service import NOTICE_ROLES
from permitcard.shared import i18n
from permitcard.shared.audit import Actor
from permitcard.shared.errors import NotFound


@dataclass(frozen=True)
class FieldChange:
    field: str
    before: str
    after: str


@dataclass(frozen=True)
class VersionView:
    permit_id: int
    version: int
    kind: str  # issued | extension | modification | cancellation | electronic | (other reasons: expired ...)
    at: datetime
    changes: list[FieldChange]
    application_reference: str | None
    filed_by: str
    filed_at: datetime | None
    decided_by: str
    decided_at: datetime | None
    reason: str  # the officer's note
    change_date: date | None
    days_late: int


@dataclass(frozen=True)
class History:
    permit_number: str
    family_name: str
    given_names: str
    versions: list[VersionView]  # newest first


def _visible_permits(s: Session, actor: Actor, person_id: int, permit_number: str) -> list[Permit]:
    permits = list(s.execute(select(Permit).where(Permit.person_id == person_id)
                             .order_by(Permit.issued_at, Permit.id)).scalars())
    if actor.role in NOTICE_ROLES:
        return permits
    if actor.role == Role.EMPLOYER and actor.employer_id is not None:
        return [p for p in permits if p.employer_id == actor.employer_id]
    if actor.role == Role.APPLICANT and actor.permit_number == permit_number:
        return permits
    return []


def _who(s: Session, actor: Actor, user_id: int | None, role_label: str, cache: dict[int, str]) -> str:
    """Staff and employers see the account; the worker sees the role only."""
    if user_id is None or actor.role == Role.APPLICANT:
        return role_label
    if user_id not in cache:
        account = accounts.account(s, user_id)
        cache[user_id] = account.email if account else role_label
    return cache[user_id]


def _shown(s: Session, key: str, value: Any, snap: dict[str, Any], names: dict[int, str]) -> str:
    if key == "passport":
        return str(snap.get("passport_masked") or "•••")
    if key == "employer_id" and isinstance(value, int):
        if value not in names:
            e = accounts.employer(s, value)
            names[value] = (e.name_zh if i18n.get_locale() == "zh_Hans" else e.name_en) if e else str(value)
        return names[value]
    return "" if value is None else str(value)


def history(db: Database, *, actor: Actor, permit_number: str) -> History:
    number = (permit_number or "").strip().upper()[:64]
    with db.uow(write=False) as s:
        person = repo.person_by_number(s, number)
        permits = _visible_permits(s, actor, person.id, person.permit_number) if person else []
        if person is None or not permits:
            raise NotFound()
        out: list[VersionView] = []
        users: dict[int, str] = {}
        names: dict[int, str] = {}
        for permit in permits:
            previous: dict[str, Any] | None = None
            rows = s.execute(select(PermitVersion).where(PermitVersion.permit_id == permit.id)
                             .order_by(PermitVersion.version)).scalars()
            for v in rows:
                a = s.get(PermitApplication, v.application_id) if v.application_id else None
                decision = None
                if a is not None:
                    decision = s.execute(select(PermitDecision).where(
                        PermitDecision.application_id == a.id, PermitDecision.action == "approve")
                        .order_by(PermitDecision.id.desc()).limit(1)).scalar_one_or_none()
                changes = [FieldChange(key, _shown(s, key, old, previous or {}, names), _shown(s, key, new, v.snapshot,
                                                                                                names))
                           for key, old, new in rules.diff(previous, v.snapshot)]
                out.append(VersionView(
                    permit_id=permit.id, version=v.version, kind=v.reason, at=v.created_at, changes=changes,
                    application_reference=a.reference if a else None,
                    # No application: the system made the version (the expiry, the legacy import).
                    filed_by=_who(s, actor, a.created_by_user_id, "employer", users) if a else "system",
                    filed_at=a.submitted_at if a else None,
                    decided_by=_who(s, actor, decision.actor_user_id if decision else None,
                                    "permit_officer" if decision else "system", users),
                    decided_at=decision.at if decision else None, reason=decision.reason if decision else "",
                    change_date=a.change_date if a else None, days_late=a.days_late if a else 0))
                previous = v.snapshot
        out.sort(key=lambda v: (v.at, v.permit_id, v.version), reverse=True)
        return History(person.permit_number, person.family_name, person.given_names, out)
