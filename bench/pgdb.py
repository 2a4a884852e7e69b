"""A PostgreSQL database of a bench's own, beside the one a URL names (which is never touched)."""

from __future__ import annotations

import atexit
import os

from sqlalchemy import text

from permitcard.db import make_engine


def own_database(url: str, prefix: str) -> str:
    """Create ``<prefix>_<pid>`` on the server of ``url``; it is dropped when the process exits. Its URL."""
    name = f"{prefix}_{os.getpid()}"
    base = url.rsplit("/", 1)[0]
    admin = make_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    atexit.register(drop)
    return f"{base}/{name}"
