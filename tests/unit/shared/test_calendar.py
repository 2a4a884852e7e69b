from datetime import date

import pytest

from permitcard.shared.calendar import CalendarData, DayOverride, add_working_days, working_days_between
from permitcard.shared.errors import CalendarUnknown


def test_twelve_working_days_across_the_2026_spring_festival():
    # Approved Thu 5 Feb 2026. Holiday 15–23 Feb; Sat 14 Feb and Sat 28 Feb are adjusted working days.
    due = add_working_days(date(2026, 2, 5), 12)
    assert due.due == date(2026, 2, 28)
    kinds = {d.day: d.kind for d in due.crossed}
    assert kinds[date(2026, 2, 14)] == "adjusted_workday"
    assert kinds[date(2026, 2, 28)] == "adjusted_workday"
    assert all(kinds[date(2026, 2, d)] == "holiday" for d in range(15, 24))
    assert {d.name for d in due.crossed if d.kind == "holiday"} == {"Spring Festival"}


def test_the_approval_day_itself_is_not_counted():
    # Mon 30 Nov 2026 + 1 working day = Tue 1 Dec.
    assert add_working_days(date(2026, 11, 30), 1).due == date(2026, 12, 1)
    # Fri 27 Nov 2026 + 12 = Tue 15 Dec (two weekends crossed).
    assert add_working_days(date(2026, 11, 27), 12).due == date(2026, 12, 15)


def test_national_day_golden_week_2026():
    # 1–7 Oct 2026 holiday; Sat 10 Oct is an adjusted working day (8, 9, 10 Oct are worked).
    due = add_working_days(date(2026, 9, 30), 3)
    assert due.due == date(2026, 10, 10)
    assert due.crossed[-1].kind == "adjusted_workday"
    assert add_working_days(date(2026, 10, 9), 1).due == date(2026, 10, 10)


def test_a_year_nobody_published_is_refused_not_guessed():
    with pytest.raises(CalendarUnknown) as err:
        add_working_days(date(2026, 12, 20), 12)
    assert err.value.params == {"year": 2027}


def test_an_admin_entered_year_is_used_with_its_holidays_and_adjusted_days():
    data = CalendarData(
        admin_years=frozenset({2027}),
        overrides={
            date(2027, 1, 1): DayOverride(date(2027, 1, 1), False, "New Year's Day"),
            date(2027, 1, 2): DayOverride(date(2027, 1, 2), True, "New Year's Day"),
        },
    )
    # Thu 31 Dec 2026 + 2: Fri 1 Jan is a holiday, Sat 2 Jan an adjusted working day, then Mon 4 Jan.
    due = add_working_days(date(2026, 12, 31), 2, data)
    assert due.due == date(2027, 1, 4)
    assert [d.kind for d in due.crossed if d.kind != "weekend"] == ["holiday", "adjusted_workday"]


def test_working_days_between_counts_after_start_up_to_end():
    assert working_days_between(date(2026, 11, 27), date(2026, 12, 15)) == 12
    assert working_days_between(date(2026, 12, 15), date(2026, 12, 1)) == 0
