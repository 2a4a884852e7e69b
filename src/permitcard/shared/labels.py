"""The one place a code (a state, a role, an audit action, a record kind) becomes words for people.

Every enumeration that reaches a page, an e-mail or an export registers its labels here (message ids,
translated when shown); templates use one filter, ``{{ code|label("permit_status") }}``. An audit
action ``kind.verb`` is named from its record kind and its verb. A code nobody registered is shown
as it is, and ``tests/unit/shared/test_labels.py`` fails on it: every code the source can write
must have a label in both languages.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from permitcard.shared import i18n
from permitcard.shared.errors import N_

_LABELS: dict[str, dict[str, str]] = {}
_CONTEXTS: dict[str, str] = {}


def register(kind: str, labels: Mapping[Any, str], *, context: str | None = None) -> None:
    """Add ``code -> message id`` labels of one enumeration (``context`` for pgettext)."""
    _LABELS.setdefault(kind, {}).update({str(k): v for k, v in labels.items()})
    if context:
        _CONTEXTS[kind] = context


def msgid(code: str | None, kind: str) -> str | None:
    """The message id of a code, or None when it has none."""
    return _LABELS.get(kind, {}).get(str(code)) if code is not None else None


def label(code: object, kind: str) -> str:
    """``code`` in the reader's language (the code itself where no label is registered)."""
    if code is None or code == "":
        return ""
    text = str(code)
    if kind == "audit_action":
        record, _, verb = text.partition(".")
        if msgid(record, "record") and msgid(verb, "audit_verb"):
            sep = "：" if i18n.get_locale() == "zh_Hans" else ": "
            return f"{label(record, 'record')}{sep}{label(verb, 'audit_verb')}"
        return text
    found = msgid(text, kind)
    if found is None:
        return text
    context = _CONTEXTS.get(kind)
    return i18n.pgettext(context, found) if context else i18n.gettext(found)


# Which enumeration a value recorded in an audit row's before/after belongs to: (record kind, field).
FIELD_KINDS: dict[tuple[str, str], str] = {
    ("user", "role"): "role", ("invitation", "role"): "role", ("card", "state"): "card_state",
    ("card_application", "state"): "card_state", ("card_application", "kind"): "card_kind",
    ("card_application", "channel"): "card_channel", ("card_application", "via"): "card_via",
    ("permit_application", "state"): "permit_application_state", ("permit", "status"): "permit_status",
    ("insurance_registration", "state"): "insurance_state", ("insurance_registration", "channel"): "insurance_channel",
    ("insurance_registration", "credential"): "credential", ("employer", "state"): "employer_state",
}


def field_value(value: object, record: str, field: str) -> object:
    """A value of an audit row's before/after, labelled where the field holds a code."""
    kind = FIELD_KINDS.get((record, field))
    return label(value, kind) if kind and isinstance(value, str) else value


def kinds() -> dict[str, dict[str, str]]:
    return {k: dict(v) for k, v in _LABELS.items()}


# ---------------------------------------------------------------- the audit log's own vocabulary
# What an audit row touched (its target type, and the first part of its action).
register("record", {
    "bank_branch": N_("Bank branch"), "calendar": N_("Working-day calendar"),
    "calendar_year": N_("Working-day calendar"), "card": N_("Card"),
    "card_application": N_("Card application"), "card_payment": N_("Card fee payment"),
    "ecard_account": N_("E-card account"), "employer": N_("Employer"), "export": N_("Export"),
    "insurance_person": N_("Insured person"), "insurance_registration": N_("Insurance registration"),
    "invitation": N_("Invitation"), "permit": N_("Work permit"), "permit_application": N_("Permit application"),
    "permit_person": N_("Permit holder"), "photo": N_("Card photo"), "photo_studio": N_("Photo studio"),
    "policy_city": N_("City rules"), "policy_rule": N_("City rule"), "request": N_("Request"),
    "security": N_("Security"), "user": N_("User account"), "branch": N_("Bank branch"),
})

# What happened (the second part of an audit action; state-machine actions and their verbs too).
register("audit_verb", {
    "accepted": N_("accepted"), "activate": N_("activated"), "added": N_("added"), "approve": N_("approved"),
    "approved": N_("approved"), "assigned": N_("assigned"), "attempt_blocked": N_("attempt blocked"),
    "audit_log": N_("audit log exported"),
    "cancel": N_("cancelled"), "card_applications": N_("card applications exported"),
    "card_fee_report": N_("fee report exported"), "changed": N_("changed"), "code_failed": N_("wrong code"),
    "code_resent": N_("code sent again"), "colleague_removed": N_("colleague removed"), "created": N_("created"),
    "correction_requested": N_("correction requested"), "csrf_failed": N_("form check failed"),
    "disabled": N_("disabled"), "enabled": N_("enabled"), "filed": N_("filed"), "forbidden": N_("access refused"),
    "hand_over": N_("handed over"), "insurance_registrations": N_("insurance registrations exported"),
    "invalidate": N_("invalidated"),
    "locale_changed": N_("language changed"), "issue": N_("issued"), "issued": N_("issued"),
    "mark_ready": N_("ready for collection"), "password_change_failed": N_("password change failed"),
    "password_changed": N_("password changed"), "password_reset": N_("password reset"),
    "password_reset_requested": N_("password reset requested"),
    "permit_applications": N_("permit applications exported"),
    "permit_linked": N_("permit linked"), "permit_notice": N_("permit notice downloaded"),
    "permit_refreshed": N_("permit information updated"),
    "produced": N_("produced"), "recorded": N_("recorded"),
    "recovery_code_used": N_("recovery code used"), "recovery_codes_renewed": N_("recovery codes renewed"),
    "refresh_reused": N_("sign-in token reused"), "refuse": N_("refused"), "refused": N_("refused"),
    "register": N_("registered"), "registered": N_("registered"), "registered_again": N_("registered again"),
    "registration_refused": N_("registration refused"),
    "registration_requested": N_("registration requested"), "registration_repeated": N_("registration repeated"),
    "reject": N_("rejected"), "rejected": N_("rejected"), "restore": N_("restored"),
    "restored_with_card": N_("restored with the card"), "resubmit": N_("resubmitted"),
    "resubmitted": N_("resubmitted"), "return": N_("returned for correction"),
    "returned": N_("returned for correction"),
    "revoked": N_("withdrawn"), "second_factor_enrolled": N_("second factor set up"),
    "second_factor_failed": N_("wrong second-factor code"), "second_factor_removed": N_("second factor turned off"),
    "second_factor_reset": N_("second factor reset"), "seeded": N_("loaded"), "sent": N_("sent"), "set": N_("set"),
    "sign_in_failed": N_("sign-in failed"), "signed_in": N_("signed in"), "signed_out": N_("signed out"),
    "ssn_assigned": N_("social security number assigned"), "ssn_shown": N_("social security number shown"),
    "start_production": N_("production started"), "submitted": N_("submitted"), "suspend": N_("suspended"),
    "suspended_with_card": N_("suspended with the card"), "tokens_issued": N_("signed in"),
    "updated": N_("updated"), "used": N_("used"), "uploaded": N_("uploaded"), "verified": N_("verified"),
    "verify": N_("verified"), "withdraw": N_("withdrawn"), "withdrawn": N_("withdrawn"),
    "year_entered": N_("year entered"),
    # permit lifecycle, legacy import, the calendar cliff, the throttle and the oracles
    "attempts_throttled": N_("attempts throttled"), "expired": N_("expired"),
    "expiry_reminder_sent": N_("expiry reminder sent"), "imported": N_("imported"),
    "password_check_failed": N_("wrong password"), "permit_link_refused": N_("permit link refused"),
    "permit_lookup_refused": N_("permit look-up refused"), "promised_date_set": N_("promised date set"),
    "sign_up_requested": N_("sign-up requested"), "ssn_imported": N_("SSN imported"),
})

# Who acted, beside the roles (``auth`` registers those).
register("role", {"system": N_("System"), "anonymous": N_("Not signed in")})
