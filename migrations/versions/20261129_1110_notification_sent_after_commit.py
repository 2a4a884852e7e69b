"""E-mails are handed to the mailer after the worker's transaction commits: a row is written unsent,
with a lease (``available_at``) for the worker that wrote it, a send count and the last error; a
partial index finds the unsent rows. Rows left unsent by earlier versions are due at once.

Revision ID: b7c0a0000009
Revises: b7c0a0000008
Create Date: 2026-11-29 11:10:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'b7c0a0000009'
down_revision: str | None = 'b7c0a0000008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('notification_message') as batch:
        batch.add_column(sa.Column('available_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('attempts', sa.Integer(), server_default='0', nullable=False))
        batch.add_column(sa.Column('last_error', sa.Text(), server_default='', nullable=False))
    op.execute("UPDATE notification_message SET available_at = created_at WHERE sent_at IS NULL")
    op.create_index('ix_notification_message_unsent', 'notification_message', ['available_at'],
                    sqlite_where=sa.text('sent_at IS NULL'), postgresql_where=sa.text('sent_at IS NULL'))


def downgrade() -> None:
    op.drop_index('ix_notification_message_unsent', table_name='notification_message')
    with op.batch_alter_table('notification_message') as batch:
        batch.drop_column('last_error')
        batch.drop_column('attempts')
        batch.drop_column('available_at')
