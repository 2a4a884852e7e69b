"""What each role has to do now, counted through the other contexts' public reads (their views
and services): nothing here owns data."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from permitcard.auth.service import employers, invitations, staff_accounts
from permitcard.auth.service.employers import EmployerView
from permitcard.cards import views as cards
from permitcard.cards.views import QueueFilter
from permitcard.db import Database
from permitcard.insurance import views as insurance
from permitcard.permits import views as permits
from permitcard.photos import service as photos
from permitcard.shared import clock
from permitcard.shared.audit import Actor
from permitcard.shared.calendar_store import load_calendar, missing_next_year
from permitcard.shared.errors import N_


@dataclass(frozen=True)
class Todo:
    """One line of a home page: how many, what, and where to do it."""

    count: int
    label: str  # a message id, translated on the page
    href: str


@dataclass(frozen=True)
class EmployerHome:
    employer: EmployerView
    todos: list[Todo] = field(default_factory=list)
    activity: list[tuple[datetime, str, str, str]] = field(default_factory=list)


def employer_home(db: Database, *, actor: Actor) -> EmployerHome:
    employer = employers.my_employer(db, actor=actor)
    if not employer.approved:
        return EmployerHome(employer)
    apps = permits.list_applications(db, actor=actor, per_page=1).counts
    regs = insurance.list_registrations(db, actor=actor, per_page=1).counts
    todos = [
        Todo(apps.get("returned", 0), N_("Work permit applications returned for correction"),
             "/employer/permits?state=returned"),
        Todo(apps.get("submitted", 0) + apps.get("resubmitted", 0),
             N_("Work permit applications waiting for a decision"),
             "/employer/permits?state=submitted"),
        Todo(regs.get("refused", 0), N_("Insurance registrations refused by the registry"),
             "/employer/insurance?state=refused"),
        Todo(len(invitations.open_colleague_invitations(db, actor=actor)), N_("Colleagues invited, not yet joined"),
             "/employer/colleagues"),
    ]
    return EmployerHome(employer, todos, employers.team_activity(db, actor=actor))


def officer_home(db: Database, *, actor: Actor) -> list[Todo]:
    apps = permits.list_applications(db, actor=actor, per_page=1).counts
    _rows, registrations = employers.review_queue(db, actor=actor)
    return [
        Todo(apps.get("submitted", 0) + apps.get("resubmitted", 0),
             N_("Work permit applications waiting for a decision"),
             "/officer/permits?state=submitted"),
        Todo(registrations.get("submitted", 0), N_("Employer registrations waiting for review"),
             "/officer/employers?state=submitted"),
        Todo(registrations.get("correction_requested", 0), N_("Employer registrations returned for correction"),
             "/officer/employers?state=correction_requested"),
    ]


def agency_home(db: Database, *, actor: Actor) -> list[Todo]:
    counts = cards.queue(db, actor=actor, f=QueueFilter(), per_page=1).counts
    regs = insurance.list_registrations(db, actor=actor, per_page=1).counts
    return [
        Todo(counts.get("submitted", 0), N_("Card applications waiting for a decision"),
             "/agency/cards?state=submitted"),
        Todo(counts.get("resubmitted", 0), N_("Corrected card applications waiting for a decision"),
             "/agency/cards?state=resubmitted"),
        Todo(regs.get("refused", 0), N_("Insurance registrations refused by the registry"),
             "/agency/insurance?state=refused"),
        Todo(cards.waiting_for_calendar_count(db),
             N_("Approved card applications waiting for the official calendar to set their promised date"),
             "/agency/cards#sla"),
    ]


@dataclass(frozen=True)
class CalendarWarning:
    """Next year's official calendar is missing (shown to administrators from 1 October)."""

    year: int
    waiting: int  # approved applications already waiting for it


def calendar_warning(db: Database) -> CalendarWarning | None:
    year = missing_next_year(load_calendar(db), clock.today())
    return CalendarWarning(year, cards.waiting_for_calendar_count(db)) if year else None


def admin_home(db: Database, *, actor: Actor) -> list[Todo]:
    accounts = staff_accounts(db, actor=actor)
    today = clock.today()
    soon = today + timedelta(days=30)
    all_studios = photos.list_studios(db)
    return [
        Todo(len(invitations.open_staff_invitations(db, actor=actor)), N_("Staff invitations not yet accepted"),
             "/admin/accounts"),
        Todo(sum(1 for a in accounts if a.is_active and not a.has_second_factor),
             N_("Staff accounts without a second factor yet"), "/admin/accounts"),
        Todo(sum(1 for s in all_studios if not s.accredited_on(today)), N_("Photo studios not accredited today"),
             "/admin/studios"),
        Todo(sum(1 for s in all_studios if s.accredited_on(today) and s.accredited_to_date <= soon),
             N_("Photo studio accreditations ending within 30 days"), "/admin/studios"),
        Todo(1 if missing_next_year(load_calendar(db), today) else 0,
             N_("Official calendar of next year to enter when announced"), "/admin/calendar"),
    ]
