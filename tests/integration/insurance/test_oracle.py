"""An employer cannot learn anything about another company's worker from the insurance registration:
unknown number or notice, wrong name, wrong passport, or every detail right but not its employee, the
answer is the same, byte for byte; and the tries are throttled. On SQLite and PostgreSQL."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from permitcard.db import Database
from permitcard.insurance.models import InsuranceRegistration
from permitcard.shared.models import AuditLog
from tests.factories import api_login
from tests.permit_factories import employer_with_user, file_and_approve


def _probes(info) -> dict[str, dict[str, str]]:  # type: ignore[no-untyped-def]
    right = {"permit_number": info.permit_number, "family_name": info.family_name,
             "given_names": info.given_names, "passport_number": info.passport_number}
    return {
        "unknown number": {**right, "permit_number": "WP20990000000001"},
        "wrong name": {**right, "family_name": "SOMEBODY"},
        "wrong passport": {**right, "passport_number": "X0000000"},
        "all right, not your employee": right,
        "by notice, all right": {**{k: v for k, v in right.items() if k != "permit_number"},
                                 "notice_number": info.notice_number},
        "unknown notice": {**{k: v for k, v in right.items() if k != "permit_number"},
                           "notice_number": "FWPN-2099-NOSUCH00"},
    }


def test_another_companys_worker_gets_one_answer_byte_for_byte(db: Database, client: TestClient) -> None:
    info = file_and_approve(db)  # the worker of another company
    employer_with_user(db, email="hr-nosy@example.com")
    api_login(client, "hr-nosy@example.com")
    answers = {name: client.post("/api/v1/insurance-registrations", json=body)
               for name, body in _probes(info).items()}
    assert {r.status_code for r in answers.values()} == {422}
    assert len({r.content for r in answers.values()}) == 1, {k: r.text for k, r in answers.items()}
    assert answers["wrong name"].json()["code"] == "not_your_employee"
    with db.uow(write=False) as s:
        assert s.execute(select(func.count()).select_from(InsuranceRegistration)).scalar_one() == 0
        refused = s.execute(select(func.count()).select_from(AuditLog).where(
            AuditLog.action == "security.permit_lookup_refused")).scalar_one()
    assert refused == len(answers)


def test_the_same_on_the_page(db: Database, client: TestClient) -> None:
    from tests.factories import csrf, page_login

    info = file_and_approve(db)
    employer_with_user(db, email="hr-nosy@example.com")
    page_login(client, "hr-nosy@example.com")
    messages = set()
    for body in _probes(info).values():
        r = client.post("/employer/insurance", data={**body, "declaration": "yes", "csrf_token": csrf(client)})
        assert r.status_code == 422
        summary = r.text.split('class="error-summary"')[1].split("</div>")[0]
        messages.add(summary)
    assert len(messages) == 1 and "do not match a work permit of one of your company" in messages.pop()


def test_probing_is_throttled_per_employer(db: Database, client: TestClient) -> None:
    info = file_and_approve(db)
    employer_with_user(db, email="hr-nosy@example.com")
    api_login(client, "hr-nosy@example.com")
    body = _probes(info)["wrong name"]
    codes = [client.post("/api/v1/insurance-registrations", json=body).status_code for _ in range(21)]
    assert codes == [422] * 20 + [429]
    r = client.post("/api/v1/insurance-registrations", json=body)
    assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1


def test_an_employer_still_hears_why_its_own_workers_registration_is_refused(db: Database,
                                                                             client: TestClient) -> None:
    employer_id, user_id = employer_with_user(db, email="hr-own@example.com")
    info = file_and_approve(db, employer_id=employer_id, user_id=user_id)
    api_login(client, "hr-own@example.com")
    r = client.post("/api/v1/insurance-registrations", json=_probes(info)["wrong passport"])
    assert r.status_code == 422 and r.json()["code"] == "registration_refused"


def test_linking_an_account_to_a_permit_gives_one_answer_and_is_throttled(db: Database, client: TestClient) -> None:
    from permitcard.auth.domain import Role
    from tests.factories import make_user

    info = file_and_approve(db)
    make_user(db, Role.APPLICANT, "nosy@example.com")
    api_login(client, "nosy@example.com")
    right = {"family_name": info.family_name, "given_names": info.given_names,
             "permit_number": info.permit_number, "passport_number": info.passport_number}
    probes = [{**right, "permit_number": "WP20990000000001"}, {**right, "family_name": "SOMEBODY"},
              {**right, "passport_number": "X0000000"}]
    answers = [client.post("/api/v1/me/permit-link", json=body) for body in probes]
    assert {r.status_code for r in answers} == {422} and len({r.content for r in answers}) == 1
    more = [client.post("/api/v1/me/permit-link", json=probes[0]).status_code for _ in range(3)]
    assert more == [422, 422, 429]  # the sixth try waits
