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


class SecondFactorRequired(DomainError):
    """The password was right; the account signs in with a code from its authenticator app too."""

    status = 401
    code = "second_factor_required"
    title = N_("Enter the 6-digit code from your authenticator app")


class BadCode(DomainError):
    status = 401
    code = "bad_second_factor"
    title = N_("The code is not right. Enter the current 6-digit code from your authenticator app.")


class SecondFactorNotEnrolled(DomainError):
    """Staff set up their second factor on the web the first time they sign in."""

    status = 403
    code = "second_factor_not_enrolled"
    title = N_("Set up your second factor first: sign in on the web and follow the steps")


class EmployerNotApproved(DomainError):
    status = 403
    code = "employer_not_approved"
    title = N_("Your employer's registration has not been approved yet. You can file applications once a "
               "permit officer has approved it.")


class LinkExpired(DomainError):
    """An invitation or password reset link that is unknown, used, revoked or expired: one answer."""

    status = 404
    code = "link_expired"
    title = N_("This link has expired or has already been used. Ask for a new one.")

