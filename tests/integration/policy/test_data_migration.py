"""An upgraded database keeps working: its branches' same-day flags and its employers move into
Dongguan's rules; a downgrade puts the flags back."""

from __future__ import annotations

import contextlib
from datetime import UTC, date, datetime

from sqlalchemy import text

from permitcard.db import make_engine
from permitcard.migrate import alembic_config, upgrade
from tests.conftest import PG_URL, fresh_pg_database

BEFORE = "bd95f98d2e3b"  # the revision before the policy migration


def test_upgrade_moves_settings_and_branch_flags_into_rows(tmp_path):
    from alembic import command

    with contextlib.ExitStack() as stack:
        url = (stack.enter_context(fresh_pg_database("permitcard_pol")) if PG_URL
               else f"sqlite:///{tmp_path / 'old.db'}")
        engine = make_engine(url)
        stack.callback(engine.dispose)
        with engine.begin() as conn:
            upgrade(connection=conn, revision=BEFORE)
            conn.execute(text("INSERT INTO bank (id, code, name_en, name_zh, bin_prefix) "
                              "VALUES (1, 'CGB', 'Guangfa', '广发', '622568')"))
            for i, (code, instant) in enumerate([("CGB-DG-MAIN", True), ("CGB-DG-HUMEN", False)], start=1):
                conn.execute(text(
                    "INSERT INTO bank_branch (id, bank_id, code, name_en, name_zh, address_en, address_zh, phone, "
                    "city_code, issues_cards, instant_production, immediate_replacement, is_active) VALUES "
                    "(:id, 1, :code, 'n', 'n', 'a', 'a', '', '4419', true, :i, false, true)"),
                    {"id": i, "code": code, "i": instant})
            conn.execute(text("INSERT INTO auth_employer (id, reference, uscc, name_en, name_zh, address, created_at) "
                              "VALUES (1, 'ER-1', '91441900MA51ABCD10', 'E', 'E', '', :at)"), {"at": datetime.now(UTC)})
        with engine.begin() as conn:
            upgrade(connection=conn)
        with engine.connect() as conn:
            rules = dict(conn.execute(text("SELECT key, value FROM policy_rule WHERE city_code = '4419'")).all())
            assert rules["instant_branches"] == "CGB-DG-MAIN" and rules["replacement_branches"] == ""
            assert rules["fee_replacement"] == "2000" and rules["ssn_province_code"] == "44"
            assert rules["card_ready_working_days"] == "12" and rules["permit_max_years_a"] == "5"
            assert conn.execute(text("SELECT city_code FROM auth_employer")).scalar_one() == "4419"
            default = conn.execute(text("SELECT name_en, name_zh FROM policy_city WHERE is_default")).one()
            assert tuple(default) == ("Dongguan", "东莞")
            day = conn.execute(text("SELECT effective_from FROM policy_rule LIMIT 1")).scalar_one()
            assert (day if isinstance(day, date) else date.fromisoformat(day)) == date(2024, 12, 1)
        with engine.begin() as conn:
            command.downgrade(alembic_config(connection=conn), BEFORE)
        with engine.connect() as conn:
            flags = dict(conn.execute(text("SELECT code, instant_production FROM bank_branch")).all())
            assert flags == {"CGB-DG-MAIN": True, "CGB-DG-HUMEN": False}
