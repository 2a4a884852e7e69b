"""E-mails leave after the worker's transaction has committed, with no database lock held (an SMTP relay
may take seconds); a failed send is tried again after a back-off, and a message whose worker stopped
between the commit and the send goes out once its lease is over. Each message is sent once. On a database
whose units of work really commit (SQLite file or PostgreSQL)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from permitcard.bootstrap import adapters, import_models, install
from permitcard.db import Base, Database, make_engine
from permitcard.notifications import service as notifications
from permitcard.notifications.adapters import FileMailer
from permitcard.notifications.models import Notification
from permitcard.shared import clock, outbox
from tests.conftest import PG_URL, fresh_pg_database

PARAMS = {"reference": "SSC-TEST1234", "name": "Maria García", "branch": "CCB Dongguan Branch",
          "branch_address": "2 Hongfu Road"}


@pytest.fixture
def real_db(tmp_path: Path) -> Iterator[Database]:
    import_models()
    if PG_URL:
        with fresh_pg_database("permitcard_mail") as url:
            engine = make_engine(url)
            Base.metadata.create_all(engine)
            yield Database(engine)
            engine.dispose()
    else:
        engine = make_engine(f"sqlite:///{tmp_path}/mail.db")
        Base.metadata.create_all(engine)
        yield Database(engine)
        engine.dispose()


class Recorder:
    """A mailer that keeps what it was given, and can be made to fail or to look at the database."""

    def __init__(self, db: Database, folder: Path) -> None:
        self.db, self.file = db, FileMailer(folder)
        self.sent: list[str] = []
        self.failing = False
        self.during: list[tuple[bool, bool]] = []  # (row committed and unsent, another writer got through)

    def send(self, *, to: str, subject: str, body: str, message_id: str) -> None:
        if self.failing:
            raise ConnectionRefusedError("relay down")
        self.during.append((self._row_committed_unsent(int(message_id)), self._another_writer_gets_through()))
        self.file.send(to=to, subject=subject, body=body, message_id=message_id)
        self.sent.append(to)

    def _row_committed_unsent(self, nid: int) -> bool:
        with self.db.engine.connect() as c:  # a connection of its own: it sees committed rows only
            row = c.execute(select(Notification.sent_at).where(Notification.id == nid)).first()
        return row is not None and row.sent_at is None

    def _another_writer_gets_through(self) -> bool:
        done = threading.Event()

        def write() -> None:
            with self.db.uow() as s:  # on SQLite: the one writer lock and BEGIN IMMEDIATE
                s.execute(update(Notification).where(Notification.id == -1).values(last_error=""))
                s.commit()
            done.set()

        t = threading.Thread(target=write, daemon=True)
        t.start()
        t.join(timeout=5)
        return done.is_set()


@pytest.fixture
def mailer(real_db: Database, tmp_path: Path) -> Iterator[Recorder]:
    assembled = adapters()
    recorder = Recorder(real_db, tmp_path / "mail")
    install(replace(assembled, mailer=recorder))
    yield recorder
    install(assembled)


def _queue(db: Database, key: str, to: str = "maria@example.com") -> None:
    with db.uow() as s:
        notifications.notify(s, to=to, template="card_ready", params=PARAMS, locale="en", dedupe_key=key)
        s.commit()


def _row(db: Database, key: str) -> Notification:
    with db.uow(write=False) as s:
        return s.execute(select(Notification).where(Notification.dedupe_key == key)).scalar_one()


def test_a_mail_goes_to_the_mailer_after_its_batch_committed_and_no_lock_is_held(real_db, mailer):
    _queue(real_db, "after-commit:1")
    assert outbox.dispatch(real_db) == 1
    assert mailer.sent == ["maria@example.com"]
    assert mailer.during == [(True, True)]  # the row was committed (unsent) and another writer went ahead
    assert _row(real_db, "after-commit:1").sent_at is not None


def test_a_failed_send_is_tried_again_after_a_back_off_and_then_sent_once(real_db, mailer):
    _queue(real_db, "retry:1")
    mailer.failing = True
    assert outbox.dispatch(real_db) == 1  # the event is handled: its row is written, the send is what failed
    row = _row(real_db, "retry:1")
    assert row.sent_at is None and row.attempts == 1 and "relay down" in row.last_error
    mailer.failing = False
    assert notifications.send_unsent(real_db) == 0 and mailer.sent == []  # still in its back-off
    with clock.frozen(clock.now() + timedelta(minutes=2)):
        assert notifications.send_unsent(real_db) == 1
        assert notifications.send_unsent(real_db) == 0
    row = _row(real_db, "retry:1")
    assert mailer.sent == ["maria@example.com"] and row.sent_at is not None and row.last_error == ""


def test_a_mail_whose_worker_stopped_after_the_commit_goes_out_when_its_lease_is_over(real_db, mailer):
    _queue(real_db, "lease:1")
    batch = outbox.handle(real_db)  # committed; the worker "dies" before outbox.finish
    assert batch.done == 1 and batch.after
    assert notifications.send_unsent(real_db) == 0  # its writer's lease: nobody else sends it yet
    with clock.frozen(clock.now() + notifications.LEASE + timedelta(seconds=1)):
        assert notifications.send_unsent(real_db) == 1
    assert mailer.sent == ["maria@example.com"] and _row(real_db, "lease:1").sent_at is not None
    assert outbox.dispatch(real_db) == 0  # nothing left in the outbox either


def test_two_sweeps_at_once_send_each_waiting_mail_once(real_db, mailer):
    for i in range(30):
        _queue(real_db, f"sweep:{i}", to=f"p{i}@example.com")
        outbox.handle(real_db)  # written, never handed over
    later = clock.now() + notifications.LEASE + timedelta(seconds=1)
    with clock.frozen(later):
        threads = [threading.Thread(target=notifications.send_unsent, args=(real_db,), kwargs={"limit": 4})
                   for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
    assert sorted(mailer.sent) == sorted(f"p{i}@example.com" for i in range(30))
