"""What the calendar rules need from the database: admin-entered years and days."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import ClassVar

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from permitcard.db import Database
from permitcard.shared import audit, clock, outbox
from permitcard.shared.audit import Actor
from permitcard.shared.calendar import CalendarData, DayOverride
from permitcard.shared.events import Event
from permitcard.shared.models import CalendarDay, CalendarYear


@dataclass(frozen=True)
class CalendarYearEntered(Event):
    """An administrator entered (or corrected) a year's official calendar: dates waiting for it can be set."""

    name: ClassVar[str] = "calendar.year_entered"
    year: int = 0


def missing_next_year(data: CalendarData, today: date) -> int | None:
    """From 1 October, the coming year while its official calendar is still unknown (else None)."""
    if today.month >= 10 and not data.knows(today.year + 1):
        return today.year + 1
    return None


def calendar_data(s: Session) -> CalendarData:
    years = frozenset(s.execute(select(CalendarYear.year)).scalars())
    overrides = {
        d.day_date: DayOverride(d.day_date, d.is_workday, d.name) for d in s.execute(select(CalendarDay)).scalars()
    }
    return CalendarData(admin_years=years, overrides=overrides)


def load_calendar(db: Database) -> CalendarData:
    with db.uow(write=False) as s:
        return calendar_data(s)


def enter_year(db: Database, *, year: int, holidays: list[tuple[date, str]], workdays: list[tuple[date, str]],
               actor: Actor) -> None:
    """Record a year's official calendar. Re-entering a year replaces its days."""
    with db.uow() as s:
        existing = s.get(CalendarYear, year)
        if existing is None:
            s.add(CalendarYear(year=year, entered_at=clock.now(), entered_by=actor.label))
        s.execute(delete(CalendarDay).where(CalendarDay.day_date >= date(year, 1, 1),
                                            CalendarDay.day_date <= date(year, 12, 31)))
        for day, name in holidays:
            s.add(CalendarDay(day_date=day, is_workday=False, name=name))
        for day, name in workdays:
            s.add(CalendarDay(day_date=day, is_workday=True, name=name))
        audit.record(s, actor=actor, action="calendar.year_entered", target_type="calendar_year", target_id=year,
                     after={"holidays": [d.isoformat() for d, _ in holidays],
                            "workdays": [d.isoformat() for d, _ in workdays]})
        outbox.publish(s, CalendarYearEntered(year=year))
        s.commit()
