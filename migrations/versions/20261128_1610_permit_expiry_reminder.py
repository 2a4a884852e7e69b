"""permit: the end date the 30-day expiry reminder was sent for (sent once, not every day)

Revision ID: b7c0a0000002
Revises: b7c0a0000001
Create Date: 2026-11-28 16:10:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'b7c0a0000002'
down_revision: str | None = 'b7c0a0000001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('permit', schema=None) as batch_op:
        batch_op.add_column(sa.Column('expiry_reminded_for', sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('permit', schema=None) as batch_op:
        batch_op.drop_column('expiry_reminded_for')
