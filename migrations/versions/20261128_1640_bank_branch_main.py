"""bank_branch.is_main (each bank's main branch, listed first); form_submission (one-time form
tokens) and form_draft (typed values kept across the language switch)

Revision ID: b7c0a0000005
Revises: b7c0a0000004
Create Date: 2026-11-28 16:40:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'b7c0a0000005'
down_revision: str | None = 'b7c0a0000004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The main branches of the seed data (the CSV says so for new installations).
MAIN_BRANCHES = ("CGB-DG-MAIN", "CCB-DG-BRANCH")


def upgrade() -> None:
    with op.batch_alter_table('bank_branch', schema=None) as batch_op:
        batch_op.add_column(sa.Column('is_main', sa.Boolean(), server_default='0', nullable=False))
    branches = sa.table("bank_branch", sa.column("code", sa.String), sa.column("is_main", sa.Boolean))
    op.execute(branches.update().where(branches.c.code.in_(MAIN_BRANCHES)).values(is_main=True))
    op.create_table(
        'form_submission',
        sa.Column('token', sa.String(length=64), nullable=False),
        sa.Column('location', sa.String(length=500), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('token', name=op.f('pk_form_submission')),
    )
    with op.batch_alter_table('form_submission', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_form_submission_created_at'), ['created_at'], unique=False)
    op.create_table(
        'form_draft',
        sa.Column('id', sa.String(length=64), nullable=False),
        sa.Column('path', sa.String(length=500), nullable=False),
        sa.Column('payload', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_form_draft')),
    )
    with op.batch_alter_table('form_draft', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_form_draft_created_at'), ['created_at'], unique=False)


def downgrade() -> None:
    op.drop_table('form_draft')
    op.drop_table('form_submission')
    with op.batch_alter_table('bank_branch', schema=None) as batch_op:
        batch_op.drop_column('is_main')
