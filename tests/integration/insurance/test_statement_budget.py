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


def test_the_registration_request_answers_from_its_own_write_in_at_most_ten_statements(db: Database, client) -> None:  # type: ignore[no-untyped-def]
    """All of it over HTTP: the session, the use case with its audit rows and events, the answer (no read-back).
    SQLite's BEGIN IMMEDIATE (its write lock) is not counted; a read of the session takes no BEGIN."""
    from tests.factories import api_login

    employer_id, user_id = employer_with_user(db, email="hr-budget@example.com")
    permit = file_and_approve(db, employer_id=employer_id, user_id=user_id)
    api_login(client, "hr-budget@example.com")
    client.get("/api/v1/insurance-registrations")  # the session's last-seen stamp is fresh: no write for it
    with counted(db) as statements:
        r = client.post("/api/v1/insurance-registrations", json={
            "notice_number": permit.notice_number, "family_name": permit.family_name,
            "given_names": permit.given_names, "passport_number": permit.passport_number})
    assert r.status_code == 201, r.text
    assert r.json()["ssn"] and r.json()["state"] == "registered" and r.json()["created_at"]
    work = [s for s in statements if not s.startswith(("SAVEPOINT", "RELEASE", "BEGIN IMMEDIATE", "COMMIT",
                                                        "ROLLBACK"))]
    assert len(work) <= BUDGET, "\n".join(work)
    # The answer is what a read gives afterwards.
    again = client.get(f"/api/v1/insurance-registrations/{r.json()['id']}").json()
    assert {k: again[k] for k in again if k != "already_registered"} == \
        {k: r.json()[k] for k in again if k != "already_registered"}
