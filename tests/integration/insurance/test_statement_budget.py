"""A registration stays a handful of SQL statements, audit and events included (ARCHITECTURE rule 12)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event

from permitcard.db import Database
from permitcard.insurance import service as insurance
from tests.permit_factories import employer_actor, employer_with_user, file_and_approve

BUDGET = 10


@contextmanager
def counted(db: Database) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        statements.append(statement.split(None, 1)[0].upper() + " " + statement[:90].replace("\n", " "))

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def test_an_employer_registers_a_worker_in_at_most_ten_statements(db: Database) -> None:
    employer_id, user_id = employer_with_user(db)
    permit = file_and_approve(db, employer_id=employer_id, user_id=user_id)
    actor = employer_actor(employer_id, user_id)
    with counted(db) as statements:
        result = insurance.register(db, actor=actor, notice_number=permit.notice_number, permit_number=None,
                                    family_name=permit.family_name, given_names=permit.given_names,
                                    passport_number=permit.passport_number)
    assert result.ssn is not None
    work = [s for s in statements if not s.startswith(("SAVEPOINT", "RELEASE", "BEGIN", "COMMIT", "ROLLBACK"))]
    assert len(work) <= BUDGET, "\n".join(work)
