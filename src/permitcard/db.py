"""Engine, declarative Base and the unit of work.

A use case runs inside ``db.uow()``: one session, one transaction, rolled back unless the
service calls ``session.commit()`` exactly once. On SQLite, writers are serialised by a process
lock (threads fighting for SQLite's own file lock give second-long tail latencies); on PostgreSQL
many processes write concurrently and optimistic ``version`` columns settle races.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import logging
import os
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, MetaData, Table, create_engine, event, insert
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from permitcard.prebuilt import Prebuilt

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


@functools.cache
def _inserting(table: Table) -> Prebuilt:
    return Prebuilt(insert(table))


class AppSession(Session):
    """A session that also carries **appended rows**: rows of append-only tables (the audit log, the
    outbox) that nothing in the unit of work reads back as objects. ``append(table, row)`` keeps the
    plain values; they are written as one multi-row INSERT per table when the session next flushes
    (before a query, at commit, or when asked), so they cost no ORM object and no unit-of-work
    bookkeeping. A rollback (of the transaction or of a savepoint) drops those not yet written."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._appended: dict[Table, list[dict[str, Any]]] = {}

    def append(self, table: Table, row: dict[str, Any]) -> None:
        self._appended.setdefault(table, []).append(row)

    def write_appended(self) -> None:
        if not self._appended:
            return
        pending, self._appended = self._appended, {}
        for table, rows in pending.items():
            by_keys: dict[tuple[str, ...], list[dict[str, Any]]] = {}
            for row in rows:  # one statement per shape of row (an explicit id is rare: a test's)
                by_keys.setdefault(tuple(row), []).append(row)
            for group in by_keys.values():
                _inserting(table).run_many(self, group)

    def flush(self, objects: Any = None) -> None:
        if objects is None:  # a whole flush (a targeted one, of a new object, leaves them for the batch)
            self.write_appended()
        super().flush(objects)

    def rollback(self) -> None:
        self._appended = {}
        super().rollback()

    def close(self) -> None:
        self._appended = {}
        super().close()

    def execute(self, statement: Any, *args: Any, **kwargs: Any) -> Any:
        # A query sees what was appended before it (a write needs not).
        if self._appended and not getattr(statement, "is_dml", False):
            self.write_appended()
        return super().execute(statement, *args, **kwargs)

    def scalar(self, statement: Any, *args: Any, **kwargs: Any) -> Any:
        if self._appended and not getattr(statement, "is_dml", False):
            self.write_appended()
        return super().scalar(statement, *args, **kwargs)

    def scalars(self, statement: Any, *args: Any, **kwargs: Any) -> Any:
        if self._appended and not getattr(statement, "is_dml", False):
            self.write_appended()
        return super().scalars(statement, *args, **kwargs)


def append(session: Session, table: Table, row: dict[str, Any]) -> None:
    """Append a row to an append-only table in the session's transaction (see ``AppSession``); a
    plain session (a bulk job's) writes it at once."""
    if isinstance(session, AppSession):
        session.append(table, row)
    else:
        _inserting(table).run_many(session, [row])


@event.listens_for(AppSession, "before_commit")
def _write_appended(session: Session) -> None:
    # A commit flushes only a session with pending objects: appended rows are written here either way.
    if isinstance(session, AppSession):
        session.write_appended()


@event.listens_for(AppSession, "after_soft_rollback")
def _drop_appended(session: Session, _previous: Any) -> None:
    if isinstance(session, AppSession):
        session._appended = {}


def normalise_url(url: str) -> str:
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def _sqlite_pragmas(dbapi_connection: Any, _record: Any, *, autocheckpoint: bool = True) -> None:
    # Let SQLAlchemy, not pysqlite, emit BEGIN, so SAVEPOINTs work (SQLAlchemy docs, pysqlite).
    dbapi_connection.isolation_level = None
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    if not autocheckpoint:
        cur.execute("PRAGMA wal_autocheckpoint=0")  # a WalCheckpointer thread does it (below)
    cur.close()


class WalCheckpointer:
    """Copies SQLite's write-ahead log into the database file from a thread of its own, outside every
    unit of work, for the long-running processes (the web app, ``permitcard worker``).

    By default SQLite checkpoints inside the commit that takes the log past 1000 pages: with synchronous
    NORMAL that commit also waits for the file's fsync, all while it holds the one writer (db._WriterLock)
    that every other registration waits for. A registration writes about 40 pages, so one commit in
    25 paid for it (the use case in-process: 5.0–5.2 ms a registration, 4.0–4.3 without). Here a PASSIVE
    checkpoint runs every ``interval`` seconds on its own connection, while writers go on appending
    (SQLite lets one checkpointer run beside writers and readers); the processes that start one open their
    connections with ``wal_autocheckpoint=0``. Processes that do not (the CLI, tests) keep SQLite's own."""

    def __init__(self, path: str, interval: float = 0.25) -> None:
        self.path, self.interval = path, interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="wal-checkpointer", daemon=True)
        self.checkpoints = 0  # checkpoints that copied something (tests, operators)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)

    def checkpoint(self, conn: sqlite3.Connection) -> None:
        busy, frames, copied = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        if copied > 0:
            self.checkpoints += 1
        if frames > 50_000:  # about 200 MB: a reader that never ends keeps the log from starting over
            _log.warning("the SQLite write-ahead log has %s pages (%s copied; busy=%s)", frames, copied, busy)

    def _run(self) -> None:
        conn = sqlite3.connect(self.path, isolation_level=None)
        try:
            conn.execute("PRAGMA busy_timeout=1000")
            while not self._stop.wait(self.interval):
                try:
                    self.checkpoint(conn)
                except sqlite3.Error as exc:  # e.g. the file moved away under a test; try again later
                    _log.warning("WAL checkpoint failed: %s", exc)
            self.checkpoint(conn)  # what the last commits wrote, before the process ends
        except sqlite3.Error as exc:
            _log.warning("WAL checkpoint failed: %s", exc)
        finally:
            conn.close()


def _sqlite_begin(conn: Connection) -> None:
    # A writer takes SQLite's write lock at BEGIN (waiting up to busy_timeout for another process,
    # e.g. the outbox worker). A deferred BEGIN would read first and then fail at once with
    # SQLITE_BUSY_SNAPSHOT when another process wrote in between.
    options = conn.get_execution_options()
    if options.get("sqlite_no_begin"):
        return  # a read of one statement: SQLite's autocommit reads it consistently on its own
    conn.exec_driver_sql("BEGIN IMMEDIATE" if options.get("sqlite_immediate", False) else "BEGIN")


def private_dir(path: Path) -> None:
    """Create a folder only its owner can enter (0700). An existing folder is left as it is."""
    if not path.exists():
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(path, 0o700)  # mkdir's mode is masked by the umask


def write_private(path: Path, data: bytes) -> None:
    """Write a file only its owner can read (0600), whatever the umask."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, data)
    finally:
        os.close(fd)


def _private_sqlite_file(path: str) -> None:
    """Create the SQLite file 0600 before SQLite does (its -wal, -shm and journal files take the same
    mode), in a 0700 folder; an existing file is made 0600."""
    file = Path(path)
    private_dir(file.parent)
    fd = os.open(file, os.O_RDWR | os.O_CREAT, 0o600)
    os.close(fd)
    os.chmod(file, 0o600)
    for suffix in ("-wal", "-shm", "-journal"):
        side = Path(f"{path}{suffix}")
        if side.exists():
            os.chmod(side, 0o600)


def make_engine(url: str, *, autocheckpoint: bool = True, **kwargs: Any) -> Engine:
    """``autocheckpoint=False``: SQLite's connections leave the checkpoints to a ``WalCheckpointer``."""
    url = normalise_url(url)
    # Bound values (names, addresses) never appear in logs or exception messages.
    kwargs.setdefault("hide_parameters", True)
    if url.startswith("sqlite"):
        path = url.split("///", 1)[1] if "///" in url else ""
        if path and path != ":memory:" and not path.startswith("file:"):
            _private_sqlite_file(path.split("?", 1)[0])
            # A connection for every thread of the pool (40) and the event loop's session reads
            # (auth.deps): a checkout never waits, so the loop never blocks on one.
            kwargs.setdefault("pool_size", 10)
            kwargs.setdefault("max_overflow", 50)
        engine = create_engine(url, connect_args={"check_same_thread": False}, **kwargs)
        event.listen(engine, "connect", functools.partial(_sqlite_pragmas, autocheckpoint=autocheckpoint))
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    # No pre-ping: it costs a round trip per unit of work (0.62 -> 0.42 ms per checkout, measured);
    # connections are recycled instead, and a dropped one invalidates the pool when it fails.
    kwargs.setdefault("pool_pre_ping", False)
    return create_engine(url, pool_size=10, max_overflow=10, pool_recycle=1800, **kwargs)


_local = threading.local()
_log = logging.getLogger(__name__)


def _sqlite_file(engine: Engine) -> str | None:
    path = engine.url.database or ""
    return None if not path or path == ":memory:" or path.startswith("file:") else path


class _WriterLock:
    """SQLite's one writer, taken before BEGIN IMMEDIATE: a lock of this process's threads and, for a
    database file, an exclusive ``flock`` on ``<file>.lock`` shared with every other process (the web
    process, ``permitcard worker``, the CLI).

    Waiting on SQLite's own lock means its busy handler, which sleeps 1, 2, 5, 10, 15 … ms between
    tries: a request behind a worker's 15 ms batch waited 18 ms or more, and lost the race whenever the
    worker began its next batch first (p95 377 ms at 10 clients, measured). The kernel wakes a process
    waiting for a ``flock`` the moment it is released."""

    def __init__(self, path: str | None) -> None:
        self._threads = threading.RLock()
        self._path = f"{path}.lock" if path else None
        self._fd: int | None = None
        self._depth = 0

    def __enter__(self) -> None:
        self._threads.acquire()
        self._depth += 1
        if self._depth == 1 and self._path is not None:
            try:
                if self._fd is None:
                    self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
                fcntl.flock(self._fd, fcntl.LOCK_EX)
            except BaseException:
                self._depth -= 1
                self._threads.release()
                raise

    def __exit__(self, *_exc: object) -> None:
        self._depth -= 1
        if self._depth == 0 and self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        self._threads.release()


def in_unit_of_work() -> bool:
    """Whether this thread is inside a unit of work (slow work such as password hashing must not be:
    it would hold a connection and, on SQLite, the write lock)."""
    return getattr(_local, "depth", 0) > 0


class Database:
    """Owns the engine and hands out units of work."""

    def __init__(self, engine: Engine | None = None, *, bind: Connection | None = None) -> None:
        target: Engine | Connection
        if bind is not None:
            # Tests: every session joins the outer transaction through a SAVEPOINT.
            target = bind
            self.engine = bind.engine
            self._factory = sessionmaker(
                class_=AppSession, bind=bind, expire_on_commit=False, join_transaction_mode="create_savepoint"
            )
        else:
            assert engine is not None
            target = engine
            self.engine = engine
            self._factory = sessionmaker(class_=AppSession, bind=engine, expire_on_commit=False)
            if engine.dialect.name == "sqlite":
                self._writer_factory = sessionmaker(
                    class_=AppSession, bind=engine.execution_options(sqlite_immediate=True), expire_on_commit=False)
                self._single_factory = sessionmaker(
                    class_=AppSession, bind=engine.execution_options(sqlite_no_begin=True), expire_on_commit=False)
        self.is_sqlite = target.dialect.name == "sqlite"
        if not hasattr(self, "_writer_factory"):
            self._writer_factory = self._factory
        if not hasattr(self, "_single_factory"):
            self._single_factory = self._factory
        self.checkpointer: WalCheckpointer | None = None
        self._write_lock: contextlib.AbstractContextManager[Any] = (
            _WriterLock(_sqlite_file(self.engine)) if self.is_sqlite else contextlib.nullcontext()
        )

    @classmethod
    def from_url(cls, url: str, *, background_checkpoints: bool = False) -> Database:
        """``background_checkpoints``: a long-running process (the web app, the worker) on an SQLite file
        checkpoints its write-ahead log from a thread (``WalCheckpointer``), never inside a commit;
        started here, stopped by ``close``."""
        engine = make_engine(url, autocheckpoint=not background_checkpoints)
        db = cls(engine)
        path = _sqlite_file(engine) if db.is_sqlite else None
        if background_checkpoints and path is not None:
            db.checkpointer = WalCheckpointer(path)
            db.checkpointer.start()
        return db

    def close(self) -> None:
        """Stop the checkpointer (one last checkpoint) and close the pool's connections."""
        if self.checkpointer is not None:
            self.checkpointer.stop()
            self.checkpointer = None
        self.engine.dispose()

    @contextlib.contextmanager
    def uow(self, *, write: bool = True, snapshot: bool = True) -> Iterator[Session]:
        """One unit of work. The service commits; anything not committed is rolled back.

        ``snapshot=False`` (readers of a single statement): on SQLite no BEGIN is sent, the statement
        reads consistently by itself; a reader of several statements keeps its snapshot."""
        lock = self._write_lock if write else contextlib.nullcontext()
        with lock:
            session = self._writer_factory() if write else (self._factory() if snapshot else self._single_factory())
            _local.depth = getattr(_local, "depth", 0) + 1
            try:
                yield session
            finally:
                _local.depth -= 1
                # A writer that did not commit is rolled back (its objects expire); a reader is
                # just closed, so what it loaded stays readable after the block.
                if write and session.in_transaction():
                    session.rollback()
                session.close()

    def session(self) -> Session:
        return self._factory()
