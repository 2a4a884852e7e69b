"""The registry's pure rules: limits at their boundaries, validation, the state table, numbers."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from permitcard.permits import domain
from permitcard.permits.domain import Action, ApplicationInput, State
from permitcard.shared.errors import IllegalTransition, ValidationFailed

TODAY = date(2026, 11, 20)
LIMITS = {"A": 5, "B": 2, "C": 1}
USCC = "91441900MA51ABCD10"


def good(**overrides: object) -> ApplicationInput:
    base = ApplicationInput(
        family_name="García López", given_names="María", nationality="es", birth_date=date(1990, 5, 17),
        sex="f", passport_number="pa 1234567", passport_expiry_date=date(2032, 1, 1),
        position="Process engineer", category="b", contract_start_date=date(2026, 12, 1),
        contract_end_date=date(2029, 12, 31), requested_end_date=date(2028, 11, 30),
    )
    return replace(base, **overrides)  # type: ignore[arg-type]


def fields_of(exc: pytest.ExceptionInfo[ValidationFailed]) -> set[str]:
    return {e.field for e in exc.value.errors}


def check(data: ApplicationInput, uscc: str = USCC) -> ApplicationInput:
    return domain.validate_application(data, today=TODAY, limits=LIMITS, employer_uscc=uscc)


def test_valid_application_is_normalised() -> None:
    d = check(good())
    assert (d.passport_number, d.nationality, d.sex, d.category) == ("PA1234567", "ES", "F", "B")


@pytest.mark.parametrize(("category", "last"), [("A", date(2031, 11, 30)), ("B", date(2028, 11, 30)),
                                               ("C", date(2027, 11, 30))])
def test_category_limit_boundary_in_calendar_years(category: str, last: date) -> None:
    contract_end = date(2032, 12, 31)
    check(good(category=category, requested_end_date=last, contract_end_date=contract_end))
    with pytest.raises(ValidationFailed) as exc:
        check(good(category=category, requested_end_date=last + timedelta(days=1), contract_end_date=contract_end))
    assert fields_of(exc) == {"requested_end_date"}
    assert exc.value.errors[0].params["last"] == last


def test_last_allowed_day_handles_leap_day() -> None:
    assert domain.last_allowed_day(date(2028, 2, 29), 1) == date(2029, 2, 28)
    assert domain.last_allowed_day(date(2026, 12, 1), 2) == date(2028, 11, 30)


def test_limits_come_from_the_configuration() -> None:
    d = good(category="C", requested_end_date=date(2028, 11, 30))
    with pytest.raises(ValidationFailed):
        check(d)
    domain.validate_application(d, today=TODAY, limits={"A": 5, "B": 2, "C": 2}, employer_uscc=USCC)


def test_passport_must_cover_the_whole_permit() -> None:
    check(good(passport_expiry_date=date(2028, 11, 30)))
    with pytest.raises(ValidationFailed) as exc:
        check(good(passport_expiry_date=date(2028, 11, 29)))
    assert fields_of(exc) == {"passport_expiry_date"}


def test_permit_never_past_the_contract_end() -> None:
    check(good(contract_end_date=date(2028, 11, 30)))
    with pytest.raises(ValidationFailed) as exc:
        check(good(contract_end_date=date(2028, 11, 29)))
    assert fields_of(exc) == {"requested_end_date"}


def test_contract_must_end_after_it_starts() -> None:
    with pytest.raises(ValidationFailed) as exc:
        check(good(contract_end_date=date(2026, 12, 1), requested_end_date=date(2026, 12, 1)))
    assert "contract_end_date" in fields_of(exc)


def test_contract_start_at_most_30_days_in_the_past() -> None:
    check(good(contract_start_date=date(2026, 10, 21), requested_end_date=date(2027, 10, 20)))
    with pytest.raises(ValidationFailed) as exc:
        check(good(contract_start_date=date(2026, 10, 20), requested_end_date=date(2027, 10, 19)))
    assert fields_of(exc) == {"contract_start_date"}


@pytest.mark.parametrize("code", ["CN", "XX", ""])
def test_nationality_is_a_foreign_iso_country(code: str) -> None:
    with pytest.raises(ValidationFailed) as exc:
        check(good(nationality=code))
    assert fields_of(exc) == {"nationality"}


@pytest.mark.parametrize(("birth", "ok"), [(date(2010, 11, 20), True), (date(2010, 11, 21), False),
                                           (date(1946, 11, 21), True), (date(1945, 11, 20), False)])
def test_age_between_16_and_80(birth: date, ok: bool) -> None:
    if ok:
        check(good(birth_date=birth))
    else:
        with pytest.raises(ValidationFailed) as exc:
            check(good(birth_date=birth))
        assert fields_of(exc) == {"birth_date"}


@pytest.mark.parametrize("number", ["1234", "A" * 21, "AB-12345", "护照12345"])
def test_passport_number_format(number: str) -> None:
    with pytest.raises(ValidationFailed) as exc:
        check(good(passport_number=number))
    assert fields_of(exc) == {"passport_number"}


def test_sex_names_position_required() -> None:
    with pytest.raises(ValidationFailed) as exc:
        check(good(sex="X", family_name="", position=""))
    assert fields_of(exc) == {"sex", "family_name", "position"}
    check(good(given_names=""))  # given names are optional, as in many passports


def test_employer_uscc_checked() -> None:
    with pytest.raises(ValidationFailed) as exc:
        check(good(), uscc="91441900MA51ABCD11")
    assert fields_of(exc) == {"employer"}


def test_missing_everything_names_every_field() -> None:
    with pytest.raises(ValidationFailed) as exc:
        check(ApplicationInput())
    assert fields_of(exc) == {"family_name", "nationality", "birth_date", "sex", "passport_number",
                              "passport_expiry_date", "position", "category", "contract_start_date",
                              "contract_end_date", "requested_end_date"}


def test_from_mapping_reads_iso_dates_and_strips() -> None:
    d = ApplicationInput.from_mapping({"family_name": "  Smith  ", "birth_date": "1990-01-02",
                                       "contract_end_date": "not a date"})
    assert d.family_name == "Smith" and d.birth_date == date(1990, 1, 2) and d.contract_end_date is None


@pytest.mark.parametrize(("state", "action", "new"), [
    ("submitted", "return", "returned"), ("returned", "resubmit", "resubmitted"),
    ("resubmitted", "return", "returned"), ("submitted", "approve", "approved"),
    ("resubmitted", "approve", "approved"), ("submitted", "reject", "rejected"),
    ("resubmitted", "reject", "rejected"), ("submitted", "withdraw", "cancelled"),
    ("returned", "withdraw", "cancelled"), ("resubmitted", "withdraw", "cancelled"),
])
def test_legal_transitions(state: str, action: str, new: str) -> None:
    assert domain.APPLICATION.next_state(state, action) == new


@pytest.mark.parametrize(("state", "action"), [
    ("approved", "approve"), ("approved", "withdraw"), ("rejected", "resubmit"), ("returned", "approve"),
    ("cancelled", "resubmit"), ("submitted", "resubmit"), ("submitted", "fly"), ("nowhere", "approve"),
])
def test_illegal_transitions_raise(state: str, action: str) -> None:
    with pytest.raises(IllegalTransition):
        domain.APPLICATION.next_state(state, action)


def test_final_states_have_no_way_out() -> None:
    for final in (State.APPROVED, State.REJECTED, State.CANCELLED):
        assert domain.APPLICATION.allowed(final) == []


def test_decision_reasons() -> None:
    assert domain.validate_decision("approve", "") == (Action.APPROVE, "")
    for action, msg_field in (("reject", "reason"), ("return", "reason"), ("resubmit", "action")):
        with pytest.raises(ValidationFailed) as exc:
            domain.validate_decision(action, "  ")
        assert fields_of(exc) == {msg_field}


@given(year=st.integers(2024, 2099), serial=st.integers(0, 10**9 - 1))
def test_permit_numbers_carry_a_luhn_check_digit(year: int, serial: int) -> None:
    number = domain.permit_number(year, serial)
    assert len(number) == 16 and domain.is_valid_permit_number(number)
    last = int(number[-1])
    assert not domain.is_valid_permit_number(number[:-1] + str((last + 1) % 10))


def test_permit_number_rejects_other_shapes() -> None:
    assert not domain.is_valid_permit_number("XX20261234567897")
    assert not domain.is_valid_permit_number("WP2026123456789")
    assert domain.notice_number(2026).startswith("FWPN-2026-")


@pytest.mark.parametrize(("status", "today", "shown"), [
    ("valid", date(2028, 11, 30), "valid"), ("valid", date(2028, 12, 1), "expired"),
    ("cancelled", date(2027, 1, 1), "cancelled"), ("expired", date(2027, 1, 1), "expired"),
])
def test_effective_status(status: str, today: date, shown: str) -> None:
    assert domain.effective_status(status, date(2028, 11, 30), today) == shown


@pytest.mark.parametrize(("code", "stored"), [("SWE", "SE"), ("swe", "SE"), ("SE", "SE"), ("D<<", "DE"),
                                              ("BRA", "BR")])
def test_nationality_accepts_alpha_3_as_in_the_mrz_and_stores_alpha_2(code: str, stored: str) -> None:
    assert check(ApplicationInput.from_mapping({**good().as_dict(), "nationality": code})).nationality == stored


@pytest.mark.parametrize("code", ["CHN", "XXX", "SWED"])
def test_an_alpha_3_code_of_china_or_of_nothing_is_refused(code: str) -> None:
    with pytest.raises(ValidationFailed) as exc:
        check(ApplicationInput.from_mapping({**good().as_dict(), "nationality": code}))
    assert fields_of(exc) == {"nationality"}


def test_the_passport_name_is_mrz_latin_letters_and_a_chinese_name_is_its_own_field() -> None:
    d = check(good(family_name="García López", given_names="Anne-Marie O'Neil", chinese_name="玛丽亚·加西亚"))
    assert (d.family_name, d.given_names, d.chinese_name) == ("GARCIA LOPEZ", "ANNE-MARIE O'NEIL", "玛丽亚·加西亚")
    for bad in ("李明", "Иван", "SMITH2"):
        with pytest.raises(ValidationFailed) as exc:
            check(good(family_name=bad))
        assert fields_of(exc) == {"family_name"}
        assert "Chinese name field" in exc.value.errors[0].message
    with pytest.raises(ValidationFailed) as exc:
        check(good(given_names="明"))
    assert fields_of(exc) == {"given_names"}
    with pytest.raises(ValidationFailed) as exc:
        check(good(chinese_name="Li Ming"))
    assert fields_of(exc) == {"chinese_name"}
