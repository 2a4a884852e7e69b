"""notifications: a message's subject and body are stored encrypted, and so are the address and the
parameters of a NotificationRequested event in the outbox

A message may carry a live secret (a password-reset or invitation link, an e-card code): with the rows
in clear, a copy of the database (a backup, a replica) was enough to take over an account whose link was
still valid. Rows already written are sealed here, a thousand at a time.

Revision ID: b7c0a0000012
Revises: b7c0a0000011
Create Date: 2026-11-29 15:00:00
"""
from __future__ import annotations

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'b7c0a0000012'
down_revision: str | None = 'b7c0a0000011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_MESSAGES = sa.table("notification_message", sa.column("id", sa.Integer), sa.column("subject", sa.Text),
                     sa.column("body", sa.Text))
_OUTBOX = sa.table("outbox_message", sa.column("id", sa.Integer), sa.column("topic", sa.String),
                   sa.column("payload", sa.JSON))
_CHUNK = 1000


def _rewrite(table: sa.TableClause, where: sa.ColumnElement[bool], change) -> None:  # type: ignore[no-untyped-def]
    bind = op.get_bind()
    after = 0
    while True:
        rows = bind.execute(sa.select(table).where(where, table.c.id > after).order_by(table.c.id)
                            .limit(_CHUNK)).all()
        for row in rows:
            values = change(row)
            if values:
                bind.execute(table.update().where(table.c.id == row.id).values(**values))
        if len(rows) < _CHUNK:
            return
        after = rows[-1].id


def upgrade() -> None:
    from permitcard.shared import crypto

    with op.batch_alter_table('notification_message') as batch_op:
        batch_op.alter_column('subject', existing_type=sa.String(length=300), type_=sa.Text(),
                              existing_nullable=False)

    def seal_message(row):  # type: ignore[no-untyped-def]
        return {k: crypto.encrypt(getattr(row, k)) for k in ("subject", "body")
                if getattr(row, k) is not None and not crypto.is_encrypted(getattr(row, k))}

    def seal_payload(row):  # type: ignore[no-untyped-def]
        payload = row.payload if isinstance(row.payload, dict) else json.loads(row.payload)
        if "sealed" in payload:
            return None
        inner = {"to": payload.get("to", ""), "params": payload.get("params", {})}
        rest = {k: v for k, v in payload.items() if k not in ("to", "params")}
        return {"payload": {**rest, "sealed": crypto.encrypt(json.dumps(inner, default=str))}}

    _rewrite(_MESSAGES, sa.true(), seal_message)
    _rewrite(_OUTBOX, _OUTBOX.c.topic == "notification.send", seal_payload)


def downgrade() -> None:
    from permitcard.shared import crypto

    def open_message(row):  # type: ignore[no-untyped-def]
        return {k: crypto.decrypt(getattr(row, k)) for k in ("subject", "body")
                if getattr(row, k) is not None and crypto.is_encrypted(getattr(row, k))}

    def open_payload(row):  # type: ignore[no-untyped-def]
        payload = row.payload if isinstance(row.payload, dict) else json.loads(row.payload)
        if "sealed" not in payload:
            return None
        inner = json.loads(crypto.decrypt(payload["sealed"]))
        rest = {k: v for k, v in payload.items() if k != "sealed"}
        return {"payload": {**rest, "to": inner["to"], "params": inner["params"]}}

    _rewrite(_MESSAGES, sa.true(), open_message)
    _rewrite(_OUTBOX, _OUTBOX.c.topic == "notification.send", open_payload)
    with op.batch_alter_table('notification_message') as batch_op:
        batch_op.alter_column('subject', existing_type=sa.Text(), type_=sa.String(length=300),
                              existing_nullable=False)
