"""Rules per city with effective dates: scheduled by an administrator, audited, read as one Policy."""

from __future__ import annotations

from datetime import date

import pytest
from fastapi.testclient import TestClient

from permitcard.auth.domain import Role
from permitcard.db import Database
from permitcard.policy import service as policy
from permitcard.shared import audit, clock
from permitcard.shared.audit import Actor
from permitcard.shared.errors import Forbidden, ValidationFailed
from tests.card_factories import ready_applicant
from tests.factories import PASSWORD, api_login, make_user

TODAY = date(2026, 3, 2)
ADMIN = Actor(user_id=None, role="admin", label="admin@example.com")


@pytest.fixture(autouse=True)
def frozen():  # type: ignore[no-untyped-def]
    with clock.frozen(TODAY):
        yield


def _fee(db: Database, day: date) -> int:
    with db.uow(write=False) as s:
        return policy.policy_for(s, city="4419", on=day).fee_fen("replacement")


def test_replacement_fee_changes_from_a_future_date(db: Database) -> None:
    assert _fee(db, TODAY) == 2000
    policy.add_value(db, actor=ADMIN, city_code="4419", key="fee_replacement", value="25.50",
                     effective_from=date(2026, 4, 1), note="Notice 2026/7")
    assert _fee(db, TODAY) == 2000
    assert _fee(db, date(2026, 3, 31)) == 2000  # the old fee until the day before
    assert _fee(db, date(2026, 4, 1)) == 2550  # the new one from that date, exactly (fen)
    assert _fee(db, date(2027, 1, 1)) == 2550
    with clock.frozen(date(2026, 4, 1)):
        with db.uow(write=False) as s:
            sched = policy.schedule(s, code="4419")
        current = [e for e in sched.entries["fee_replacement"] if e.status == "current"]
        assert [(e.value, e.effective_from) for e in current] == [("2550", date(2026, 4, 1))]


def test_each_change_is_audited_with_before_and_after(db: Database) -> None:
    policy.add_value(db, actor=ADMIN, city_code="4419", key="card_ready_working_days", value="10",
                     effective_from=date(2026, 5, 1))
    with db.uow(write=False) as s:
        rows = audit.history(s, target_type="policy_city", target_id="4419")
    last = rows[0]  # newest first
    assert last.action == "policy_rule.set" and last.actor_label == "admin@example.com"
    assert last.before == {"key": "card_ready_working_days", "effective_from": "2026-05-01", "value": "12",
                           "value_from": "2024-12-01"}
    assert last.after == {"key": "card_ready_working_days", "effective_from": "2026-05-01", "value": "10"}


def test_the_past_and_todays_value_are_never_rewritten_a_planned_one_can_be(db: Database) -> None:
    with pytest.raises(ValidationFailed) as past:
        policy.add_value(db, actor=ADMIN, city_code="4419", key="fee_first", value="1",
                         effective_from=date(2026, 3, 1))
    assert past.value.errors[0].field == "effective_from"
    policy.add_value(db, actor=ADMIN, city_code="4419", key="fee_first", value="1", effective_from=TODAY)
    with pytest.raises(ValidationFailed):  # in force since this morning: only a later date may change it
        policy.add_value(db, actor=ADMIN, city_code="4419", key="fee_first", value="2", effective_from=TODAY)
    policy.add_value(db, actor=ADMIN, city_code="4419", key="fee_first", value="3", effective_from=date(2026, 6, 1))
    policy.add_value(db, actor=ADMIN, city_code="4419", key="fee_first", value="4", effective_from=date(2026, 6, 1))
    with db.uow(write=False) as s:
        assert policy.policy_for(s, city="4419", on=TODAY).fee_first == 100
        assert policy.policy_for(s, city="4419", on=date(2026, 6, 1)).fee_first == 400


def test_only_an_administrator_changes_rules(db: Database) -> None:
    for role in ("employer", "permit_officer", "agency_clerk", "bank_clerk", "auditor", "applicant"):
        with pytest.raises(Forbidden):
            policy.add_value(db, actor=Actor(user_id=1, role=role, label="x"), city_code="4419",
                             key="fee_first", value="1", effective_from=TODAY)


def test_a_change_reaches_the_applicant_from_its_date(db: Database, client: TestClient) -> None:
    """What a person sees before applying follows the rule in force on the day."""
    _permit, _ssn, _receipt, user = ready_applicant(db)
    assert user is not None

    make_user(db, Role.ADMIN, "policy-admin@example.com")
    api_login(client, "policy-admin@example.com")
    r = client.post("/api/v1/cities/4419/rules", json={"key": "fee_first", "value": "12.00",
                                                       "effective_from": "2026-03-10", "note": "test"})
    assert r.status_code == 201, r.text
    assert r.json()["value"] == "1200" and r.json()["status"] == "future"
    client.cookies.clear()
    api_login(client, user.label, PASSWORD)
    assert client.get("/api/v1/me/card-eligibility").json()["fee_fen"] == 0
    with clock.frozen(date(2026, 3, 10)):
        client.cookies.clear()  # eight days later: a new session
        api_login(client, user.label, PASSWORD)
        assert client.get("/api/v1/me/card-eligibility").json()["fee_fen"] == 1200


def test_api_reads_the_policy_of_a_day_and_refuses_other_roles(db: Database, client: TestClient) -> None:
    make_user(db, Role.ADMIN, "policy-admin2@example.com")
    make_user(db, Role.AUDITOR, "policy-auditor@example.com")
    make_user(db, Role.PERMIT_OFFICER, "policy-officer@example.com")
    assert [c["code"] for c in client.get("/api/v1/cities").json()] == ["4419"]
    assert client.get("/api/v1/cities/4419/policy").status_code == 401

    api_login(client, "policy-officer@example.com")
    assert client.get("/api/v1/cities/4419/policy").status_code == 403
    assert client.post("/api/v1/cities/4419/rules", json={"key": "fee_first", "value": "1",
                                                          "effective_from": "2026-04-01"}).status_code == 403

    client.cookies.clear()
    api_login(client, "policy-auditor@example.com")
    p = client.get("/api/v1/cities/4419/policy", params={"on": "2026-03-02"}).json()
    assert p["permit_max_years"] == {"A": 5, "B": 2, "C": 1} and p["card_ready_working_days"] == 12
    assert (p["fee_first_fen"], p["fee_upgrade_fen"], p["fee_replacement_fen"]) == (0, 0, 2000)
    assert p["ssn_province_code"] == "44" and p["instant_branches"] == ["CGB-DG-MAIN", "CGB-DG-ZHONGXIN"]
    assert client.post("/api/v1/cities/4419/rules", json={"key": "fee_first", "value": "1",
                                                          "effective_from": "2026-04-01"}).status_code == 403

    client.cookies.clear()
    api_login(client, "policy-admin2@example.com")
    bad = client.post("/api/v1/cities/4419/rules", json={"key": "fee_first", "value": "1.001",
                                                         "effective_from": "2026-04-01"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "value"
    past = client.post("/api/v1/cities/4419/rules", json={"key": "fee_first", "value": "1",
                                                          "effective_from": "2026-03-01"})
    assert past.status_code == 422 and past.json()["errors"][0]["field"] == "effective_from"
    assert client.get("/api/v1/cities/9999/policy").status_code == 404
    early = client.get("/api/v1/cities/4419/policy", params={"on": "2024-11-30"})
    assert early.status_code == 422 and early.json()["code"] == "policy_missing"


def test_reads_cost_no_sql_once_warm_and_a_change_is_seen_at_once(db: Database) -> None:
    from sqlalchemy import event

    statements: list[str] = []

    def count(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        statements.append(statement)

    with db.uow(write=False) as s:
        policy.policy_for(s, city="4419", on=TODAY)  # warms the process's cache
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        with db.uow(write=False) as s:
            assert policy.policy_for(s, city="4419", on=TODAY).card_ready_working_days == 12
            assert policy.policy_for(s, city=None, on=TODAY).city == "4419"
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert [x for x in statements if not x.startswith(("SAVEPOINT", "RELEASE", "BEGIN"))] == []
    policy.add_value(db, actor=ADMIN, city_code="4419", key="card_ready_working_days", value="9",
                     effective_from=TODAY)
    with db.uow(write=False) as s:
        assert policy.policy_for(s, city="4419", on=TODAY).card_ready_working_days == 9
