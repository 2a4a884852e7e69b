"""a promised date waiting for an official calendar year; the person's Chinese name beside the passport name

Revision ID: b7c0a0000004
Revises: b7c0a0000003
Create Date: 2026-11-28 16:30:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'b7c0a0000004'
down_revision: str | None = 'b7c0a0000003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('card_application', schema=None) as batch_op:
        batch_op.add_column(sa.Column('promised_calendar_year', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_card_application_promised_calendar_year'), ['promised_calendar_year'],
                              unique=False)
    for table in ('permit_person', 'permit_application'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('chinese_name', sa.String(length=50), server_default='', nullable=False))
    with op.batch_alter_table('card', schema=None) as batch_op:
        batch_op.add_column(sa.Column('chinese_name', sa.String(length=50), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('card', schema=None) as batch_op:
        batch_op.drop_column('chinese_name')
    for table in ('permit_application', 'permit_person'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('chinese_name')
    with op.batch_alter_table('card_application', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_card_application_promised_calendar_year'))
        batch_op.drop_column('promised_calendar_year')
