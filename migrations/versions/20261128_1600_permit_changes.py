"""permit changes: the date of the change and how many days late it was filed

Revision ID: b7c0a0000001
Revises: 5a1d7e0c9b21
Create Date: 2026-11-28 16:00:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'b7c0a0000001'
down_revision: str | None = '5a1d7e0c9b21'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('permit_application', schema=None) as batch_op:
        batch_op.add_column(sa.Column('change_date', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('days_late', sa.Integer(), server_default='0', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('permit_application', schema=None) as batch_op:
        batch_op.drop_column('days_late')
        batch_op.drop_column('change_date')
