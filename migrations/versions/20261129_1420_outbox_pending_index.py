"""outbox: one partial index of the pending messages instead of indexes of the topic, the due time and
the delivery time

The worker claims ``processed_at IS NULL AND available_at <= now ORDER BY id``; operators list the
pending messages by id. A partial index of the pending ids answers both and stays as small as the
backlog. The three indexes it replaces answered no query and cost each registration about five page
writes inside SQLite's one writer.

Revision ID: b7c0a0000010
Revises: b7c0a0000009
Create Date: 2026-11-29 14:20:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'b7c0a0000010'
down_revision: str | None = 'b7c0a0000009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_outbox_message_pending', 'outbox_message', ['id'],
                    sqlite_where=sa.text('processed_at IS NULL'), postgresql_where=sa.text('processed_at IS NULL'))
    op.drop_index('ix_outbox_message_topic', table_name='outbox_message')
    op.drop_index('ix_outbox_message_available_at', table_name='outbox_message')
    op.drop_index('ix_outbox_message_processed_at', table_name='outbox_message')


def downgrade() -> None:
    op.create_index('ix_outbox_message_processed_at', 'outbox_message', ['processed_at'])
    op.create_index('ix_outbox_message_available_at', 'outbox_message', ['available_at'])
    op.create_index('ix_outbox_message_topic', 'outbox_message', ['topic'])
    op.drop_index('ix_outbox_message_pending', table_name='outbox_message')
