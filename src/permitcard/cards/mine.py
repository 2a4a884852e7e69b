"""What a worker reads about their own card: the card they hold now (state, masked numbers, the permit
information printed on it) and the application in progress, for ``GET /api/v1/me/card``."""

from __future__ import annotations

from dataclasses import dataclass

from permitcard.banks.service import Branch
from permitcard.cards import domain, service
from permitcard.cards import repository as repo
from permitcard.cards.models import Card, CardApplication
from permitcard.cards.views import branch_of
from permitcard.db import Database
from permitcard.shared.audit import Actor
from permitcard.shared.crypto import mask
from permitcard.shared.errors import N_, Forbidden, NotFound

# The card that counts when a person has several (a replacement on its way beside a suspended card).
_PRIORITY = {domain.CardState.ACTIVE: 0, domain.CardState.ISSUED: 1, domain.CardState.SUSPENDED: 2,
             domain.CardState.PRODUCED: 3}


@dataclass(frozen=True)
class HeldCard:
    card: Card | None
    branch: Branch | None
    ssn_masked: str
    bank_account_masked: str
    application: CardApplication | None  # the application in progress, if any


def held_card(db: Database, *, actor: Actor) -> HeldCard:
    """The worker's current card (never an invalidated one) and open application; 404 when not linked."""
    if actor.role != service.APPLICANT:
        raise Forbidden()
    if not actor.permit_number:
        raise NotFound(N_("No work permit is linked to your account yet"))
    with db.uow(write=False) as s:
        cards = [c for c in repo.cards_for_person(s, permit_number=actor.permit_number) if c.state in _PRIORITY]
        card = min(cards, key=lambda c: (_PRIORITY[domain.CardState(c.state)], -c.id)) if cards else None
        apps = [a for a in repo.applications_for_permit(s, actor.permit_number) if a.state in domain.OPEN_STATES]
        app = max(apps, key=lambda a: a.id) if apps else None
        return HeldCard(card=card, branch=branch_of(s, card.branch_id) if card else None,
                        ssn_masked=mask(card.ssn) if card else "",
                        bank_account_masked=mask(card.bank_account) if card else "", application=app)
