"""Rules as rows: the value in force on a day, typed; what an administrator may type."""

from datetime import date

import pytest

from permitcard.policy import domain as d
from permitcard.policy import service
from permitcard.shared.errors import ValidationFailed

START = date(2024, 12, 1)


def dongguan_rows() -> list[d.RuleRow]:
    spec = service.load_city_file(service.DEFAULT_CITY_FILE)
    return [d.RuleRow(key, value, spec.effective_from) for key, value in spec.rules.items()]


def test_dongguan_file_gives_the_rules_of_the_notice():
    p = d.resolve(dongguan_rows(), city="4419", day=date(2025, 6, 1))
    assert p.permit_limits == {"A": 5, "B": 2, "C": 1}
    assert p.card_ready_working_days == 12
    assert (p.fee_fen("first"), p.fee_fen("upgrade"), p.fee_fen("replacement")) == (0, 0, 2000)
    assert isinstance(p.fee_fen("replacement"), int)
    assert p.ssn_province_code == "44" and p.ecard_qr_seconds == 60
    assert p.instant("CGB-DG-MAIN") and p.instant("CGB-DG-ZHONGXIN") and not p.instant("CCB-DG-BRANCH")


def test_the_latest_value_that_took_effect_applies():
    rows = [*dongguan_rows(), d.RuleRow("fee_replacement", "2500", date(2026, 1, 1))]
    assert d.resolve(rows, city="4419", day=date(2025, 12, 31)).fee_replacement == 2000
    assert d.resolve(rows, city="4419", day=date(2026, 1, 1)).fee_replacement == 2500
    assert d.resolve(rows, city="4419", day=date(2030, 1, 1)).fee_replacement == 2500


def test_a_day_before_any_value_is_refused_not_guessed():
    with pytest.raises(d.PolicyMissing):
        d.resolve(dongguan_rows(), city="4419", day=date(2024, 11, 30))


@pytest.mark.parametrize(("key", "typed", "stored"), [
    ("fee_replacement", "25.50", "2550"),
    ("fee_replacement", "0", "0"),
    ("card_ready_working_days", "15", "15"),
    ("ssn_province_code", "51", "51"),
    ("instant_branches", "cgb-cd-main, CCB-CD-1  CGB-CD-MAIN", "CCB-CD-1 CGB-CD-MAIN"),
    ("instant_branches", "", ""),
])
def test_values_are_stored_canonically(key, typed, stored):
    assert d.parse_value(key, typed) == stored


@pytest.mark.parametrize(("key", "typed"), [
    ("fee_replacement", "20.005"), ("fee_replacement", "-1"), ("fee_replacement", "abc"),
    ("fee_replacement", "NaN"), ("fee_replacement", "1e9"), ("card_ready_working_days", "0"),
    ("card_ready_working_days", "12.5"), ("permit_max_years_a", "11"), ("ssn_province_code", "99"),
    ("instant_branches", "CGB/1"), ("no_such_rule", "1"),
])
def test_wrong_values_are_refused_with_a_field_error(key, typed):
    with pytest.raises(ValidationFailed) as exc:
        d.parse_value(key, typed)
    assert exc.value.errors[0].field in ("value", "key")


def test_the_past_is_never_rewritten():
    today = date(2026, 3, 2)
    assert d.check_effective_from(today, today) == today
    with pytest.raises(ValidationFailed):
        d.check_effective_from(date(2026, 3, 1), today)
