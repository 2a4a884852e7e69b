from dataclasses import dataclass
from datetime import date, timedelta
from typing import ClassVar

from sqlalchemy import select

from permitcard.shared import clock, outbox
from permitcard.shared.events import Event
from permitcard.shared.models import OutboxDelivery, OutboxMessage


@dataclass(frozen=True)
class Flaky(Event):
    name: ClassVar[str] = "test.flaky"

    x: int
    on: date | None = None


@dataclass(frozen=True)
class Never(Event):
    name: ClassVar[str] = "test.never"


def test_outbox_runs_after_commit_retries_failures_and_never_loses_them(db):
    seen: list[Flaky] = []
    calls = {"n": 0}

    def flaky(s, event: Flaky):
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("mail server down")
        seen.append(event)

    outbox.handles(Flaky)(flaky)
    with db.uow() as s:
        outbox.publish(s, Flaky(x=1, on=date(2026, 12, 1)))
        s.commit()
    assert outbox.dispatch(db) == 0  # first try fails, recorded
    with db.uow(write=False) as s:
        msg = s.execute(select(OutboxMessage).where(OutboxMessage.topic == "test.flaky")).scalar_one()
        assert "mail server down" in msg.last_error and msg.processed_at is None
    with clock.frozen(clock.now() + timedelta(minutes=5)):
        assert outbox.dispatch(db) == 1
    assert seen == [Flaky(x=1, on=date(2026, 12, 1))]  # typed, dates and all
    with clock.frozen(clock.now() + timedelta(minutes=10)):
        assert outbox.dispatch(db) == 0  # done messages are not run twice


@dataclass(frozen=True)
class Approved(Event):
    name: ClassVar[str] = "test.approved"

    number: str


def test_a_failing_handler_is_retried_on_its_own_while_its_sibling_ran_once(db):
    mailed: list[str] = []
    tries = {"n": 0}

    def send_mail(s, event: Approved):
        mailed.append(event.number)

    def update_card(s, event: Approved):
        tries["n"] += 1
        if tries["n"] < 3:
            raise RuntimeError("card store down")

    outbox.handles(Approved)(send_mail)
    outbox.handles(Approved)(update_card)
    with db.uow() as s:
        outbox.publish(s, Approved(number="P-1"))
        s.commit()
    assert outbox.dispatch(db) == 0
    with clock.frozen(clock.now() + timedelta(minutes=1)):
        assert outbox.dispatch(db) == 0  # the card handler failed again; the mail is not sent again
    with db.uow(write=False) as s:
        msg = s.execute(select(OutboxMessage).where(OutboxMessage.topic == "test.approved")).scalar_one()
        rows = {d.handler.rsplit(".", 1)[-1]: d for d in s.execute(
            select(OutboxDelivery).where(OutboxDelivery.message_id == msg.id)).scalars()}
    assert rows["send_mail"].delivered_at is not None and rows["send_mail"].attempts == 1
    assert rows["update_card"].delivered_at is None and rows["update_card"].attempts == 2
    assert "card store down" in rows["update_card"].last_error and msg.processed_at is None
    with clock.frozen(clock.now() + timedelta(hours=1)):
        assert outbox.dispatch(db) == 1
    assert mailed == ["P-1"] and tries["n"] == 3
    with db.uow(write=False) as s:
        assert s.get(OutboxMessage, msg.id).processed_at is not None


def test_a_rolled_back_change_publishes_nothing(db):
    with db.uow() as s:
        outbox.publish(s, Never())
        # no commit: the unit of work rolls back
    with db.uow(write=False) as s:
        assert s.execute(select(OutboxMessage).where(OutboxMessage.topic == "test.never")).first() is None
