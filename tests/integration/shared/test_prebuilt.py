"""Statements run on the driver's cursor (permitcard.prebuilt) behave as SQLAlchemy's execution does:
values converted and encrypted, errors raised as SQLAlchemy's, counted by the engine's listeners, and
a query sees what the unit of work appended before it."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, cast

import pytest
from sqlalchemy import Table, bindparam, event, insert, select, text
from sqlalchemy.exc import IntegrityError

from permitcard.db import Database
from permitcard.insurance.models import InsurancePerson
from permitcard.prebuilt import Prebuilt
from permitcard.shared.audit import Actor, record
from permitcard.shared.crypto import blind_index
from permitcard.shared.models import AuditLog

PEOPLE = cast(Table, InsurancePerson.__table__)
INSERT_PERSON = Prebuilt(insert(PEOPLE).returning(PEOPLE.c.id))
BY_PERMIT = Prebuilt(select(PEOPLE.c.id, PEOPLE.c.ssn, PEOPLE.c.birth_date, PEOPLE.c.created_at)
                     .where(PEOPLE.c.permit_number == bindparam("number")))
WHEN = datetime(2026, 11, 29, 8, 30, 15, 123456, tzinfo=UTC)


def _person(n: int) -> dict[str, Any]:
    ssn = f"44190019900101{n:03d}X"
    return {"ssn": ssn, "ssn_hash": blind_index(ssn), "permit_number": f"PB{n:06d}", "family_name": "Moreau",
            "given_names": "Claire", "nationality": "FR", "birth_date": date(1990, 1, 1), "sex": "F",
            "passport_number": f"P{n:07d}", "passport_hash": blind_index(f"P{n:07d}"), "ssn_source": "assigned",
            "created_at": WHEN}


def test_a_person_written_and_read_back_has_the_values_written_and_the_ssn_is_encrypted_at_rest(db: Database) -> None:
    with db.uow() as s:
        new_id = INSERT_PERSON.run(s, _person(1)).scalar_one()
        row = BY_PERMIT.run(s, {"number": "PB000001"}).one()
        stored = s.execute(text("SELECT ssn FROM insurance_person WHERE id = :id"), {"id": new_id}).scalar_one()
        usual = s.execute(BY_PERMIT.statement, {"number": "PB000001"}).one()
    assert (row.id, row.ssn, row.birth_date) == (new_id, "44190019900101001X", date(1990, 1, 1))
    assert tuple(row) == tuple(usual)  # what SQLAlchemy's own execution answers, conversions included
    assert row.created_at.replace(tzinfo=UTC) == WHEN
    assert "44190019900101001X" not in str(stored)


def test_an_unknown_number_answers_no_row(db: Database) -> None:
    with db.uow() as s:
        assert BY_PERMIT.run(s, {"number": "NOPE"}).first() is None
        assert BY_PERMIT.run(s, {"number": "NOPE"}).scalar_one_or_none() is None


def test_a_duplicate_is_sqlalchemys_integrity_error_and_the_transaction_keeps_what_it_wrote(db: Database) -> None:
    with db.uow() as s:
        INSERT_PERSON.run(s, _person(2))
        with pytest.raises(IntegrityError), s.begin_nested():
            INSERT_PERSON.run(s, {**_person(3), "permit_number": "PB000002"})
        assert BY_PERMIT.run(s, {"number": "PB000002"}).one().ssn == "44190019900101002X"


def test_the_engines_listeners_count_these_statements(db: Database) -> None:
    seen: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        seen.append(statement.split(None, 1)[0].upper())

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        with db.uow() as s:
            INSERT_PERSON.run(s, _person(4))
            BY_PERMIT.run(s, {"number": "PB000004"}).one()
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert [w for w in seen if w in ("INSERT", "SELECT")] == ["INSERT", "SELECT"]


def test_a_query_sees_the_rows_the_unit_of_work_appended_before_it(db: Database) -> None:
    audit = cast(Table, AuditLog.__table__)
    by_action = Prebuilt(select(audit.c.id).where(audit.c.action == bindparam("action")))
    with db.uow() as s:
        record(s, actor=Actor(user_id=None, role="system", label="test"), action="test.prebuilt_sees_appended",
               target_type="t", target_id="1")
        assert len(by_action.run(s, {"action": "test.prebuilt_sees_appended"}).all()) == 1


def test_a_statement_whose_sql_depends_on_its_values_runs_the_usual_way(db: Database) -> None:
    in_list = Prebuilt(select(PEOPLE.c.permit_number).where(PEOPLE.c.permit_number.in_(bindparam("numbers",
                                                                                                expanding=True))))
    with db.uow() as s:
        INSERT_PERSON.run(s, _person(5))
        INSERT_PERSON.run(s, _person(6))
        found = in_list.run(s, {"numbers": ["PB000005", "PB000006", "PB999999"]}).scalars()
    assert sorted(found) == ["PB000005", "PB000006"]
