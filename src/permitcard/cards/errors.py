"""Errors of the cards context."""

from __future__ import annotations

from permitcard.shared.errors import N_, Conflict, RuleViolation


class NotEligible(RuleViolation):
    code = "card_not_eligible"
    title = N_("You cannot apply for a card now")


class WaitingForSsn(RuleViolation):
    code = "card_waiting_for_ssn"
    title = N_("The card cannot be produced yet")


class AlreadyActiveCard(Conflict):
    code = "card_already_active"
    title = N_("This person already has an active card. Only one card can be active at a time.")


class ReplacementExists(Conflict):
    code = "card_replacement_exists"
    title = N_("A replacement for this card has already been applied for.")


class AlreadyPaid(Conflict):
    code = "card_fee_already_paid"
    title = N_("The fee for this application has already been recorded.")
