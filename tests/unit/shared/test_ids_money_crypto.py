from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from permitcard.shared import crypto, ids, money


def test_uscc_validation_uses_the_check_character():
    assert ids.is_valid_uscc("91441900MA51ABCD10")
    assert not ids.is_valid_uscc("91441900MA51ABCD11")
    assert not ids.is_valid_uscc("not a code")


def test_mod_11_2_matches_the_gb_11643_example():
    # The published GB 11643 example number 11010519491231002X.
    assert ids.mod11_2_check("11010519491231002") == "X"
    assert ids.mod11_2_valid("11010519491231002X")


@given(st.text(alphabet="0123456789", min_size=8, max_size=18))
def test_luhn_completion_is_always_valid_and_catches_a_changed_digit(body):
    number = ids.luhn_complete(body)
    assert ids.luhn_valid(number)
    last = int(number[-1])
    assert not ids.luhn_valid(number[:-1] + str((last + 1) % 10))


@pytest.mark.parametrize("raw,expected", [(" wp 2026 abc123 ", "WP2026ABC123"), ("abc", None), ("A" * 33, None),
                                          ("abc-123456", None)])
def test_permit_numbers_are_trimmed_upper_cased_opaque_strings(raw, expected):
    assert ids.normalise_permit_number(raw) == expected


def test_money_is_integer_fen_and_formats_per_language():
    assert money.to_fen(Decimal("20")) == 2000
    assert money.to_fen("0.1") + money.to_fen("0.2") == money.to_fen("0.3")
    assert money.format_fen(2000, "en") == "CN¥20.00"
    assert "20.00" in money.format_fen(2000, "zh_Hans")


def test_field_encryption_round_trips_and_is_not_plaintext():
    token = crypto.encrypt("E12345678")
    assert "E12345678" not in token
    assert crypto.decrypt(token) == "E12345678"
    assert crypto.encrypt("E12345678") != token  # a fresh nonce each time


def test_blind_index_ignores_spacing_and_case_only():
    assert crypto.blind_index("e1234 5678") == crypto.blind_index("E12345678")
    assert crypto.blind_index("E12345678") != crypto.blind_index("E12345679")


def test_mask_keeps_only_the_last_four():
    assert crypto.mask("E12345678") == "•••••5678"
    assert crypto.mask("") == ""


def test_signatures_verify_and_reject_tampering():
    sig = crypto.sign(b"FWPN-2026-ABCDEFGH")
    assert crypto.verify_signature(b"FWPN-2026-ABCDEFGH", sig)
    assert not crypto.verify_signature(b"FWPN-2026-ABCDEFGX", sig)
    assert not crypto.verify_signature(b"FWPN-2026-ABCDEFGH", "garbage")
