"""audit: keyed rows (HMAC) and signed seals instead of a hash chain with a locked head

Existing rows are keyed with the configured audit key as they stand (the old chain can be checked
with ``permitcard verify-audit`` on the previous version before upgrading); the next
``permitcard audit seal`` seals them. Downgrading rebuilds the old chain and its head.

Revision ID: a7c1e2d40b19
Revises: f0257d66893c
Create Date: 2026-11-28 12:30:00
"""
from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Sequence
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = 'a7c1e2d40b19'
down_revision: str | None = 'f0257d66893c'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = ("id", "at", "actor_id", "actor_role", "actor_label", "ip", "action", "target_type", "target_id",
            "before", "after", "note")


def _log_table(*extra: sa.Column[Any]) -> sa.TableClause:
    return sa.table("audit_log", *(sa.column(c) for c in _COLUMNS if c not in ("at", "before", "after")),
                    sa.column("at", sa.DateTime(timezone=True)), sa.column("before", sa.JSON),
                    sa.column("after", sa.JSON), *extra)


def upgrade() -> None:
    from permitcard.shared import audit, crypto

    op.create_table('audit_seal',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('first_id', sa.Integer(), nullable=False),
    sa.Column('last_id', sa.Integer(), nullable=False),
    sa.Column('tree_size', sa.Integer(), nullable=False),
    sa.Column('gaps', sa.JSON(), nullable=False),
    sa.Column('root', sa.String(length=64), nullable=False),
    sa.Column('prev_root', sa.String(length=64), nullable=False),
    sa.Column('sealed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('key_id', sa.String(length=16), nullable=False),
    sa.Column('signature', sa.String(length=128), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_seal')),
    sa.UniqueConstraint('first_id', name=op.f('uq_audit_seal_first_id'))
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.add_column(sa.Column('nonce', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('key_id', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('mac', sa.String(length=64), nullable=True))

    conn = op.get_bind()
    key_id, key = crypto.audit_mac_key()
    log = _log_table(sa.column("nonce"), sa.column("key_id"), sa.column("mac"))
    for row in conn.execute(sa.select(*(log.c[c] for c in _COLUMNS)).order_by(log.c.id)).mappings().all():
        values = SimpleNamespace(**row, nonce=secrets.token_hex(16), key_id=key_id)
        conn.execute(log.update().where(log.c.id == row["id"]).values(
            nonce=values.nonce, key_id=key_id, mac=audit.row_mac(values, key)))  # type: ignore[arg-type]

    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.alter_column('nonce', existing_type=sa.String(length=32), nullable=False)
        batch_op.alter_column('key_id', existing_type=sa.String(length=16), nullable=False)
        batch_op.alter_column('mac', existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_audit_log_mac'), ['mac'])
        batch_op.create_index('ix_audit_log_target', ['target_type', 'target_id'], unique=False)
        batch_op.drop_constraint(batch_op.f('uq_audit_log_seq'), type_='unique')
        batch_op.drop_column('seq')
        batch_op.drop_column('prev_hash')
        batch_op.drop_column('hash')
    op.drop_table('audit_head')


def _old_digest(prev_hash: str, row: dict[str, Any]) -> str:
    canonical = json.dumps(row, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256((prev_hash + canonical).encode()).hexdigest()


def downgrade() -> None:
    op.create_table('audit_head',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_head'))
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.add_column(sa.Column('seq', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('prev_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('hash', sa.String(length=64), nullable=True))

    conn = op.get_bind()
    log = _log_table(sa.column("seq"), sa.column("prev_hash"), sa.column("hash"))
    prev, seq = "0" * 64, 0
    for row in conn.execute(sa.select(*(log.c[c] for c in _COLUMNS)).order_by(log.c.id)).mappings().all():
        seq += 1
        at: datetime = row["at"]
        content = {k: row[k] for k in _COLUMNS if k != "id"}
        content.update(seq=seq, at=(at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(UTC).isoformat())
        digest = _old_digest(prev, content)
        conn.execute(log.update().where(log.c.id == row["id"]).values(seq=seq, prev_hash=prev, hash=digest))
        prev = digest
    conn.execute(sa.table("audit_head", sa.column("id"), sa.column("seq"), sa.column("hash")).insert()
                 .values(id=1, seq=seq, hash=prev))

    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.alter_column('seq', existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column('prev_hash', existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column('hash', existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_audit_log_seq'), ['seq'])
        batch_op.drop_index('ix_audit_log_target')
        batch_op.drop_constraint(batch_op.f('uq_audit_log_mac'), type_='unique')
        batch_op.drop_column('mac')
        batch_op.drop_column('key_id')
        batch_op.drop_column('nonce')
    op.drop_table('audit_seal')
