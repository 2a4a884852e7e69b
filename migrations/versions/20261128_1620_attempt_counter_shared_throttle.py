"""one throttle for every context: attempt_counter replaces ecard_attempt

Revision ID: b7c0a0000003
Revises: b7c0a0000002
Create Date: 2026-11-28 16:20:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'b7c0a0000003'
down_revision: str | None = 'b7c0a0000002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('attempt_counter',
    sa.Column('key', sa.String(length=120), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('blocked_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_attempt_counter'))
    )
    with op.batch_alter_table('attempt_counter', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attempt_counter_updated_at'), ['updated_at'], unique=False)
    # The e-card's counters move to the shared throttle (counts in flight are forgotten: a few
    # attempts more for whoever was being held up at the moment of the upgrade).
    op.drop_table('ecard_attempt')


def downgrade() -> None:
    op.create_table('ecard_attempt',
    sa.Column('key', sa.String(length=120), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('blocked_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_ecard_attempt'))
    )
    with op.batch_alter_table('attempt_counter', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attempt_counter_updated_at'))
    op.drop_table('attempt_counter')
