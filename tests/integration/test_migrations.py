"""The migrations build exactly the schema the models describe, on the database under test."""

from __future__ import annotations

import contextlib

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from permitcard.bootstrap import import_models
from permitcard.db import Base, make_engine
from permitcard.migrate import upgrade
from tests.conftest import PG_URL, fresh_pg_database


def test_upgrade_head_matches_models(tmp_path):
    with contextlib.ExitStack() as stack:
        url = (stack.enter_context(fresh_pg_database("permitcard_mig")) if PG_URL
               else f"sqlite:///{tmp_path / 'migrated.db'}")
        engine = make_engine(url)
        stack.callback(engine.dispose)
        with engine.begin() as conn:
            upgrade(connection=conn)
        import_models()
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(ctx, Base.metadata)
        assert diff == [], f"models and migrations differ; run alembic revision --autogenerate: {diff}"
