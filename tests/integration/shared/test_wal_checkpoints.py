"""SQLite's write-ahead log in the long-running processes: a thread copies it into the database file
(``db.WalCheckpointer``), so no commit pays for a checkpoint and its fsync while it holds the one
writer; the CLI and tests keep SQLite's own checkpoints."""

from __future__ import annotations

import os
import sqlite3
import time

from fastapi.testclient import TestClient
from sqlalchemy import text

from permitcard.config import get_settings
from permitcard.db import Database
from permitcard.main import create_app
from permitcard.migrate import upgrade

ROW = b"x" * 4000  # about one page


def _autocheckpoint(db: Database) -> int:
    with db.engine.connect() as c:
        return int(c.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar_one())


def _write(db: Database, commits: int) -> None:
    for _ in range(commits):
        with db.uow() as s:
            for _ in range(5):
                s.execute(text("INSERT INTO t (x) VALUES (:x)"), {"x": ROW})
            s.commit()


def test_commits_leave_the_log_to_the_thread_which_copies_all_of_it(tmp_path):
    path = tmp_path / "c.db"
    served = Database.from_url(f"sqlite:///{path}", background_checkpoints=True)
    assert served.checkpointer is not None and _autocheckpoint(served) == 0
    with served.uow() as s:
        s.execute(text("CREATE TABLE t (x BLOB)"))
        s.commit()
    served.checkpointer.stop()  # nobody checkpoints now: the commits must not either
    _write(served, 300)  # about 1,800 pages: SQLite's own rule would have checkpointed at 1,000
    wal = f"{path}-wal"
    assert os.path.getsize(wal) > 1_500 * 4096, os.path.getsize(wal)

    another = Database.from_url(f"sqlite:///{path}", background_checkpoints=True)  # a process starting
    deadline = time.monotonic() + 10
    assert another.checkpointer is not None
    while another.checkpointer.checkpoints == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert another.checkpointer.checkpoints >= 1
    raw = sqlite3.connect(path)
    busy, frames, copied = raw.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    assert busy == 0 and frames == copied  # all of it is in the database file
    raw.close()
    another.close()
    served.close()
    assert another.checkpointer is None


def test_the_cli_and_tests_keep_sqlites_own_checkpoints(tmp_path):
    db = Database.from_url(f"sqlite:///{tmp_path}/d.db")
    assert db.checkpointer is None and _autocheckpoint(db) == 1000
    db.close()


def test_a_served_app_checkpoints_in_the_background_until_it_stops(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path}/app.db"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("PERMITCARD_VAR_DIR", str(tmp_path))
    get_settings.cache_clear()
    try:
        upgrade(url)
        app = create_app(get_settings())
        with TestClient(app) as client:
            assert client.get("/healthz").status_code == 200
            checkpointer = app.state.db.checkpointer
            assert checkpointer is not None and _autocheckpoint(app.state.db) == 0
        assert app.state.db.checkpointer is None and not checkpointer._thread.is_alive()
    finally:
        get_settings.cache_clear()
