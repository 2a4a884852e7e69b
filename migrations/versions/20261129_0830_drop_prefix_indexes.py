"""Drop single-column indexes that a composite index already leads with (every insert and state move
paid for them twice).

Revision ID: b7c0a0000008
Revises: b7c0a0000007
Create Date: 2026-11-29 08:30:00
"""
from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = 'b7c0a0000008'
down_revision: str | None = 'b7c0a0000007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, column): ix_<table>_<column> is covered by the queue index that starts with the column.
COVERED = (
    ("insurance_registration", "state"),  # ix_insurance_registration_state_created
    ("insurance_registration", "employer_id"),  # ix_insurance_registration_employer_created
    ("permit_application", "state"),  # ix_permit_application_state_submitted
    ("permit_application", "employer_id"),  # ix_permit_application_employer_submitted
    ("card_application", "state"),  # ix_card_application_state_created / _state_promised
    ("card_application", "branch_id"),  # ix_card_application_branch_state
    ("card", "branch_id"),  # ix_card_branch_state
)


def upgrade() -> None:
    for table, column in COVERED:
        op.drop_index(f"ix_{table}_{column}", table_name=table)


def downgrade() -> None:
    for table, column in COVERED:
        op.create_index(f"ix_{table}_{column}", table, [column])
