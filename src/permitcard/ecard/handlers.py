"""Outbox handlers of the e-card (idempotent).

The e-card follows the physical card by reading its state live through ``cards.service`` on every
page, QR code and verification: a card reported lost or suspended suspends the e-card at the very
next request, and no copy of the card's state can fall behind. The events below only tell the
holder (once per card version) and leave a line in the e-card's audit trail.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from permitcard.cards.events import CardEvent, CardRestored, CardSuspended
from permitcard.ecard import domain
from permitcard.ecard import repository as repo
from permitcard.notifications.service import notify
from permitcard.shared import audit, outbox
from permitcard.shared.audit import Actor

_ACTIONS = {CardSuspended.name: "ecard_account.suspended_with_card",
            CardRestored.name: "ecard_account.restored_with_card"}
_TEMPLATES = {CardSuspended.name: "ecard_suspended", CardRestored.name: "ecard_restored"}


def on_card_changed(s: Session, event: CardEvent) -> None:
    account = repo.account_by_permit(s, event.permit_number) if event.permit_number else None
    if account is None or account.state != domain.ACCOUNT_VERIFIED:
        return
    key = f"ecard:{event.name}:{event.card_id}:{event.version}"
    audit.record(s, actor=Actor.system("ecard.card-events"), action=_ACTIONS[event.name],
                 target_type="ecard_account", target_id=account.id, after={"card_id": event.card_id})
    notify(s, to=account.contact_email, template=_TEMPLATES[event.name], locale=account.locale, dedupe_key=key,
           params={"name": f"{account.given_names} {account.family_name}".strip()})


def register() -> None:
    outbox.handles(CardSuspended, CardRestored)(on_card_changed)
