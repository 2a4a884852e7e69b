"""audit: the MAC column loses its unique index; verify names a copied row by its shared MAC instead

An index of random MACs cost each registration about four page writes inside SQLite's one writer and
answered no query; a constraint never stopped whoever can write the table from dropping it first.
``audit_seal.verify`` now names rows that share a MAC (``row_copied``). On SQLite the table is copied
once (Alembic's batch mode) to drop the constraint.

Revision ID: b7c0a0000011
Revises: b7c0a0000010
Create Date: 2026-11-29 14:40:00
"""
from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = 'b7c0a0000011'
down_revision: str | None = 'b7c0a0000010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('audit_log') as batch_op:
        batch_op.drop_constraint('uq_audit_log_mac', type_='unique')


def downgrade() -> None:
    with op.batch_alter_table('audit_log') as batch_op:
        batch_op.create_unique_constraint('uq_audit_log_mac', ['mac'])
