"""Errors of the e-card context (message ids, translated when shown)."""

from __future__ import annotations

from permitcard.shared.errors import N_, DomainError, RuleViolation
from permitcard.shared.throttle import TooManyAttempts

__all__ = ["AlreadyRegistered", "BadEcardCredentials", "CodeRejected", "DetailsDoNotMatch", "EcardSignInNeeded",
           "EcardSuspended", "TooManyAttempts"]  # TooManyAttempts: the one throttle's refusal


class DetailsDoNotMatch(RuleViolation):
    """One answer for every wrong combination: it never says which part was wrong."""

    code = "ecard_details_do_not_match"
    title = N_("These details do not match our records. Check your name as in your passport, the work permit "
               "number or social security number, and the passport number.")


class BadEcardCredentials(DomainError):
    status = 401
    code = "ecard_bad_credentials"
    title = N_("The number or the e-card password is not right")


class EcardSignInNeeded(DomainError):
    status = 401
    code = "ecard_sign_in"
    title = N_("Sign in to your e-card to continue")


class AlreadyRegistered(RuleViolation):
    code = "ecard_already_registered"
    title = N_("An e-card is already registered for this work permit. Sign in to it instead.")


class CodeRejected(RuleViolation):
    code = "ecard_code_rejected"
    title = N_("The code is not right")


class EcardSuspended(RuleViolation):
    code = "ecard_suspended"
    title = N_("Your e-card is suspended because your social security card is suspended.")
