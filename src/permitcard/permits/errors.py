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


class NoticeNotConfirmed(RuleViolation):
    """The public verification page: unknown notice or a signature that does not match."""

    status = 404
    code = "notice_not_confirmed"
    title = N_("We cannot confirm this notice")
