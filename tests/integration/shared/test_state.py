"""The one way to change state: table, stale version, audit row and event together."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from permitcard.cards import domain as card_domain
from permitcard.cards import service as cards
from permitcard.cards.models import Card
from permitcard.cards.service import move_card
from permitcard.shared import audit, state
from permitcard.shared.audit import Actor
from permitcard.shared.errors import Conflict, IllegalTransition
from permitcard.shared.events import event_type
from permitcard.shared.models import OutboxMessage
from tests.card_factories import INSTANT_BRANCH, bank_clerk, paper_application, ready_applicant

CLERK = Actor(user_id=3, role="bank_clerk", label="clerk@example.com", ip="127.0.0.1")


def _produced_card(db) -> Card:
    permit, _ssn, receipt, _user = ready_applicant(db)
    clerk = bank_clerk(db, INSTANT_BRANCH)
    app = paper_application(db, clerk, permit, receipt, channel="instant")
    cards.produce_instant(db, actor=clerk, application_id=app.id, version=app.version)
    with db.uow(write=False) as s:
        return s.execute(select(Card).where(Card.application_id == app.id)).scalar_one()


def test_a_legal_move_updates_audits_and_publishes_once(db) -> None:
    card = _produced_card(db)
    assert card is not None and card.state == "produced"
    with db.uow() as s:
        card = s.get(Card, card.id)
        move_card(s, card, seen=card.version, action="issue", actor=CLERK, values={})
        assert (card.state, card.version) == ("issued", 2)  # what was written, without a read-back
        s.commit()
    with db.uow(write=False) as s:
        rows = audit.history(s, target_type="card", target_id=card.id)
        assert rows[0].action == "card.issue" and rows[0].before["state"] == "produced"
        msg = s.execute(select(OutboxMessage).where(OutboxMessage.topic == "card.issued")).scalars().all()[-1]
    event = event_type("card.issued").from_payload(msg.payload)
    assert event.card_id == card.id and event.version == 2


def test_an_illegal_move_says_what_and_where_and_changes_nothing(db) -> None:
    card = _produced_card(db)
    with db.uow() as s, pytest.raises(IllegalTransition) as info:
        state.change(s, s.get(Card, card.id), machine=card_domain.CARD, action="activate", seen=card.version,
                     actor=CLERK)
    # The state in the reader's words (its label), never the raw code.
    assert info.value.status == 409 and info.value.params == {"action": "activate", "state": "Produced"}
    with db.uow(write=False) as s:
        assert s.get(Card, card.id).state == "produced"


def test_a_stale_version_is_refused_even_when_the_object_looks_current(db) -> None:
    card = _produced_card(db)
    with db.uow() as s:
        mine = s.get(Card, card.id)
        # Someone else moves the row behind our back; our in-memory copy still says version 1.
        s.execute(Card.__table__.update().where(Card.id == card.id).values(version=card.version + 1))
        with pytest.raises(Conflict):
            state.change(s, mine, machine=card_domain.CARD, action="issue", seen=card.version, actor=CLERK)
