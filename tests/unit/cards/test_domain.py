from datetime import date

import pytest

from permitcard.cards import domain as d
from permitcard.shared.calendar import CalendarData
from permitcard.shared.errors import CalendarUnknown, IllegalTransition
from permitcard.shared.ids import luhn_valid
from permitcard.shared.registry import PermitInfo


def permit(status: str = "valid") -> PermitInfo:
    return PermitInfo(
        permit_number="WP1234567", notice_number="N1", family_name="SMITH", given_names="ANNA",
        nationality="GB", birth_date=date(1990, 1, 2), sex="F", passport_number="P1234567", category="B",
        employer_uscc="91441900MA51ABCD10", employer_name_en="Acme", employer_name_zh="阿克米", position="Engineer",
        valid_from=date(2025, 1, 1), valid_to=date(2026, 12, 31), status=status, version=1,
    )


PAPER_PATH = [("approve", "approved"), ("start_production", "in_production"),
              ("mark_ready", "ready_for_collection"), ("hand_over", "collected")]


def test_application_happy_path_with_return_and_resubmit():
    state = "submitted"
    for action, expected in [("return", "returned"), ("resubmit", "resubmitted"), *PAPER_PATH]:
        state = d.APPLICATION.next_state(state, action)
        assert state == expected


@pytest.mark.parametrize("state", ["submitted", "resubmitted"])
def test_reject_only_before_approval(state):
    assert d.APPLICATION.next_state(state, "reject") == "rejected"


@pytest.mark.parametrize("state", ["submitted", "returned", "resubmitted"])
def test_cancel_only_before_a_decision(state):
    assert d.APPLICATION.next_state(state, "cancel") == "cancelled"


@pytest.mark.parametrize(("state", "action"), [
    ("submitted", "hand_over"), ("returned", "approve"), ("approved", "cancel"), ("approved", "reject"),
    ("in_production", "hand_over"), ("collected", "cancel"), ("rejected", "resubmit"), ("cancelled", "approve"),
    ("submitted", "start_production"), ("ready_for_collection", "approve"), ("submitted", "resubmit"),
    ("submitted", "nonsense"),
])
def test_illegal_application_moves_are_refused(state, action):
    with pytest.raises(IllegalTransition) as err:
        d.APPLICATION.next_state(state, action)
    assert err.value.status == 409


def test_every_application_state_is_reachable_and_final_states_have_no_exit():
    targets = set(d.APPLICATION_TRANSITIONS.values()) | {"submitted"}
    assert targets == {s.value for s in d.AppState}
    for final in d.FINAL_STATES:
        assert d.APPLICATION.allowed(final) == []


def test_card_lifecycle():
    state = "produced"
    for action, expected in [("issue", "issued"), ("activate", "active"), ("suspend", "suspended"),
                             ("restore", "active"), ("invalidate", "invalidated")]:
        state = d.CARD.next_state(state, action)
        assert state == expected


@pytest.mark.parametrize("state", ["produced", "issued", "active", "suspended"])
def test_any_held_card_can_be_invalidated(state):
    assert d.CARD.next_state(state, "invalidate") == "invalidated"


@pytest.mark.parametrize(("state", "action"), [
    ("produced", "activate"), ("issued", "suspend"), ("active", "issue"), ("suspended", "activate"),
    ("invalidated", "restore"), ("invalidated", "activate"), ("active", "restore"),
])
def test_illegal_card_moves_are_refused(state, action):
    with pytest.raises(IllegalTransition):
        d.CARD.next_state(state, action)


def test_eligibility_first_upgrade_and_refusals():
    kw = {"holds_card_with_permit": False, "has_open_application": False}
    assert d.eligibility(permit(), had_card_here=False, **kw).kind == "first"
    assert d.eligibility(permit(), had_card_here=True, **kw).kind == "upgrade"
    assert d.eligibility(permit(), had_card_here=False, **kw).eligible
    none = d.eligibility(None, had_card_here=False, **kw)
    assert not none.eligible and "No approved work permit" in none.reason
    expired = d.eligibility(permit("expired"), had_card_here=True, **kw)
    assert not expired.eligible and "not valid" in expired.reason
    busy = d.eligibility(permit(), had_card_here=False, holds_card_with_permit=False, has_open_application=True)
    assert not busy.eligible and "in progress" in busy.reason
    holds = d.eligibility(permit(), had_card_here=True, holds_card_with_permit=True, has_open_application=False)
    assert not holds.eligible


def test_promised_date_crosses_the_2026_spring_festival():
    # Approved Thu 12 Feb 2026: 13 Feb, Sat 14 Feb (调休), 24-27 Feb, Sat 28 Feb (调休), 2-6 Mar.
    due = d.promised_date(approval_date=date(2026, 2, 12), channel="standard", working_days=12,
                          calendar=CalendarData())
    assert due == date(2026, 3, 6)


def test_promised_date_does_not_count_the_approval_day_and_skips_weekends():
    due = d.promised_date(approval_date=date(2025, 6, 2), channel="standard", working_days=12,
                          calendar=CalendarData())
    assert due == date(2025, 6, 18)  # Mon 2 Jun -> 12 working days later


def test_instant_channel_is_same_day():
    assert d.promised_date(approval_date=date(2026, 2, 12), channel="instant", working_days=12,
                           calendar=CalendarData()) == date(2026, 2, 12)


def test_promised_date_into_an_unknown_year_is_refused():
    with pytest.raises(CalendarUnknown):
        d.promised_date(approval_date=date(2026, 12, 24), channel="standard", working_days=12,
                        calendar=CalendarData())


def test_sla_due_and_overdue_in_working_days():
    cal = CalendarData()
    assert d.sla(date(2026, 3, 6), date(2026, 3, 6), cal) == d.Sla("due_today", 0)
    assert d.sla(date(2026, 3, 6), date(2026, 3, 2), cal) == d.Sla("due", 4)
    assert d.sla(date(2026, 3, 6), date(2026, 3, 10), cal) == d.Sla("overdue", 2)


def test_card_numbers_are_letter_and_eight_digits_with_luhn():
    n = d.card_number(1)
    assert n == "A0000001" + n[-1] and len(n) == 9
    assert luhn_valid(n[1:]) and d.card_number_valid(n)
    assert d.card_number(10**7 + 5)[0] == "B"
    assert not d.card_number_valid(n[:-1] + str((int(n[-1]) + 1) % 10))
    with pytest.raises(ValueError):
        d.card_number(0)


def test_account_numbers_are_19_digits_bin_prefixed_luhn():
    a = d.account_number("622568", 42)
    assert len(a) == 19 and a.startswith("622568") and a.isdigit() and luhn_valid(a)
    assert d.account_number("622568", 43) != a
    with pytest.raises(ValueError):
        d.account_number("62256X", 1)


def test_passport_match_ignores_case_and_spaces_but_not_empty():
    assert d.passport_matches("p 123 4567", "P1234567")
    assert not d.passport_matches("", "")
    assert not d.passport_matches("P1234568", "P1234567")
