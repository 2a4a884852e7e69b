"""Errors of the insurance context."""

from __future__ import annotations

from permitcard.shared.errors import N_, RuleViolation


class RegistrationRefused(RuleViolation):
    """The agency refused the registration (saved as refused); ``reason`` is the registry's code."""

    code = "registration_refused"
    title = N_("Social insurance registration refused (reference %(reference)s)")

    def __init__(self, message: str, /, *, reason: str, reference: str, registration_id: int) -> None:
        self.reason = reason
        self.registration_id = registration_id
        super().__init__(message, reference=reference)


class NotYourEmployee(RuleViolation):
    code = "not_your_employee"
    title = N_(
        "This work permit is held with another employer. Only the worker's own employer can register them"
    )


class NotYourPermit(RuleViolation):
    code = "not_your_permit"
    title = N_("You can only register yourself, with the work permit connected to your account")


class NoLinkedPermit(RuleViolation):
    code = "no_linked_permit"
    title = N_("Connect your work permit to your account first")
