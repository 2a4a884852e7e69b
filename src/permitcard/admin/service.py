"""Oversight: the audit log for auditors, the working-day calendar for administrators."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, or_, select

from permitcard.auth import service as auth
from permitcard.auth.views import has_permission
from permitcard.banks import service as banks
from permitcard.db import Database
from permitcard.notifications import service as notifications
from permitcard.photos import service as photos
from permitcard.shared import audit, audit_seal, clock, crypto
from permitcard.shared.audit import Actor
from permitcard.shared.calendar import CalendarData
from permitcard.shared.calendar_store import calendar_data, enter_year, missing_next_year
from permitcard.shared.errors import N_, DomainError, FieldError, NotFound, ValidationFailed
from permitcard.shared.models import AuditLog, AuditSeal

PAGE_SIZE = 50


@dataclass(frozen=True)
class AuditPage:
    rows: list[AuditLog]
    total: int
    page: int
    pages: int


def audit_rows(db: Database, *, q: str = "", action: str = "", page: int = 1, size: int = PAGE_SIZE) -> AuditPage:
    page = max(1, page)
    query = select(AuditLog)
    if action:
        query = query.where(AuditLog.action.startswith(action))
    if q:
        like = f"%{q}%"
        query = query.where(or_(AuditLog.actor_label.ilike(like), AuditLog.target_id == q, AuditLog.ip == q,
                                AuditLog.action.ilike(like), AuditLog.target_type.ilike(like)))
    with db.uow(write=False) as s:
        total = s.execute(select(func.count()).select_from(query.subquery())).scalar_one()
        rows = list(s.execute(query.order_by(AuditLog.id.desc()).offset((page - 1) * size).limit(size)).scalars())
    return AuditPage(rows=rows, total=total, page=page, pages=max(1, -(-total // size)))


def audit_actions(db: Database) -> list[str]:
    with db.uow(write=False) as s:
        return sorted({a.split(".")[0] for a in s.execute(select(AuditLog.action).distinct()).scalars()})


def verify_chain(db: Database) -> audit_seal.ChainReport:
    with db.uow(write=False) as s:
        return audit_seal.verify(s)


# The page of the record an entry touched, and the permission that page needs.
RECORD_PAGES: dict[str, tuple[str, str]] = {
    "permit_application": ("/officer/permits/{id}", "permit.read_all"),
    "card_application": ("/agency/cards/{id}", "card.read_all"),
    "insurance_registration": ("/agency/insurance/{id}", "insurance.read_all"),
    "calendar_year": ("/admin/calendar", "calendar.manage"),
}


def record_link(target_type: str, target_id: str, role: str) -> str | None:
    page = RECORD_PAGES.get(target_type)
    if page is None or not target_id.isdigit() or not has_permission(role, page[1]):
        return None
    return page[0].format(id=target_id)


@dataclass(frozen=True)
class Change:
    field: str
    before: Any
    after: Any
    changed: bool


@dataclass(frozen=True)
class AuditEntry:
    row: AuditLog
    mac_ok: bool
    seal: AuditSeal | None
    changes: list[Change]
    link: str | None


def _changes(before: dict[str, Any] | None, after: dict[str, Any] | None) -> list[Change]:
    b, a = before or {}, after or {}
    keys = list(dict.fromkeys([*b, *a]))
    return [Change(k, b.get(k), a.get(k), b.get(k) != a.get(k)) for k in keys]


def audit_entry(db: Database, *, entry_id: int, role: str) -> AuditEntry:
    """One entry for the auditor: before/after side by side, whether its MAC holds, its seal."""
    with db.uow(write=False) as s:
        row = s.get(AuditLog, entry_id)
        if row is None:
            raise NotFound()
        seal = s.execute(select(AuditSeal).where(AuditSeal.first_id <= entry_id, AuditSeal.last_id >= entry_id)
                         ).scalar_one_or_none()
    key_id, key = crypto.audit_mac_key()
    mac_ok = row.key_id == key_id and audit.row_mac(row, key) == row.mac
    return AuditEntry(row=row, mac_ok=mac_ok, seal=seal, changes=_changes(row.before, row.after),
                      link=record_link(row.target_type, row.target_id, role))


def calendar(db: Database) -> CalendarData:
    with db.uow(write=False) as s:
        return calendar_data(s)


def warn_missing_calendar(db: Database) -> int:
    """From 1 October, e-mail every administrator once (per year) while next year's official calendar is
    missing: approvals into that year get their promised date only once it is entered. Returns messages queued."""
    with db.uow() as s:
        year = missing_next_year(calendar_data(s), clock.today())
        if year is None:
            return 0
        queued = 0
        for user_id, email, locale in auth.active_staff_contacts(s, role="admin"):
            key = f"calendar_missing:{year}:{user_id}"
            if notifications.was_sent(s, dedupe_key=key):
                continue  # once per administrator and year (delivery is idempotent on the same key too)
            notifications.notify(s, to=email, template="calendar_missing", params={"year": str(year)},
                                 locale=locale, dedupe_key=key)
            queued += 1
        s.commit()
        return queued


def parse_days(text: str, field: str, year: int) -> tuple[list[tuple[date, str]], list[FieldError]]:
    """Lines of ``YYYY-MM-DD name``; every date must be in ``year``."""
    days: list[tuple[date, str]] = []
    errors: list[FieldError] = []
    for n, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        raw, _, name = line.partition(" ")
        try:
            day = date.fromisoformat(raw)
        except ValueError:
            errors.append(FieldError(field, N_("Line %(line)s is not a date as YYYY-MM-DD"), {"line": n}))
            continue
        if day.year != year:
            errors.append(FieldError(field, N_("Line %(line)s is not in %(year)s"), {"line": n, "year": year}))
            continue
        days.append((day, name.strip()))
    return days, errors


def enter_calendar_year(db: Database, *, actor: Actor, year: str, holidays: str, workdays: str) -> int:
    try:
        y = int(year)
        if not 2000 <= y <= 2100:
            raise ValueError
    except ValueError:
        raise ValidationFailed.one("year", N_("Enter a year such as 2027")) from None
    if y in CalendarData().package_years:
        raise ValidationFailed.one("year", N_("The official calendar for %(year)s is already built in"), year=y)
    h, errors = parse_days(holidays, "holidays", y)
    w, more = parse_days(workdays, "workdays", y)
    errors += more
    if not h:
        errors.append(FieldError("holidays", N_("Enter the statutory holidays of the year, one per line")))
    if errors:
        raise ValidationFailed(errors)
    enter_year(db, year=y, holidays=h, workdays=w, actor=actor)
    return y


def invite_staff(db: Database, *, actor: Actor, email: str, display_name: str, role: str,
                 branch_id: int | None, studio_id: int | None) -> auth.InvitationView:
    """The branch or studio is checked here, where banks and photos may be read; auth keeps the rest."""
    branch = studio = None
    with db.uow(write=False) as s:
        if branch_id:
            try:
                b = banks.get_branch(s, branch_id)
                branch = auth.Binding(b.id, f"{b.bank_name_en}, {b.name_en}", f"{b.bank_name_zh} {b.name_zh}")
            except DomainError:
                branch = None
        found = photos.studio_by_id(s, studio_id) if studio_id else None
        studio = auth.Binding(found.id, found.name, found.name) if found else None
    return auth.invitations.invite_staff(db, actor=actor, email=email, display_name=display_name, role=role,
                                    branch=branch, studio=studio)
