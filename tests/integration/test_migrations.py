"""The migrations build exactly the schema the models describe, on the database under test."""

from __future__ import annotations

import contextlib
import hashlib
import json
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from permitcard.bootstrap import import_models
from permitcard.db import Base, Database, make_engine
from permitcard.migrate import alembic_config, include_name, upgrade
from permitcard.shared import audit_seal
from tests.conftest import PG_URL, fresh_pg_database

# The revision before the keyed audit log, whatever the revisions are chained to when merged.
BEFORE_AUDIT_SEALS = str(ScriptDirectory.from_config(alembic_config()).get_revision("a7c1e2d40b19").down_revision)


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
            ctx = MigrationContext.configure(conn, opts={"compare_type": True, "include_name": include_name})
            diff = compare_metadata(ctx, Base.metadata)
        assert diff == [], f"models and migrations differ; run alembic revision --autogenerate: {diff}"


def _old_chain(rows):
    """The hash chain of the audit log before keyed rows (sha256(prev_hash + canonical row))."""
    prev, out = "0" * 64, []
    for seq, row in enumerate(rows, start=1):
        content = {**row, "seq": seq, "at": row["at"].isoformat()}
        digest = hashlib.sha256((prev + json.dumps(content, sort_keys=True, separators=(",", ":"),
                                                   ensure_ascii=False, default=str)).encode()).hexdigest()
        out.append({**row, "seq": seq, "prev_hash": prev, "hash": digest})
        prev = digest
    return out


def test_the_audit_migration_keys_existing_rows_and_downgrading_rebuilds_the_chain(tmp_path):
    rows = [{"at": datetime(2026, 11, 27, 8, i, tzinfo=UTC), "actor_id": 1, "actor_role": "admin",
             "actor_label": "admin@example.com", "ip": "", "action": "user.created", "target_type": "user",
             "target_id": str(i), "before": None, "after": {"role": "auditor"}, "note": ""} for i in range(3)]
    old = _old_chain(rows)
    with contextlib.ExitStack() as stack:
        url = (stack.enter_context(fresh_pg_database("permitcard_mig")) if PG_URL
               else f"sqlite:///{tmp_path / 'audit.db'}")
        engine = make_engine(url)
        stack.callback(engine.dispose)
        with engine.begin() as conn:
            upgrade(connection=conn, revision=BEFORE_AUDIT_SEALS)
            log = sa.table("audit_log", *(sa.column(k) for k in old[0] if k not in ("before", "after")),
                           sa.column("before", sa.JSON), sa.column("after", sa.JSON))
            conn.execute(log.insert(), old)
            conn.execute(sa.text("INSERT INTO audit_head (id, seq, hash) VALUES (1, 3, :h)"), {"h": old[-1]["hash"]})
        with engine.begin() as conn:
            upgrade(connection=conn)
        db = Database(engine)
        with db.uow(write=False) as s:
            report = audit_seal.verify(s)
        assert report.ok and (report.rows, report.unsealed) == (3, 3)
        assert audit_seal.seal(db, grace=0, gap_after=0) == 3
        with engine.begin() as conn:
            command.downgrade(alembic_config(connection=conn), BEFORE_AUDIT_SEALS)
        with engine.connect() as conn:
            back = conn.execute(sa.text("SELECT seq, prev_hash, hash FROM audit_log ORDER BY seq")).all()
            head = conn.execute(sa.text("SELECT seq, hash FROM audit_head")).one()
        assert [tuple(r) for r in back] == [(r["seq"], r["prev_hash"], r["hash"]) for r in old]
        assert tuple(head) == (3, old[-1]["hash"])


def test_the_notification_migration_seals_messages_and_events_already_written(tmp_path):
    from permitcard.notifications.events import NotificationRequested
    from permitcard.notifications.models import Notification
    from permitcard.shared import crypto

    secret = "http://127.0.0.1:8000/password/reset/older-token"
    with contextlib.ExitStack() as stack:
        url = (stack.enter_context(fresh_pg_database("permitcard_mig")) if PG_URL
               else f"sqlite:///{tmp_path / 'notes.db'}")
        engine = make_engine(url)
        stack.callback(engine.dispose)
        now = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)
        with engine.begin() as conn:
            upgrade(connection=conn, revision="b7c0a0000011")
            conn.execute(sa.table("notification_message", *(sa.column(c) for c in (
                "dedupe_key", "channel", "recipient", "locale", "template", "subject", "body", "attempts",
                "last_error")), sa.column("created_at", sa.DateTime(timezone=True))).insert(), [{
                "dedupe_key": "password_reset:9", "channel": "email", "recipient": "old@example.com",
                "locale": "en", "template": "password_reset", "subject": "Reset your permitcard password",
                "body": f"Open {secret}\n", "attempts": 1, "last_error": "", "created_at": now}])
            conn.execute(sa.table("outbox_message", sa.column("topic"), sa.column("payload", sa.JSON),
                                  sa.column("created_at", sa.DateTime(timezone=True)),
                                  sa.column("available_at", sa.DateTime(timezone=True)),
                                  sa.column("attempts"), sa.column("last_error")).insert(), [{
                "topic": "notification.send", "payload": {"to": "old@example.com", "template": "password_reset",
                                                          "locale": "en", "dedupe_key": "password_reset:9",
                                                          "params": {"url": secret}},
                "created_at": now, "available_at": now, "attempts": 0, "last_error": ""}])
        with engine.begin() as conn:
            upgrade(connection=conn)
        with engine.connect() as conn:
            raw = conn.execute(sa.text("SELECT subject, body FROM notification_message")).one()
            payload = conn.execute(sa.text("SELECT payload FROM outbox_message")).scalar_one()
        assert raw.subject.startswith("v1:") and secret not in raw.body and secret not in str(payload)
        db = Database(engine)
        with db.uow(write=False) as s:
            row = s.execute(sa.select(Notification)).scalar_one()
            event = NotificationRequested.from_payload(json.loads(payload) if isinstance(payload, str) else payload)
        assert row.subject == "Reset your permitcard password" and secret in row.body
        assert event.to == "old@example.com" and event.params == {"url": secret}
        with engine.begin() as conn:
            command.downgrade(alembic_config(connection=conn), "b7c0a0000011")
        with engine.connect() as conn:
            assert secret in conn.execute(sa.text("SELECT body FROM notification_message")).scalar_one()
        assert crypto.is_encrypted(raw.body)
