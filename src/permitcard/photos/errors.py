from __future__ import annotations

from permitcard.shared.errors import N_, RuleViolation


class StudioNotAccredited(RuleViolation):
    code = "studio_not_accredited"
    title = N_("Your studio's accreditation is not valid today, so you cannot upload new photos. "
               "Ask the administrator to renew it.")
