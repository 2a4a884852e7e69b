"""Fixtures shared by every test.

Integration tests run against a real database: SQLite by default, PostgreSQL when
PERMITCARD_TEST_DATABASE_URL is set (``.ci/run`` runs the suite on both). Each test runs inside
a transaction that is rolled back; services' commits release SAVEPOINTs inside it.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from sqlalchemy import Engine, text

os.environ.setdefault("PERMITCARD_ENVIRONMENT", "test")
os.environ.setdefault("PERMITCARD_DATA_KEY", "q2XlGx3V7yq1n0c7o5cV0r3Hc4o0w9m6G1m2k4b7s8A=")
os.environ.setdefault("PERMITCARD_AUDIT_KEY", "V2hhdCB0aGUgYXVkaXRvciBrZXlzIGV2ZXJ5IHJvdyB3aXRoLg==")
os.environ.setdefault("PERMITCARD_AUDIT_SIGNING_KEY", "c2VhbHMgYXJlIHNpZ25lZCB3aXRoIHRoaXMgc2VlZCEhIQ==")

from permitcard.bootstrap import Adapters, bootstrap, import_models
from permitcard.config import get_settings
from permitcard.db import Base, Database, make_engine
from permitcard.main import create_app
from permitcard.policy import service as policy

PG_URL = os.environ.get("PERMITCARD_TEST_DATABASE_URL", "")

# Property tests judge our rules, not the machine: no deadline, and no complaint when a busy CI box
# generates inputs slowly.
settings.register_profile("permitcard", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("permitcard")


def seed_default_city(engine: Engine) -> None:
    """What the data migration gives a real database: the default city (Dongguan) and its rules,
    without an audit row (tests of the audit chain start from an empty log)."""
    from sqlalchemy import delete

    from permitcard.shared.audit import Actor
    from permitcard.shared.models import AuditLog, AuditSeal

    with Database(engine).uow() as s:
        policy.seed_city(s, spec=policy.load_city_file(policy.DEFAULT_CITY_FILE), actor=Actor.system("test"))
        s.execute(delete(AuditLog))
        s.execute(delete(AuditSeal))
        if engine.dialect.name == "postgresql":  # ids start at 1 again, as in an empty log (no hole to seal)
            for table in ("audit_log", "audit_seal"):
                s.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), 1, false)"))
        s.commit()


@contextlib.contextmanager
def fresh_pg_database(prefix: str, server_url: str = PG_URL) -> Iterator[str]:
    """An empty PostgreSQL database on the server of ``server_url``, dropped afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    base = server_url.rsplit("/", 1)[0]
    admin = make_engine(base + "/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{base}/{name}"
    finally:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session", autouse=True)
def assembled() -> Adapters:
    """Every test runs in a process assembled as the app is: adapters, outbox handlers, templates."""
    return bootstrap(get_settings())


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh, empty database for this test run."""
    if PG_URL:
        with fresh_pg_database("permitcard_test") as url:
            yield url
    else:
        path: Path = tmp_path_factory.mktemp("db") / "test.db"
        yield f"sqlite:///{path}"


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    import_models()
    eng = make_engine(database_url)
    Base.metadata.create_all(eng)
    seed_default_city(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def db(engine: Engine) -> Iterator[Database]:
    """A Database whose every unit of work joins one outer transaction, rolled back after the test."""
    connection = engine.connect()
    outer = connection.begin()
    try:
        yield Database(bind=connection)
    finally:
        outer.rollback()
        connection.close()
        policy.invalidate()  # rules a test changed are rolled back: the process must forget them too


@pytest.fixture
def app(db: Database):  # type: ignore[no-untyped-def]
    return create_app(get_settings(), db)


@pytest.fixture
def client(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(app, base_url="http://127.0.0.1") as c:
        yield c


@pytest.fixture
def is_postgres(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


@pytest.fixture
def committed_db() -> Iterator[Database]:
    """A PostgreSQL database of its own whose units of work really commit, for races between
    connections. It is dropped afterwards, so nothing leaks into the rolled-back tests."""
    if not PG_URL:
        pytest.skip("needs PostgreSQL: real connections committing at the same time")
    import_models()
    with fresh_pg_database("permitcard_race") as url:
        eng = make_engine(url)
        Base.metadata.create_all(eng)
        seed_default_city(eng)
        try:
            yield Database(eng)
        finally:
            eng.dispose()
