"""Issue 10: the SQLite database and the mail drop hold personal data: only the service's user may read
them (files 0600, their folders 0700), whatever the umask."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from sqlalchemy import text

from permitcard.db import make_engine
from permitcard.notifications.adapters import FileMailer


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_sqlite_file_and_its_folder_are_private(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        path = tmp_path / "var" / "permitcard.db"
        engine = make_engine(f"sqlite:///{path}")
        with engine.begin() as conn:
            conn.execute(text("PRAGMA journal_mode=WAL"))
            conn.execute(text("CREATE TABLE t (x INTEGER)"))
            conn.execute(text("INSERT INTO t VALUES (1)"))
        assert _mode(path) == 0o600
        assert _mode(path.parent) == 0o700
        for side in (Path(f"{path}-wal"), Path(f"{path}-shm")):
            if side.exists():
                assert _mode(side) == 0o600, side
        engine.dispose()
        os.chmod(path, 0o644)  # an existing world-readable file is made private at the next start
        make_engine(f"sqlite:///{path}").dispose()
        assert _mode(path) == 0o600
    finally:
        os.umask(old)


def test_mail_drop_is_private(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        folder = tmp_path / "mail"
        FileMailer(folder).send(to="worker@example.com", subject="Your card", body="Hello", message_id="m1")
        assert _mode(folder) == 0o700
        assert _mode(folder / "m1.eml") == 0o600
    finally:
        os.umask(old)
