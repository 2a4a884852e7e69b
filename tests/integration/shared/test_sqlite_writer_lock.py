"""SQLite's one writer: every process takes ``<file>.lock`` before BEGIN IMMEDIATE, so a request waiting
behind the worker is woken when the worker commits instead of polling SQLite's busy handler; the
worker sizes its batches to hold the lock a few milliseconds."""

from __future__ import annotations

import threading
import time

from sqlalchemy import text

from permitcard import worker
from permitcard.db import Database, make_engine
from permitcard.shared import outbox


def test_a_writer_of_another_connection_waits_for_the_lock_and_then_writes(tmp_path):
    url = f"sqlite:///{tmp_path}/w.db"
    web, other = Database(make_engine(url)), Database(make_engine(url))  # two processes' worth of locks
    with web.uow() as s:
        s.execute(text("CREATE TABLE t (x INTEGER)"))
        s.commit()
    held, released = threading.Event(), []

    def hold() -> None:
        with other.uow() as s:
            s.execute(text("INSERT INTO t VALUES (1)"))
            held.set()
            time.sleep(0.3)
            s.commit()
            released.append(time.perf_counter())

    t = threading.Thread(target=hold)
    t.start()
    held.wait(5)
    with web.uow() as s:  # blocks on the lock file, not on SQLite's busy handler
        entered = time.perf_counter()
        s.execute(text("INSERT INTO t VALUES (2)"))
        s.commit()
    t.join()
    assert released and entered >= released[0]
    assert entered - released[0] < 0.05  # woken at the release, not at a later poll
    with web.uow(write=False) as s:
        assert s.execute(text("SELECT count(*) FROM t")).scalar_one() == 2
    assert (tmp_path / "w.db.lock").stat().st_mode & 0o777 == 0o600


def test_the_worker_takes_as_many_messages_as_fit_in_its_hold_time():
    assert worker.sqlite_batch(100, 0.020) == int(outbox.SQLITE_HOLD / 0.0002)  # permit events: 0.2 ms each
    assert worker.sqlite_batch(10, 0.004) == int(outbox.SQLITE_HOLD / 0.0004)  # a registration's: 0.4 ms each
    assert worker.sqlite_batch(10, 0.010) == outbox.SQLITE_MIN_BATCH  # e-mails: 1 ms each, never fewer than 5
    assert worker.sqlite_batch(1, 0.00001) == outbox.SQLITE_BATCH  # never more than the cap
