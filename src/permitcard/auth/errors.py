from __future__ import annotations

from permitcard.shared.errors import N_, DomainError, RuleViolation


class BadCredentials(DomainError):
    """The same answer for an unknown e-mail and a wrong password (ASVS 6.3.8)."""

    status = 401
    code = "bad_credentials"
    title = N_("The e-mail address or password is not right")


class LinkRefused(RuleViolation):
    """One generic refusal that reveals nothing about which part did not match."""

    code = "link_refused"
    title = N_(
        "We could not match these details to a work permit. Check them against your "
        "Foreign Work Permit Notice and passport, and try again."
    )
