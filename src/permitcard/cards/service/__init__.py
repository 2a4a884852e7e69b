"""Use cases of the physical card (SPEC §4), one module per group of use cases; every public name is
re-exported here, so callers write ``from permitcard.cards import service`` as before.

- ``common``: ownership loaders, ``move_card`` / ``move_application``, eligibility, fees;
- ``apply``: apply online or at the branch, resubmit, cancel;
- ``production``: the agency's decision, production, the permit snapshot on a card;
- ``branch``: receipt from the vendor, instant production, hand-over, activation;
- ``loss``: report loss, restore, replacement, the fee payment at the branch.

Each command is one unit of work with exactly one commit. Aggregates are changed through a guarded
``UPDATE … WHERE version = seen``: of two clerks acting on the same version one wins, the other
gets Conflict (409). Reads and ownership live in ``cards.views``; commands load through the same
ownership rules (a record that is not yours is NotFound).
"""

from permitcard.cards.service.apply import (
    apply_at_branch,
    apply_online,
    cancel,
    check_branch_form,
    check_online_passport,
    check_online_photo,
    resubmit,
    validate_branch_form,
)
from permitcard.cards.service.branch import activate, confirm_receipt, hand_over, produce_instant
from permitcard.cards.service.common import (
    AGENCY,
    APPLICANT,
    AUDITOR,
    BANK,
    CARD_EVENTS,
    SYSTEM,
    can_see_application,
    can_see_card,
    card_fee_fen,
    eligibility_in,
    load_application,
    load_card,
    move_application,
    move_card,
)
from permitcard.cards.service.loss import (
    CardCheck,
    CounterResult,
    apply_replacement,
    card_check,
    find_at_counter,
    record_payment,
    replacement_fee_fen,
    report_loss,
    restore,
    verify_card,
)
from permitcard.cards.service.production import (
    DECISIONS,
    apply_snapshot,
    can_produce,
    decide,
    permit_values,
    produce,
    set_waiting_promised_dates,
    start_production,
    waiting_reason,
)

__all__ = [
    "AGENCY",
    "APPLICANT",
    "AUDITOR",
    "BANK",
    "CARD_EVENTS",
    "DECISIONS",
    "SYSTEM",
    "CardCheck",
    "CounterResult",
    "activate",
    "apply_at_branch",
    "apply_online",
    "apply_replacement",
    "apply_snapshot",
    "can_produce",
    "can_see_application",
    "can_see_card",
    "cancel",
    "card_check",
    "card_fee_fen",
    "check_branch_form",
    "check_online_passport",
    "check_online_photo",
    "confirm_receipt",
    "decide",
    "eligibility_in",
    "find_at_counter",
    "hand_over",
    "load_application",
    "load_card",
    "move_application",
    "move_card",
    "permit_values",
    "produce",
    "produce_instant",
    "record_payment",
    "replacement_fee_fen",
    "report_loss",
    "restore",
    "resubmit",
    "set_waiting_promised_dates",
    "start_production",
    "validate_branch_form",
    "verify_card",
    "waiting_reason",
]
