"""queue indexes (keyset pagination) and name search (SQLite FTS5 trigram, PostgreSQL pg_trgm)

Revision ID: 7c5e2a91d4b3
Revises: 7c1e5a0d2f43
Create Date: 2026-11-28 12:45:00
"""
from __future__ import annotations

from collections.abc import Sequence

from alembic import op

from permitcard.shared import search

revision: str = '7c5e2a91d4b3'
down_revision: str | None = '7c1e5a0d2f43'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = (
    ("ix_permit_application_state_submitted", "permit_application", ["state", "submitted_at", "id"]),
    ("ix_permit_application_employer_submitted", "permit_application", ["employer_id", "submitted_at", "id"]),
    ("ix_permit_application_name_sort", "permit_application", ["family_name", "given_names", "id"]),
    ("ix_insurance_registration_state_created", "insurance_registration", ["state", "created_at", "id"]),
    ("ix_insurance_registration_employer_created", "insurance_registration", ["employer_id", "created_at", "id"]),
    ("ix_insurance_registration_name_sort", "insurance_registration", ["family_name", "id"]),
    ("ix_insurance_registration_notice_number", "insurance_registration", ["notice_number"]),  # search by notice
    ("ix_card_application_created", "card_application", ["created_at", "id"]),
    ("ix_card_application_state_created", "card_application", ["state", "created_at", "id"]),
    ("ix_card_application_branch_state", "card_application", ["branch_id", "state", "updated_at", "id"]),
    ("ix_card_application_name_sort", "card_application", ["family_name", "id"]),
    ("ix_card_application_state_promised", "card_application", ["state", "promised_date", "id"]),
    ("ix_card_branch_state", "card", ["branch_id", "state", "issued_at", "id"]),
)
# Written out (not read from the models) so this revision stays what it was when the models move on.
SEARCHED = (("permit_application", ("family_name", "given_names")),
            ("insurance_registration", ("family_name", "given_names")),
            ("card_application", ("family_name", "given_names")))


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table, columns in SEARCHED:
        for statement in (search.sqlite_ddl if sqlite else search.postgresql_ddl)(table, columns):
            op.execute(statement)


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table, _columns in SEARCHED:
        for statement in (search.sqlite_drop if sqlite else search.postgresql_drop)(table):
            op.execute(statement)
    for name, table, _columns in reversed(INDEXES):
        op.drop_index(name, table_name=table)
