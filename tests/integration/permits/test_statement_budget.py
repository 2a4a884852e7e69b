"""An approval stays the statements it needs: the permit, its person and version, the decision, audit and
events, and a read-back that takes what the session already holds (a look-up per answer crept in once:
17 -> 18 here)."""

from __future__ import annotations

from permitcard.db import Database
from permitcard.permits import service as permits
from tests.integration.insurance.test_statement_budget import counted
from tests.permit_factories import application_data, employer_actor, employer_with_user, officer_actor

BUDGET = 17  # 8 INSERTs (permit, person, version, decision, 2 audit rows, 2 events), 1 UPDATE, 8 SELECTs


def test_an_officer_approves_in_at_most_seventeen_statements(db: Database) -> None:
    employer_id, user_id = employer_with_user(db)
    app = permits.file_application(db, actor=employer_actor(employer_id, user_id), data=application_data())
    with counted(db) as statements:
        approved = permits.decide(db, actor=officer_actor(), application_id=app.id, version=app.version,
                                  action="approve", reason="")
    assert approved.permit_number and approved.notice_number  # the answer carries what the approval made
    work = [s for s in statements if not s.startswith(("SAVEPOINT", "RELEASE", "BEGIN", "COMMIT", "ROLLBACK"))]
    assert len(work) <= BUDGET, "\n".join(work)
