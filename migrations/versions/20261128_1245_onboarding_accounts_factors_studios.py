"""onboarding: employer registration and review, invitations, password resets, second factors,
photo studios. Employers that exist already (made by seed-demo) count as approved.

Revision ID: bd95f98d2e3b
Revises: a7c1e2d40b19
Create Date: 2026-11-28 12:10:07.931618
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import permitcard.shared.crypto

revision: str = 'bd95f98d2e3b'
down_revision: str | None = 'a7c1e2d40b19'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('photo_studio',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('address', sa.String(length=500), nullable=False),
    sa.Column('accredited_from_date', sa.Date(), nullable=False),
    sa.Column('accredited_to_date', sa.Date(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_photo_studio'))
    )
    op.create_table('auth_invitation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('display_name', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.Column('employer_id', sa.Integer(), nullable=True),
    sa.Column('branch_id', sa.Integer(), nullable=True),
    sa.Column('studio_id', sa.Integer(), nullable=True),
    sa.Column('city_code', sa.String(length=8), nullable=True),
    sa.Column('binding_en', sa.String(length=300), nullable=False),
    sa.Column('binding_zh', sa.String(length=300), nullable=False),
    sa.Column('locale', sa.String(length=8), nullable=False),
    sa.Column('invited_by_user_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('accepted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['employer_id'], ['auth_employer.id'], name=op.f('fk_auth_invitation_employer_id_auth_employer')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_auth_invitation')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_auth_invitation_token_hash'))
    )
    with op.batch_alter_table('auth_invitation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_auth_invitation_email'), ['email'], unique=False)

    op.create_table('auth_password_reset',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['auth_user.id'], name=op.f('fk_auth_password_reset_user_id_auth_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_auth_password_reset')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_auth_password_reset_token_hash'))
    )
    with op.batch_alter_table('auth_password_reset', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_auth_password_reset_user_id'), ['user_id'], unique=False)

    op.create_table('auth_recovery_code',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['auth_user.id'], name=op.f('fk_auth_recovery_code_user_id_auth_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_auth_recovery_code'))
    )
    with op.batch_alter_table('auth_recovery_code', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_auth_recovery_code_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('auth_employer', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reference', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('contact_name', sa.String(length=200), server_default='', nullable=False))
        batch_op.add_column(sa.Column('contact_phone', sa.String(length=40), server_default='', nullable=False))
        batch_op.add_column(sa.Column('state', sa.String(length=24), server_default='approved', nullable=False))
        batch_op.add_column(sa.Column('version', sa.Integer(), server_default='1', nullable=False))
        batch_op.add_column(sa.Column('review_note', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('registered_by_user_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.drop_constraint(batch_op.f('uq_auth_employer_uscc'), type_='unique')
    op.execute("UPDATE auth_employer SET reference = 'ER-' || CAST(id AS VARCHAR(12)) WHERE reference IS NULL")
    with op.batch_alter_table('auth_employer', schema=None) as batch_op:
        batch_op.alter_column('reference', existing_type=sa.String(length=20), nullable=False)
        batch_op.create_index(batch_op.f('ix_auth_employer_state'), ['state'], unique=False)
        batch_op.create_index(batch_op.f('ix_auth_employer_uscc'), ['uscc'], unique=False)
        batch_op.create_unique_constraint(batch_op.f('uq_auth_employer_reference'), ['reference'])
        batch_op.create_index('uq_auth_employer_uscc_live', ['uscc'], unique=True, sqlite_where=sa.text("state != 'rejected'"), postgresql_where=sa.text("state != 'rejected'"))

    with op.batch_alter_table('auth_session', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stage', sa.String(length=8), server_default='full', nullable=False))

    with op.batch_alter_table('auth_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('studio_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('city_code', sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column('locale', sa.String(length=8), server_default='en', nullable=False))
        batch_op.add_column(sa.Column('invited_by_user_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('password_changed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('totp_secret', permitcard.shared.crypto.Encrypted(length=255), nullable=True))
        batch_op.add_column(sa.Column('totp_confirmed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('totp_last_step', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('code_failures', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('code_locked_until', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('recovery_codes_unseen', permitcard.shared.crypto.Encrypted(length=255), nullable=True))
        batch_op.create_index(batch_op.f('ix_auth_user_employer_id'), ['employer_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('auth_user', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_auth_user_employer_id'))
        batch_op.drop_column('recovery_codes_unseen')
        batch_op.drop_column('code_locked_until')
        batch_op.drop_column('code_failures')
        batch_op.drop_column('totp_last_step')
        batch_op.drop_column('totp_confirmed_at')
        batch_op.drop_column('totp_secret')
        batch_op.drop_column('password_changed_at')
        batch_op.drop_column('invited_by_user_id')
        batch_op.drop_column('locale')
        batch_op.drop_column('city_code')
        batch_op.drop_column('studio_id')

    with op.batch_alter_table('auth_session', schema=None) as batch_op:
        batch_op.drop_column('stage')

    with op.batch_alter_table('auth_employer', schema=None) as batch_op:
        batch_op.drop_index('uq_auth_employer_uscc_live', sqlite_where=sa.text("state != 'rejected'"), postgresql_where=sa.text("state != 'rejected'"))
        batch_op.drop_constraint(batch_op.f('uq_auth_employer_reference'), type_='unique')
        batch_op.drop_index(batch_op.f('ix_auth_employer_uscc'))
        batch_op.drop_index(batch_op.f('ix_auth_employer_state'))
        batch_op.create_unique_constraint(batch_op.f('uq_auth_employer_uscc'), ['uscc'])
        batch_op.drop_column('decided_at')
        batch_op.drop_column('submitted_at')
        batch_op.drop_column('registered_by_user_id')
        batch_op.drop_column('review_note')
        batch_op.drop_column('version')
        batch_op.drop_column('state')
        batch_op.drop_column('contact_phone')
        batch_op.drop_column('contact_name')
        batch_op.drop_column('reference')

    with op.batch_alter_table('auth_recovery_code', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_auth_recovery_code_user_id'))

    op.drop_table('auth_recovery_code')
    with op.batch_alter_table('auth_password_reset', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_auth_password_reset_user_id'))

    op.drop_table('auth_password_reset')
    with op.batch_alter_table('auth_invitation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_auth_invitation_email'))

    op.drop_table('auth_invitation')
    op.drop_table('photo_studio')
