"""Pure rules of the e-card: the password, codes, attempt delays, what the e-card says about the card."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from permitcard.ecard import domain
from permitcard.ecard.domain import CardFacts


@pytest.mark.parametrize(("password", "ok"), [
    ("abcdefgh", False),  # one kind
    ("abcdefg1", True),
    ("ABCDEFG!", True),
    ("Ab1!", False),  # too short
    ("Abcdefgh12345678", True),  # 16
    ("Abcdefgh123456789", False),  # 17
    ("12345678", False),
])
def test_password_is_8_to_16_characters_of_two_kinds(password, ok):
    assert (domain.password_problem(password, is_common=False) is None) is ok


def test_a_common_password_is_refused():
    assert domain.password_problem("Password1", is_common=True) is not None


def test_codes_are_six_digits():
    codes = {domain.new_code() for _ in range(200)}
    assert all(len(c) == 6 and c.isdigit() for c in codes) and len(codes) > 150
    assert domain.normalise_code(" 123 456 ") == "123456"


def test_a_code_is_usable_once_for_10_minutes_and_5_tries():
    now = datetime(2026, 11, 28, 10, tzinfo=UTC)
    fresh = domain.CodeState(expires_at=now + domain.CODE_LIFETIME, attempts=0, used=False)
    assert fresh.usable(now) and not fresh.usable(now + timedelta(minutes=10))
    assert not domain.CodeState(expires_at=fresh.expires_at, attempts=5, used=False).usable(now)
    assert not domain.CodeState(expires_at=fresh.expires_at, attempts=0, used=True).usable(now)


def test_delays_grow_after_the_free_failures_up_to_15_minutes_never_for_good():
    from permitcard.shared import throttle

    assert [throttle.delay_after(n).total_seconds() for n in range(4, 9)] == [0, 30, 60, 120, 240]
    assert throttle.delay_after(50) == throttle.delay_after(10_000) == timedelta(minutes=15)


def test_the_e_card_follows_the_physical_card():
    assert domain.service_state(CardFacts()) == "waiting"
    assert domain.service_state(CardFacts(card_state="produced")) == "waiting"
    assert domain.service_state(CardFacts(card_state="issued")) == "active"
    assert domain.service_state(CardFacts(card_state="active")) == "active"
    assert domain.service_state(CardFacts(card_state="suspended")) == "suspended"


def test_before_the_card_is_received_it_says_what_is_waiting():
    assert "being checked" in (domain.waiting_message(CardFacts(application_state="submitted")) or "")
    assert "being made" in (domain.waiting_message(CardFacts(application_state="in_production")) or "")
    assert "ready for collection" in (domain.waiting_message(CardFacts(application_state="ready_for_collection")) or "")
    assert "no social security card" in (domain.waiting_message(CardFacts()) or "")
    assert domain.waiting_message(CardFacts(card_state="active")) is None
