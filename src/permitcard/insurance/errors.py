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
    """The one answer an employer gets for any permit that is not one of its own employees': unknown
    number or notice, another company's worker, a name or passport that does not match it. Never
    which: that would tell an employer whether another company's worker has this name and passport."""

    code = "not_your_employee"
    title = N_(
        "These details do not match a work permit of one of your company's employees. Check the work "
        "permit or notice number, the name as in the passport and the passport number."
    )


class NotYourPermit(RuleViolation):
    code = "not_your_permit"
    title = N_("You can only register yourself, with the work permit connected to your account")


class NoLinkedPermit(RuleViolation):
    code = "no_linked_permit"
    title = N_("Connect your work permit to your account first")
