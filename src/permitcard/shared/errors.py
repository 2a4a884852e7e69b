"""Domain errors. Each carries an English message id (translated when shown) and parameters.

``main.py`` maps them once: to problem+json for the API and to form errors / error pages for HTML.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any


def N_(message: str) -> str:
    """Mark a message for extraction; it is translated where it is shown."""
    return message


class Plural(str):
    """A message id that has a plural form: ``i18n.translate`` picks the form (ngettext) by the parameter
    named ``count`` ("at most 1 year", "at most 5 years"; Chinese has one form)."""

    plural: str
    count_param: str

    def __new__(cls, singular: str, plural: str, count: str) -> Plural:
        message = super().__new__(cls, singular)
        message.plural, message.count_param = plural, count
        return message


def NP_(singular: str, plural: str, count: str) -> Plural:
    """Mark a message with a count for extraction (``-k NP_:1,2``): ``count`` names the parameter that
    chooses the form. Every message that shows a number of things uses it, never ``N_``."""
    return Plural(singular, plural, count)


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str
    params: dict[str, Any] = dc_field(default_factory=dict)


class DomainError(Exception):
    status: int = 400
    code: str = "bad_request"
    title: str = N_("The request cannot be processed")

    def __init__(self, message: str | None = None, /, **params: Any) -> None:
        self.message = message or self.title
        self.params = params
        super().__init__(self.message % params if params else self.message)


class ValidationFailed(DomainError):
    """One or more fields are wrong; every error names its field."""

    status = 422
    code = "validation_failed"
    title = N_("Check the highlighted fields")

    def __init__(self, errors: list[FieldError]) -> None:
        self.errors = errors
        super().__init__(self.title)

    @classmethod
    def one(cls, field_name: str, message: str, **params: Any) -> ValidationFailed:
        return cls([FieldError(field_name, message, params)])


class RuleViolation(DomainError):
    """A business rule refuses the request (not a field typo)."""

    status = 422
    code = "rule_violation"
    title = N_("This request is not allowed by the rules")


class NotFound(DomainError):
    status = 404
    code = "not_found"
    title = N_("Not found")


class Forbidden(DomainError):
    """Refused: the reason says why (the default: the record is someone else's, or the role may not)."""

    status = 403
    code = "forbidden"
    title = N_("You do not have permission to do this")

    def __init__(self, message: str | None = None, /, **params: Any) -> None:
        super().__init__(message or N_("This page or record belongs to another person, employer or office, "
                                       "or your role cannot use it."), **params)


class Unauthenticated(DomainError):
    status = 401
    code = "unauthenticated"
    title = N_("Sign in to continue")


class Conflict(DomainError):
    status = 409
    code = "conflict"
    title = N_("Someone else changed this record first. Reload it and try again.")


class IllegalTransition(Conflict):
    code = "illegal_transition"
    title = N_("This action is not possible in the current state")


class CalendarUnknown(RuleViolation):
    code = "calendar_unknown"
    title = N_(
        "The official working-day calendar for %(year)s is not known yet. "
        "An administrator must enter it before this date can be calculated."
    )


# Messages many contexts share.
TOO_LONG = NP_("Enter at most %(max_length)s character", "Enter at most %(max_length)s characters", "max_length")
TOO_SHORT = NP_("Enter at least %(min_length)s character", "Enter at least %(min_length)s characters", "min_length")
