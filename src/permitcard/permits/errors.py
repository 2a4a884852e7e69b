"""Errors of the permits context (the shared ones cover most cases)."""

from __future__ import annotations

from permitcard.shared.errors import N_, RuleViolation


class AlreadyHoldsPermit(RuleViolation):
    """One person holds at most one valid permit: a change of employer cancels the old one first."""

    code = "permit_already_held"
    title = N_(
        "This person already holds a valid work permit (%(permit_number)s). It must be cancelled "
        "before a new permit can be issued."
    )


class ApplicationAlreadyOpen(RuleViolation):
    """Your own application for this person is still open: correct or withdraw that one."""

    code = "permit_application_open"
    title = N_(
        "You already have an open work permit application for this person (%(reference)s). Correct, "
        "resubmit or withdraw that application instead of filing a new one."
    )


class HeldOrOpenElsewhere(RuleViolation):
    """Another employer's permit or application: said without naming it (no number, no employer)."""

    code = "permit_held_or_open"
    title = N_(
        "This person already holds a valid work permit or has a work permit application in progress. "
        "A new application can be filed once that permit is cancelled or that application is closed."
    )


class NoticeNotConfirmed(RuleViolation):
    """The public verification page: unknown notice or a signature that does not match."""

    status = 404
    code = "notice_not_confirmed"
    title = N_("We cannot confirm this notice")
