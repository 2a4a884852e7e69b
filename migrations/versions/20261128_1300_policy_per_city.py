"""policy per city: cities, rules with effective dates; employers get a city; same-day branches
become a rule of their city

Moves what were settings (PERMITCARD_PERMIT_MAX_YEARS_*, CARD_READY_WORKING_DAYS,
CARD_REPLACEMENT_FEE, PROVINCE_CODE, CITY_*) and the branch columns instant_production /
immediate_replacement into rows of the default city, Dongguan, from 2024-12-01, so an upgraded
database keeps working and a new one starts with Dongguan's rules.

Revision ID: 7c1e5a0d2f43
Revises: bd95f98d2e3b
Create Date: 2026-11-28 12:20:00
"""
from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "7c1e5a0d2f43"
down_revision: str | None = "bd95f98d2e3b"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CITY = "4419"
START = date(2024, 12, 1)
# Frozen here (the data file policy/data/dongguan.toml may change later; this migration must not).
RULES = {
    "permit_max_years_a": "5", "permit_max_years_b": "2", "permit_max_years_c": "1",
    "card_ready_working_days": "12", "fee_first": "0", "fee_upgrade": "0", "fee_replacement": "2000",
    "ssn_province_code": "44", "ecard_qr_seconds": "60",
}
SAME_DAY_BRANCHES = "CGB-DG-MAIN CGB-DG-ZHONGXIN"


def upgrade() -> None:
    city = op.create_table(
        "policy_city",
        sa.Column("code", sa.String(length=8), nullable=False),
        sa.Column("name_en", sa.String(length=100), nullable=False),
        sa.Column("name_zh", sa.String(length=100), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("revision", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_policy_city")),
    )
    rule = op.create_table(
        "policy_rule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("city_code", sa.String(length=8), nullable=False),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("value", sa.String(length=1000), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["city_code"], ["policy_city.code"],
                                name=op.f("fk_policy_rule_city_code_policy_city")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_policy_rule")),
        sa.UniqueConstraint("city_code", "key", "effective_from",
                            name=op.f("uq_policy_rule_city_code_key_effective_from")),
    )
    with op.batch_alter_table("policy_rule", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_policy_rule_city_code"), ["city_code"], unique=False)

    conn = op.get_bind()
    now = datetime.now(UTC)
    branches = sa.table("bank_branch", sa.column("code", sa.String), sa.column("city_code", sa.String),
                        sa.column("instant_production", sa.Boolean),
                        sa.column("immediate_replacement", sa.Boolean))
    rows = conn.execute(sa.select(branches.c.code, branches.c.instant_production, branches.c.immediate_replacement)
                        .where(branches.c.city_code == CITY)).all()
    instant = " ".join(sorted(r.code for r in rows if r.instant_production)) if rows else SAME_DAY_BRANCHES
    replacement = " ".join(sorted(r.code for r in rows if r.immediate_replacement)) if rows else SAME_DAY_BRANCHES
    op.bulk_insert(city, [{"code": CITY, "name_en": "Dongguan", "name_zh": "东莞", "is_default": True,
                           "revision": uuid.uuid4().hex, "created_at": now}])
    values = {**RULES, "instant_branches": instant, "replacement_branches": replacement}
    op.bulk_insert(rule, [{"city_code": CITY, "key": k, "value": v, "effective_from": START, "note": "migration",
                           "created_at": now, "created_by": "migration"} for k, v in values.items()])

    with op.batch_alter_table("auth_employer", schema=None) as batch_op:
        batch_op.add_column(sa.Column("city_code", sa.String(length=8), nullable=True))
    op.execute(sa.text("UPDATE auth_employer SET city_code = :c").bindparams(c=CITY))
    with op.batch_alter_table("auth_employer", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_auth_employer_city_code"), ["city_code"], unique=False)

    with op.batch_alter_table("bank_branch", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bank_branch_city_code"), ["city_code"], unique=False)
        batch_op.drop_column("instant_production")
        batch_op.drop_column("immediate_replacement")


def downgrade() -> None:
    conn = op.get_bind()
    with op.batch_alter_table("bank_branch", schema=None) as batch_op:
        batch_op.add_column(sa.Column("immediate_replacement", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("instant_production", sa.Boolean(), nullable=True))
        batch_op.drop_index(batch_op.f("ix_bank_branch_city_code"))
    # Back to columns: the values in force today in each branch's city.
    today = datetime.now(UTC).date()
    rules = sa.table("policy_rule", sa.column("city_code", sa.String), sa.column("key", sa.String),
                     sa.column("value", sa.String), sa.column("effective_from", sa.Date))
    current: dict[tuple[str, str], tuple[date, str]] = {}
    for r in conn.execute(sa.select(rules).where(rules.c.effective_from <= today)).all():
        if (r.city_code, r.key) not in current or current[(r.city_code, r.key)][0] < r.effective_from:
            current[(r.city_code, r.key)] = (r.effective_from, r.value)
    branches = sa.table("bank_branch", sa.column("code", sa.String), sa.column("city_code", sa.String),
                        sa.column("instant_production", sa.Boolean),
                        sa.column("immediate_replacement", sa.Boolean))
    for b in conn.execute(sa.select(branches.c.code, branches.c.city_code)).all():
        instant = current.get((b.city_code, "instant_branches"), (today, ""))[1].split()
        replacement = current.get((b.city_code, "replacement_branches"), (today, ""))[1].split()
        conn.execute(branches.update().where(branches.c.code == b.code).values(
            instant_production=b.code in instant, immediate_replacement=b.code in replacement))
    with op.batch_alter_table("bank_branch", schema=None) as batch_op:
        batch_op.alter_column("instant_production", existing_type=sa.Boolean(), nullable=False)
        batch_op.alter_column("immediate_replacement", existing_type=sa.Boolean(), nullable=False)
    with op.batch_alter_table("auth_employer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_auth_employer_city_code"))
        batch_op.drop_column("city_code")
    with op.batch_alter_table("policy_rule", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_policy_rule_city_code"))
    op.drop_table("policy_rule")
    op.drop_table("policy_city")
