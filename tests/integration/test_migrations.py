"""The migrations build exactly the schema the models describe, on the database under test."""

from __future__ import annotations

import uuid

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, text

from permitcard.db import Base, import_all_models, make_engine
from permitcard.migrate import upgrade
from tests.conftest import PG_URL, _admin_url


def _fresh_url(tmp_path) -> tuple[str, object]:
    if not PG_URL:
        return f"sqlite:///{tmp_path / 'migrated.db'}", None
    name = f"permitcard_mig_{uuid.uuid4().hex[:8]}"
    admin = create_engine(_admin_url(PG_URL).replace("postgresql://", "postgresql+psycopg://"),
                          isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    return PG_URL.rsplit("/", 1)[0] + "/" + name, (admin, name)


def test_upgrade_head_matches_models(tmp_path):
    url, cleanup = _fresh_url(tmp_path)
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            upgrade(connection=conn)
        import_all_models()
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(ctx, Base.metadata)
        assert diff == [], f"models and migrations differ; run alembic revision --autogenerate: {diff}"
    finally:
        engine.dispose()
        if cleanup:
            admin, name = cleanup
            with admin.connect() as c:  # type: ignore[attr-defined]
                c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()  # type: ignore[attr-defined]
