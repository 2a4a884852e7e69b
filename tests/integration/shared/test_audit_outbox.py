from datetime import timedelta

from sqlalchemy import select, update

from permitcard.shared import audit, clock, outbox
from permitcard.shared.audit import Actor
from permitcard.shared.models import AuditLog, OutboxMessage

ACTOR = Actor(user_id=7, role="agency_clerk", label="clerk@example.com", ip="127.0.0.1")


def _write(db, n):
    with db.uow() as s:
        for i in range(n):
            audit.record(s, actor=ACTOR, action="thing.changed", target_type="thing", target_id=i,
                         before={"state": "a"}, after={"state": "b", "passport_number": "E12345678"})
        s.commit()


def test_the_chain_verifies_end_to_end_and_masks_personal_data(db):
    _write(db, 5)
    with db.uow(write=False) as s:
        report = audit.verify(s)
        rows = s.execute(select(AuditLog).order_by(AuditLog.seq)).scalars().all()
    assert report.ok and report.rows == 5
    assert rows[0].after["passport_number"] == "•••••5678"
    assert rows[1].prev_hash == rows[0].hash


def test_editing_a_row_is_detected_at_that_row(db):
    _write(db, 4)
    with db.uow() as s:
        s.execute(update(AuditLog).where(AuditLog.seq == 3).values(actor_label="someone-else"))
        s.commit()
    with db.uow(write=False) as s:
        report = audit.verify(s)
    assert not report.ok and report.first_bad_seq == 3


def test_deleting_the_last_row_is_detected(db):
    _write(db, 3)
    with db.uow() as s:
        s.delete(s.execute(select(AuditLog).where(AuditLog.seq == 3)).scalar_one())
        s.commit()
    with db.uow(write=False) as s:
        assert not audit.verify(s).ok


def test_outbox_runs_after_commit_retries_failures_and_never_loses_them(db):
    seen: list[dict] = []
    calls = {"n": 0}

    def flaky(s, payload):
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("mail server down")
        seen.append(payload)

    outbox.subscribe("test.flaky")(flaky)
    with db.uow() as s:
        outbox.publish(s, "test.flaky", {"x": 1})
        s.commit()
    assert outbox.dispatch(db) == 0  # first try fails, recorded
    with db.uow(write=False) as s:
        msg = s.execute(select(OutboxMessage).where(OutboxMessage.topic == "test.flaky")).scalar_one()
        assert msg.attempts == 1 and "mail server down" in msg.last_error and msg.processed_at is None
    with clock.frozen(clock.now() + timedelta(minutes=5)):
        assert outbox.dispatch(db) == 1
    assert seen == [{"x": 1}]
    with clock.frozen(clock.now() + timedelta(minutes=10)):
        assert outbox.dispatch(db) == 0  # done messages are not run twice


def test_a_rolled_back_change_publishes_nothing(db):
    with db.uow() as s:
        outbox.publish(s, "test.never", {})
        # no commit: the unit of work rolls back
    with db.uow(write=False) as s:
        assert s.execute(select(OutboxMessage).where(OutboxMessage.topic == "test.never")).first() is None
