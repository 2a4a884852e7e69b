"""cards: the branch index takes the channel after the state, so each branch section is one index range

``ix_card_application_branch_state`` (branch_id, state, updated_at, id) becomes (branch_id, state, channel,
updated_at, id). A branch's sections are per state and channel ("to confirm": in production, standard;
"instant": submitted, instant); with the channel in the index their counts read the index alone and their
rows come in order, instead of visiting each row of the state to look at its channel (at 1,000,000 people
on PostgreSQL: 2,724 rows for one count, 7.5 ms). Same number of indexes: no extra cost per write.

Revision ID: b7c0a0000013
Revises: b7c0a0000012
Create Date: 2026-11-29 21:00:00
"""
from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = 'b7c0a0000013'
down_revision: str | None = 'b7c0a0000012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAME = "ix_card_application_branch_state"


def upgrade() -> None:
    op.drop_index(NAME, table_name="card_application")
    op.create_index(NAME, "card_application", ["branch_id", "state", "channel", "updated_at", "id"])


def downgrade() -> None:
    op.drop_index(NAME, table_name="card_application")
    op.create_index(NAME, "card_application", ["branch_id", "state", "updated_at", "id"])
