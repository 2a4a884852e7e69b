"""permit origin (electronic | paper) and when a paper permit was superseded

Revision ID: 5a1d7e0c9b21
Revises: 04ece2a6250b
Create Date: 2026-11-28 15:50:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '5a1d7e0c9b21'
down_revision: str | None = '04ece2a6250b'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('permit', schema=None) as batch_op:
        batch_op.add_column(sa.Column('origin', sa.String(length=16), server_default='electronic', nullable=False))
        batch_op.add_column(sa.Column('paper_superseded_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('permit', schema=None) as batch_op:
        batch_op.drop_column('paper_superseded_at')
        batch_op.drop_column('origin')
