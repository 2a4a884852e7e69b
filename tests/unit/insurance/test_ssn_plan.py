"""The SSN plan (SPEC §3, D) and the registration state table, without a database."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from permitcard.insurance import domain as d
from permitcard.shared.errors import IllegalTransition

# Known vector, computed by hand (GB 11643 weights 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2):
# a US man (840) born 1990-01-15, registered in Guangdong (44), first sequence 001:
#   body     9  4  4  8  4  0  1  9  9  0  0  1  1  5  0  0  1
#   products 63 36 40 40 32 0  2  9  54 0  0  9  10 25 0  0  2  -> sum 322
#   322 mod 11 = 3; check = (12 - 3) mod 11 = 9
KNOWN = "944840199001150019"


def test_known_vector() -> None:
    prefix = d.ssn_prefix(province_code="44", nationality="US", birth_date=date(1990, 1, 15))
    assert prefix == "94484019900115"
    assert d.ssn_for_sequence(prefix, d.next_sequence(None, "M")) == KNOWN
    assert d.is_valid_ssn(KNOWN)


def test_one_wrong_character_is_caught() -> None:
    assert not d.is_valid_ssn(KNOWN[:-1] + "8")
    assert not d.is_valid_ssn("9448401990011500" + "91")  # two digits swapped


def test_check_character_x_for_ten() -> None:
    # A body whose MOD 11-2 remainder gives 10 ends with X, and is valid.
    prefix = d.ssn_prefix(province_code="44", nationality="GB", birth_date=date(1985, 6, 30))
    ssns = [d.ssn_for_sequence(prefix, seq) for seq in range(1, 60)]
    with_x = [s for s in ssns if s.endswith("X")]
    assert with_x, "one in eleven sequences ends in X"
    assert all(d.is_valid_ssn(s) for s in with_x)
    assert not d.is_valid_ssn(with_x[0][:-1] + "0")


def test_nationality_codes() -> None:
    assert d.nationality_numeric("DE") == "276"
    assert d.nationality_numeric("deu") == "276"
    assert d.nationality_numeric("4") == "004"
    with pytest.raises(ValueError):
        d.nationality_numeric("XX")


def test_sequences_parity_and_exhaustion() -> None:
    assert d.next_sequence(None, "M") == 1
    assert d.next_sequence(None, "F") == 2
    assert d.next_sequence(1, "M") == 3
    assert d.next_sequence(2, "F") == 4
    assert d.next_sequence(997, "M") == 999
    with pytest.raises(d.SequenceExhausted):
        d.next_sequence(999, "M")
    with pytest.raises(d.SequenceExhausted):
        d.next_sequence(998, "F")
    with pytest.raises(ValueError):
        d.next_sequence(3, "F")
    with pytest.raises(ValueError):
        d.next_sequence(None, "X")


def test_malformed_numbers_refused() -> None:
    for bad in ("", "944840199001150", "844840199001150019", "9448401990011500X9", "999840199001150016",
                "944999199001150011", "944840199013150016"):
        assert not d.is_valid_ssn(bad), bad


def test_sequence_zero_is_not_a_number() -> None:
    body = "94484019900115000"
    assert not d.is_valid_ssn(body + d.mod11_2_check(body))


def test_permanent_residence_id_must_be_this_person() -> None:
    pr_id = d.ssn_for_sequence(d.ssn_prefix(province_code="11", nationality="FR", birth_date=date(1980, 2, 29)), 4)
    assert d.is_valid_permanent_residence_id(pr_id)
    assert d.permanent_residence_id_problem(pr_id, nationality="FR", birth_date=date(1980, 2, 29), sex="F") is None
    assert d.permanent_residence_id_problem(pr_id, nationality="FR", birth_date=date(1980, 2, 29), sex="M")
    assert d.permanent_residence_id_problem(pr_id, nationality="DE", birth_date=date(1980, 2, 29), sex="F")
    assert d.permanent_residence_id_problem(pr_id, nationality="FR", birth_date=date(1980, 3, 1), sex="F")
    assert d.permanent_residence_id_problem("123", nationality="FR", birth_date=date(1980, 2, 29), sex="F")


def test_registration_state_table() -> None:
    assert d.REGISTRATION.next_state(d.SUBMITTED, "register") == d.REGISTERED
    assert d.REGISTRATION.next_state(d.SUBMITTED, "refuse") == d.REFUSED
    for state in (d.REGISTERED, d.REFUSED):
        for action in ("register", "refuse"):
            with pytest.raises(IllegalTransition):
                d.REGISTRATION.next_state(state, action)


countries = st.sampled_from(["US", "GB", "DE", "FR", "JP", "KR", "IN", "BR", "NG", "RU", "AU", "CA"])
births = st.dates(min_value=date(1920, 1, 1), max_value=date(2010, 12, 31))
sexes = st.sampled_from(["M", "F"])


@given(countries, births, sexes, st.integers(min_value=0, max_value=480))
def test_every_assigned_number_is_valid_and_keeps_parity(country: str, born: date, sex: str, steps: int) -> None:
    prefix = d.ssn_prefix(province_code="44", nationality=country, birth_date=born)
    seq = None
    for _ in range(steps + 1):
        seq = d.next_sequence(seq, sex)
    assert seq is not None
    ssn = d.ssn_for_sequence(prefix, seq)
    parts = d.parse_ssn(ssn)
    assert parts is not None
    assert len(ssn) == 18 and ssn.startswith("944")
    assert parts.sex == sex
    assert parts.birth_date == born
    assert parts.nationality_numeric == d.nationality_numeric(country)


@given(countries, births, st.integers(min_value=1, max_value=999), st.integers(min_value=0, max_value=16),
       st.sampled_from("0123456789"))
def test_any_single_digit_change_is_detected(country: str, born: date, seq: int, pos: int, digit: str) -> None:
    ssn = d.ssn_for_sequence(d.ssn_prefix(province_code="44", nationality=country, birth_date=born), seq)
    changed = ssn[:pos] + digit + ssn[pos + 1:]
    if changed != ssn:
        assert d.mod11_2_check(changed[:17]) != changed[17]
