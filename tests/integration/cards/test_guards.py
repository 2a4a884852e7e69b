"""Guards in the database: one active card per person, concurrent approvals, permit events."""

import threading
import uuid
from datetime import date

import pytest
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from permitcard.bootstrap import register_handlers
from permitcard.cards import handlers as events
from permitcard.cards import service as cards
from permitcard.cards.errors import AlreadyActiveCard
from permitcard.cards.models import Card, CardApplication
from permitcard.permits.events import PermitCancelled
from permitcard.shared import clock
from permitcard.shared.crypto import blind_index
from permitcard.shared.errors import Conflict
from tests.card_factories import agency_clerk, collected_card


def _card_row(ssn_hash: str, state: str) -> dict:
    return {"card_number": "Z" + uuid.uuid4().hex[:8], "bank_account": "6225680000000000001",
            "bank_account_last4": "0001", "branch_id": 1, "ssn": "X", "ssn_hash": ssn_hash, "state": state,
            "version": 1, "family_name": "TEST", "given_names": "", "produced_at": clock.now()}


def test_the_database_refuses_a_second_active_card_for_the_same_person(db):
    person = blind_index(uuid.uuid4().hex)
    with db.uow() as s:
        s.execute(insert(Card).values(**_card_row(person, "active")))
        s.execute(insert(Card).values(**_card_row(person, "invalidated")))  # others may coexist
        s.execute(insert(Card).values(**_card_row(blind_index("someone else"), "active")))
        s.commit()
    with db.uow() as s, pytest.raises(IntegrityError):
        s.execute(insert(Card).values(**_card_row(person, "active")))
        s.flush()


def test_activating_a_card_while_another_is_active_is_refused_by_the_index(db):
    permit, clerk, app = collected_card(db)
    with db.uow() as s:
        card = s.execute(select(Card).where(Card.application_id == app.id)).scalar_one()
        s.execute(insert(Card).values(**_card_row(card.ssn_hash, "active")))  # e.g. a legacy card
        s.commit()
    with pytest.raises(AlreadyActiveCard) as err:
        cards.activate(db, actor=clerk, card_id=card.id, version=card.version,
                       passport_number=permit.passport_number)
    assert err.value.status == 409
    with db.uow(write=False) as s:
        assert s.get(Card, card.id).state == "issued"


def test_permit_events_refresh_the_card_idempotently(db):
    permit, _clerk, app = collected_card(db)
    with db.uow() as s:
        card = s.execute(select(Card).where(Card.application_id == app.id)).scalar_one()
        card.permit_status, card.position = "stale", "Old position"
        s.commit()
    with db.uow() as s:
        assert events.refresh_permit(s, permit.permit_number) == 1
        s.commit()
    with db.uow() as s:
        assert events.refresh_permit(s, permit.permit_number) == 0
        card = s.execute(select(Card).where(Card.application_id == app.id)).scalar_one()
        assert card.permit_status == "valid" and card.position == permit.position
    from permitcard.shared import outbox

    register_handlers()
    assert events.on_permit_event in outbox.handlers_for(PermitCancelled)


def test_two_clerks_approving_at_once_one_wins(committed_db):
    real = committed_db
    with clock.frozen(date(2025, 9, 1)):
        from tests.card_factories import branch_id, ready_applicant

        permit, _ssn, receipt, user = ready_applicant(real)
        app = cards.apply_online(real, actor=user, branch_id=branch_id(real, "CCB-DG-BRANCH"),
                                 photo_receipt=receipt, passport_number=permit.passport_number)
        clerks = [agency_clerk(real), agency_clerk(real)]
        barrier = threading.Barrier(2)
        outcomes: list[str] = []

        def approve(actor):  # type: ignore[no-untyped-def]
            barrier.wait()
            try:
                cards.decide(real, actor=actor, application_id=app.id, version=app.version, action="approve")
                outcomes.append("ok")
            except Conflict:
                outcomes.append("conflict")

        with clock.frozen(date(2025, 9, 1)):
            threads = [threading.Thread(target=approve, args=(c,)) for c in clerks]
            for t in threads:
                t.start()
            for t in threads:
                t.join(30)
    assert sorted(outcomes) == ["conflict", "ok"]
    with real.uow(write=False) as s:
        row = s.get(CardApplication, app.id)
        assert row is not None and row.version == 3 and row.state == "in_production"


def test_two_clerks_issuing_replacements_for_one_person_at_once_one_wins(committed_db):
    """Two instant branches, the same person with a lost card, the same moment: exactly one new card."""
    from permitcard.cards.errors import NotEligible
    from tests.card_factories import bank_clerk
    from tests.integration.cards.test_loss import ZHONGXIN, active_card

    real = committed_db
    with clock.frozen(date(2025, 9, 1)):
        permit, worker, _clerk, old = active_card(real)
        cards.report_loss(real, actor=worker, card_id=old.id, version=old.version)
        clerks = [bank_clerk(real, "CGB-DG-MAIN"), bank_clerk(real, ZHONGXIN)]
        barrier = threading.Barrier(2)
        outcomes: list[str] = []

        def issue(actor):  # type: ignore[no-untyped-def]
            barrier.wait()
            try:
                app = cards.apply_replacement(real, actor=actor, card_id=old.id, reason="lost", channel="instant",
                                              passport_number=permit.passport_number)
                cards.record_payment(real, actor=actor, application_id=app.id, amount="20", method="cash")
                app = cards.produce_instant(real, actor=actor, application_id=app.id, version=app.version)
                cards.hand_over(real, actor=actor, application_id=app.id, version=app.version,
                                passport_number=permit.passport_number)
                outcomes.append("issued")
            except (Conflict, NotEligible) as exc:
                outcomes.append(type(exc).__name__)

        with clock.frozen(date(2025, 9, 1)):
            threads = [threading.Thread(target=issue, args=(c,)) for c in clerks]
            for t in threads:
                t.start()
            for t in threads:
                t.join(60)
    assert outcomes.count("issued") == 1 and len(outcomes) == 2, outcomes
    with real.uow(write=False) as s:
        held = s.execute(select(Card).where(Card.ssn_hash == old.ssn_hash)).scalars().all()
        assert sorted(c.state for c in held) == ["invalidated", "issued"]
        apps = s.execute(select(CardApplication).where(CardApplication.replaces_card_id == old.id)).scalars().all()
        assert len(apps) == 1
