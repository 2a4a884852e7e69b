"""Working days on the official Chinese calendar.

The rules are pure: ``CalendarData`` holds what is known (the ``chinesecalendar`` package's
years, plus years an administrator entered), and ``add_working_days`` walks it. A date in a year
nobody has published is never guessed: it raises ``CalendarUnknown``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import chinese_calendar as cc

from permitcard.shared.errors import CalendarUnknown

_PACKAGE_YEARS = frozenset(d.year for d in cc.holidays) & frozenset(d.year for d in cc.workdays)


@dataclass(frozen=True)
class DayOverride:
    day: date
    is_workday: bool
    name: str = ""


@dataclass(frozen=True)
class CalendarData:
    """What the system knows: package years, and admin-entered years with their special days."""

    package_years: frozenset[int] = _PACKAGE_YEARS
    admin_years: frozenset[int] = frozenset()
    overrides: dict[date, DayOverride] = field(default_factory=dict)

    def knows(self, year: int) -> bool:
        return year in self.package_years or year in self.admin_years


@dataclass(frozen=True)
class CrossedDay:
    day: date
    kind: str  # "holiday" | "adjusted_workday" | "weekend"
    name: str


@dataclass(frozen=True)
class DueDate:
    start: date
    working_days: int
    due: date
    crossed: tuple[CrossedDay, ...]


def day_kind(day: date, data: CalendarData) -> tuple[bool, CrossedDay | None]:
    """Is ``day`` a working day, and if it is special, why."""
    if not data.knows(day.year):
        raise CalendarUnknown(year=day.year)
    if day in data.overrides:
        o = data.overrides[day]
        kind = "adjusted_workday" if o.is_workday and day.weekday() >= 5 else "holiday"
        if o.is_workday and day.weekday() < 5:
            return True, None
        return o.is_workday, CrossedDay(day, kind if o.is_workday else "holiday", o.name)
    if day.year in data.admin_years and day.year not in data.package_years:
        weekend = day.weekday() >= 5
        return (not weekend), (CrossedDay(day, "weekend", "") if weekend else None)
    is_holiday, holiday = cc.get_holiday_detail(day)
    weekend = day.weekday() >= 5
    if is_holiday:
        if holiday is None:
            return False, CrossedDay(day, "weekend", "")
        return False, CrossedDay(day, "holiday", str(holiday))
    if weekend:  # a weekend that is a working day: 调休
        name = str(holiday) if holiday is not None else ""
        return True, CrossedDay(day, "adjusted_workday", name)
    return True, None


def add_working_days(start: date, days: int, data: CalendarData | None = None) -> DueDate:
    """The ``days``-th working day after ``start`` (``start`` itself is not counted)."""
    if days < 0:
        raise ValueError("days must be >= 0")
    data = data or CalendarData()
    crossed: list[CrossedDay] = []
    current, counted = start, 0
    while counted < days:
        current += timedelta(days=1)
        working, why = day_kind(current, data)
        if why is not None:
            crossed.append(why)
        if working:
            counted += 1
    return DueDate(start=start, working_days=days, due=current, crossed=tuple(crossed))


def working_days_between(start: date, end: date, data: CalendarData | None = None) -> int:
    """Working days after ``start`` up to and including ``end`` (0 when end <= start)."""
    data = data or CalendarData()
    count, current = 0, start
    while current < end:
        current += timedelta(days=1)
        if day_kind(current, data)[0]:
            count += 1
    return count
