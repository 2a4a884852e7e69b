"""Windows and late flags of permit changes, on the official 2026 calendar."""

from __future__ import annotations

from datetime import date

import pytest

from permitcard.permits import changes_domain as rules
from permitcard.shared.errors import ValidationFailed

LIMITS = {"A": 5, "B": 2, "C": 1}


def test_extension_window_first_and_last_day() -> None:
    end = date(2026, 12, 31)
    w = rules.extension_window(end)
    assert (w.first, w.last) == (date(2026, 10, 2), date(2026, 12, 1))
    rules.check_extension_window(end, date(2026, 10, 2))  # first allowed day
    rules.check_extension_window(end, date(2026, 12, 1))  # last allowed day
    for outside in (date(2026, 10, 1), date(2026, 12, 2)):
        with pytest.raises(ValidationFailed) as exc:
            rules.check_extension_window(end, outside)
        error = exc.value.errors[0]
        assert error.field == "permit_number"
        assert error.params == {"first": date(2026, 10, 2), "last": date(2026, 12, 1), "end": end}


def test_ten_working_days_across_national_day_and_its_adjusted_saturday() -> None:
    # Changed on Monday 2026-09-28: 29, 30 Sep; 1-7 Oct is National Day (not counted); 8, 9 Oct;
    # Saturday 10 Oct is a 调休 working day (counted); 12-16 Oct. The 10th working day is 16 Oct.
    changed = date(2026, 9, 28)
    assert rules.lateness(changed, date(2026, 10, 16)) == rules.Lateness(date(2026, 10, 16), 0)  # last day
    assert rules.lateness(changed, date(2026, 9, 28)).days_late == 0  # the same day
    assert rules.lateness(changed, date(2026, 10, 17)).days_late == 1
    assert rules.lateness(changed, date(2026, 10, 19)).days_late == 3


def test_adjusted_sunday_before_mid_autumn_counts() -> None:
    # Sunday 2026-09-20 is a 调休 working day; 25-27 Sep is Mid-Autumn.
    assert rules.lateness(date(2026, 9, 18), date(2026, 9, 30)).last_day == date(2026, 10, 9)


def test_change_date_rules() -> None:
    today = date(2026, 10, 16)
    assert rules.check_change_date("change_date", date(2026, 10, 1), today, earliest=date(2026, 1, 1))
    for bad in (None, date(2026, 10, 17), date(2025, 12, 31)):
        with pytest.raises(ValidationFailed) as exc:
            rules.check_change_date("change_date", bad, today, earliest=date(2026, 1, 1))
        assert exc.value.errors[0].field == "change_date"


def _end_errors(**kw: object) -> list[tuple[str, str]]:
    args: dict[str, object] = {"category": "B", "valid_from": date(2026, 1, 1), "valid_to": date(2026, 12, 31),
                               "new_end": date(2027, 6, 30), "contract_end": date(2028, 1, 1),
                               "passport_expiry": date(2030, 1, 1), "limits": LIMITS} | kw
    try:
        rules.check_new_end(**args)  # type: ignore[arg-type]
    except ValidationFailed as exc:
        return [(e.field, e.message) for e in exc.errors]
    return []


def test_new_end_refused_each_with_its_own_reason() -> None:
    assert _end_errors() == []
    assert _end_errors(new_end=date(2027, 12, 31)) == []  # the last day of two years
    (field, message), = _end_errors(new_end=date(2028, 1, 1))
    assert field == "requested_end_date" and "at most" in message
    (field, message), = _end_errors(contract_end=date(2027, 3, 1))
    assert field == "contract_end_date" and "contract ends" in message
    (field, message), = _end_errors(passport_expiry=date(2027, 3, 1))
    assert field == "passport_expiry_date" and "passport" in message
    (field, _m), = _end_errors(new_end=date(2026, 12, 31))
    assert field == "requested_end_date"


def test_changed_fields_and_diff() -> None:
    current = {"family_name": "SMITH", "given_names": "ANN", "position": "Engineer", "category": "B",
               "passport_number": "P1234567", "passport_expiry_date": date(2030, 1, 1)}
    assert rules.changed_fields(current, {"family_name": "", "position": "Engineer"}) == {}
    assert rules.changed_fields(current, {"family_name": "JONES", "position": "Manager"}) == {
        "family_name": ("SMITH", "JONES"), "position": ("Engineer", "Manager")}
    before = {"family_name": "SMITH", "passport_hash": "a", "valid_to": "2026-12-31"}
    after = {"family_name": "SMITH", "passport_hash": "b", "valid_to": "2027-12-31", "origin": "electronic"}
    assert rules.diff(before, after) == [("passport", "a", "b"), ("valid_to", "2026-12-31", "2027-12-31")]
    assert rules.diff(None, after) == []
