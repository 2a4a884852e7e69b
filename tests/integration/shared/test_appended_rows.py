"""Appended rows (audit, outbox): written with the unit of work's next flush, one INSERT per table,
seen by the transaction's own queries, dropped by a rollback."""

from __future__ import annotations

from sqlalchemy import func, select

from permitcard.shared import audit
from permitcard.shared.audit import Actor
from permitcard.shared.models import AuditLog

ACTOR = Actor(user_id=None, role="system", label="test")


def _count(s, action):
    return s.execute(select(func.count()).select_from(AuditLog).where(AuditLog.action == action)).scalar_one()


def test_a_query_in_the_same_transaction_sees_the_rows_appended_before_it(db):
    with db.uow() as s:
        for i in range(3):
            audit.record(s, actor=ACTOR, action="thing.appended", target_type="thing", target_id=i)
        assert _count(s, "thing.appended") == 3
        s.commit()
    with db.uow(write=False) as s:
        assert _count(s, "thing.appended") == 3


def test_a_commit_without_any_orm_object_writes_the_appended_rows(db):
    with db.uow() as s:
        audit.record(s, actor=ACTOR, action="thing.only_appended", target_type="thing", target_id=1)
        s.commit()
    with db.uow(write=False) as s:
        assert _count(s, "thing.only_appended") == 1


def test_a_rollback_drops_the_rows_not_yet_written(db):
    with db.uow() as s:
        audit.record(s, actor=ACTOR, action="thing.rolled_back", target_type="thing", target_id=1)
        s.rollback()
        s.commit()
    with db.uow(write=False) as s:
        assert _count(s, "thing.rolled_back") == 0


def test_a_savepoint_rolled_back_drops_what_was_appended_inside_it_and_keeps_what_came_before(db):
    with db.uow() as s:
        audit.record(s, actor=ACTOR, action="thing.kept", target_type="thing", target_id=1)
        nested = s.begin_nested()
        audit.record(s, actor=ACTOR, action="thing.undone", target_type="thing", target_id=2)
        nested.rollback()
        audit.record(s, actor=ACTOR, action="thing.kept", target_type="thing", target_id=3)
        s.commit()
    with db.uow(write=False) as s:
        assert _count(s, "thing.kept") == 2
        assert _count(s, "thing.undone") == 0
