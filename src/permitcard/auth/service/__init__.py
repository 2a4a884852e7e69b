"""Use cases of the auth context, re-exported: accounts, sessions, passwords, the second factor,
invitations and employers (registration, review, colleagues)."""

from permitcard.auth.service import employers, invitations, passwords, registration, second_factor, sessions, signup
from permitcard.auth.service.accounts import (
    AccountRow,
    CurrentUser,
    active_staff_contacts,
    as_current,
    create_user,
    hash_password,
    link_permit,
    normalise_email,
    remember_locale,
    set_active,
    sign_up,
    staff_accounts,
    studio_of,
)
from permitcard.auth.service.employers import approved_uscc, create_employer, employer_city
from permitcard.auth.service.invitations import Binding, InvitationView
from permitcard.auth.service.passwords import is_common_password
from permitcard.auth.service.sessions import (
    complete_sign_in,
    pending,
    read_session,
    session_user,
    sign_in,
    sign_out,
    start_sign_in,
    touch_session,
)

__all__ = [
    "AccountRow",
    "Binding",
    "CurrentUser",
    "InvitationView",
    "active_staff_contacts",
    "approved_uscc",
    "as_current",
    "complete_sign_in",
    "create_employer",
    "create_user",
    "employer_city",
    "employers",
    "hash_password",
    "invitations",
    "is_common_password",
    "link_permit",
    "normalise_email",
    "passwords",
    "pending",
    "read_session",
    "registration",
    "remember_locale",
    "second_factor",
    "session_user",
    "sessions",
    "set_active",
    "sign_in",
    "sign_out",
    "sign_up",
    "signup",
    "staff_accounts",
    "start_sign_in",
    "studio_of",
    "touch_session",
]
