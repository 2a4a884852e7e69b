"""The worker delivers permit events to the cards in batches: one pass refreshes many cards, each audited."""

from __future__ import annotations

import logging

from sqlalchemy import func, select, update

from permitcard.bootstrap import register_handlers
from permitcard.cards.models import Card
from permitcard.permits.events import PermitChanged
from permitcard.permits.models import Permit, PermitPerson
from permitcard.shared import outbox
from permitcard.shared.models import AuditLog
from tests.card_factories import collected_card


def _drain(db) -> None:  # type: ignore[no-untyped-def]
    while outbox.dispatch(db):
        pass


def test_a_batch_of_permit_changes_reaches_every_card_in_one_pass(db, caplog):
    register_handlers()
    people = [collected_card(db)[0] for _ in range(3)]
    _drain(db)
    numbers = [p.permit_number for p in people]
    with db.uow() as s:  # the registry changes each permit: a new version, a new position, a Chinese name
        for n, number in enumerate(numbers):
            person_id = s.execute(select(PermitPerson.id).where(PermitPerson.permit_number == number)).scalar_one()
            s.execute(update(PermitPerson).where(PermitPerson.id == person_id).values(chinese_name=f"张{'三四五'[n]}"))
            permit = s.execute(select(Permit).where(Permit.person_id == person_id)).scalar_one()
            permit.version += 1
            permit.position = f"Chief engineer {n}"
            s.flush()
            outbox.publish(s, PermitChanged(permit_number=number, permit_id=permit.id, version=permit.version,
                                            employer_id=permit.employer_id, change="modified"))
        audits_before = s.scalar(select(func.count()).select_from(AuditLog)
                                 .where(AuditLog.action == "card.permit_refreshed"))
        s.commit()

    with caplog.at_level(logging.ERROR, logger="permitcard.outbox"):
        _drain(db)

    assert not [r for r in caplog.records if "one by one" in r.getMessage()], "the batch form failed"
    with db.uow(write=False) as s:
        cards = {c.permit_number: c for c in s.execute(select(Card).where(Card.permit_number.in_(numbers))).scalars()}
        for n, number in enumerate(numbers):
            assert cards[number].position == f"Chief engineer {n}"
            assert cards[number].chinese_name == f"张{'三四五'[n]}"
        refreshed = s.scalar(select(func.count()).select_from(AuditLog)
                             .where(AuditLog.action == "card.permit_refreshed"))
        assert refreshed == audits_before + 3
        assert not [m for m in outbox.pending(s) if m.topic == PermitChanged.name]

    # Delivered again (a replay): nothing changes, nothing more is audited.
    with db.uow() as s:
        for number in numbers:
            permit = s.execute(select(Permit).join(PermitPerson, Permit.person_id == PermitPerson.id)
                               .where(PermitPerson.permit_number == number)).scalar_one()
            outbox.publish(s, PermitChanged(permit_number=number, permit_id=permit.id, version=permit.version,
                                            employer_id=permit.employer_id, change="modified"))
        s.commit()
    _drain(db)
    with db.uow(write=False) as s:
        assert s.scalar(select(func.count()).select_from(AuditLog)
                        .where(AuditLog.action == "card.permit_refreshed")) == audits_before + 3
