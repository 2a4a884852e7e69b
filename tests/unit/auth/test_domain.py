"""Pure rules of the auth context: passwords, TOTP codes, recovery codes, the employer's state table."""

from __future__ import annotations

import pyotp
import pytest

from permitcard.auth.domain import (
    EMPLOYER_TRANSITIONS,
    SECOND_FACTOR_REQUIRED,
    Role,
    employer_transition,
    password_problem,
    recovery_code_hash,
    totp_step,
)
from permitcard.shared.errors import IllegalTransition

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
AT = 1_800_000_000.0


def test_passwords_need_12_characters_and_not_a_common_one_and_nothing_else():
    assert password_problem("elevenchars") is not None
    assert password_problem("qwerty123456") is not None  # on the breached list
    assert password_problem("1qaz2wsx3edc") is not None
    assert password_problem("me@example.com", email="me@example.com") is not None
    assert password_problem("all lower case words") is None  # no composition rules


def test_a_totp_code_is_good_within_one_step_and_only_once():
    totp = pyotp.TOTP(SECRET)
    step = int(AT // 30)
    assert totp_step(SECRET, totp.at(AT), at=AT, last_step=0) == step
    assert totp_step(SECRET, totp.at(AT - 30), at=AT, last_step=0) == step - 1
    assert totp_step(SECRET, totp.at(AT - 90), at=AT, last_step=0) is None
    assert totp_step(SECRET, totp.at(AT), at=AT, last_step=step) is None  # replayed
    assert totp_step(SECRET, "12345", at=AT, last_step=0) is None


def test_recovery_codes_match_however_they_are_typed():
    assert recovery_code_hash("abcde-fghjk") == recovery_code_hash(" ABCDE FGHJK ")


def test_staff_need_a_second_factor_employers_and_workers_may_choose():
    assert Role.EMPLOYER not in SECOND_FACTOR_REQUIRED and Role.APPLICANT not in SECOND_FACTOR_REQUIRED
    assert {Role.PERMIT_OFFICER, Role.AGENCY_CLERK, Role.BANK_CLERK, Role.PHOTO_STUDIO, Role.AUDITOR,
            Role.ADMIN} == set(SECOND_FACTOR_REQUIRED)


def test_employer_registration_state_table():
    assert employer_transition("submitted", "approve") == "approved"
    assert employer_transition("correction_requested", "resubmit") == "submitted"
    assert ("approved", "reject") not in EMPLOYER_TRANSITIONS
    with pytest.raises(IllegalTransition):
        employer_transition("rejected", "approve")
