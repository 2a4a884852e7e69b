"""The insurance API: status codes, refusal reasons, SSN visibility, ownership 404s."""

from __future__ import annotations

from fastapi.testclient import TestClient

from permitcard.auth.domain import Role
from permitcard.db import Database
from tests.factories import api_login, make_user
from tests.insurance_factories import make_agency_clerk
from tests.permit_factories import employer_with_user, file_and_approve


def _body(info, **overrides):  # type: ignore[no-untyped-def]
    body = {"notice_number": info.notice_number, "family_name": info.family_name,
            "given_names": info.given_names, "passport_number": info.passport_number}
    body.update(overrides)
    return body


def test_employer_registers_own_worker_and_sees_the_ssn(db: Database, client: TestClient) -> None:
    employer_id, user_id = employer_with_user(db, email="hr-api@example.com")
    info = file_and_approve(db, employer_id=employer_id, user_id=user_id)
    api_login(client, "hr-api@example.com")
    r = client.post("/api/v1/insurance-registrations", json=_body(info))
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["state"] == "registered" and len(created["ssn"]) == 18
    again = client.post("/api/v1/insurance-registrations", json=_body(info))
    assert again.status_code == 200 and again.json()["ssn"] == created["ssn"] and again.json()["already_registered"]
    listing = client.get("/api/v1/insurance-registrations").json()
    assert listing["total"] == 1 and listing["items"][0]["ssn"] == created["ssn"]
    assert client.get(f"/api/v1/insurance-registrations/{created['id']}").status_code == 200


def test_refusal_is_422_with_the_reason_and_kept(db: Database, client: TestClient) -> None:
    info = file_and_approve(db)
    make_agency_clerk(db, email="clerk-api@example.com")
    api_login(client, "clerk-api@example.com")
    r = client.post("/api/v1/insurance-registrations", json=_body(info, passport_number="WRONG999"))
    assert r.status_code == 422
    problem = r.json()
    assert problem["code"] == "registration_refused"
    assert problem["detail"] == "The passport number does not match the one on the work permit"
    listing = client.get("/api/v1/insurance-registrations?state=refused").json()
    assert listing["total"] == 1 and listing["items"][0]["refusal_reason"] == "passport_mismatch"
    assert listing["items"][0]["ssn"] is None


def test_bad_input_and_other_employers_worker(db: Database, client: TestClient) -> None:
    info = file_and_approve(db)
    employer_with_user(db, email="hr-other@example.com")
    api_login(client, "hr-other@example.com")
    r = client.post("/api/v1/insurance-registrations", json={"family_name": "", "passport_number": ""})
    assert r.status_code == 422 and {e["field"] for e in r.json()["errors"]} >= {"notice_number", "family_name"}
    assert client.post("/api/v1/insurance-registrations", json={"x": 1}).status_code == 422
    r = client.post("/api/v1/insurance-registrations", json=_body(info))
    assert r.status_code == 422 and r.json()["code"] == "not_your_employee"
    assert client.get("/api/v1/insurance-registrations").json()["total"] == 0


def test_ownership_and_masking(db: Database, client: TestClient) -> None:
    employer_id, user_id = employer_with_user(db, email="hr-own@example.com")
    info = file_and_approve(db, employer_id=employer_id, user_id=user_id)
    api_login(client, "hr-own@example.com")
    created = client.post("/api/v1/insurance-registrations", json=_body(info)).json()
    employer_with_user(db, email="hr-nosy@example.com")
    api_login(client, "hr-nosy@example.com")
    assert client.get(f"/api/v1/insurance-registrations/{created['id']}").status_code == 404
    assert client.get("/api/v1/insurance-registrations/99999999999").status_code == 404  # no id can be that large
    make_user(db, Role.AUDITOR, "auditor-api@example.com")
    api_login(client, "auditor-api@example.com")
    seen = client.get(f"/api/v1/insurance-registrations/{created['id']}").json()["ssn"]
    assert seen != created["ssn"] and seen.endswith(created["ssn"][-4:])
    assert client.post("/api/v1/insurance-registrations", json=_body(info)).status_code == 403
    make_user(db, Role.PHOTO_STUDIO, "studio-api@example.com")
    api_login(client, "studio-api@example.com")
    assert client.get("/api/v1/insurance-registrations").status_code == 403


def test_applicant_registers_themself(db: Database, client: TestClient) -> None:
    info = file_and_approve(db)
    make_user(db, Role.APPLICANT, "me-api@example.com")
    api_login(client, "me-api@example.com")
    r = client.post("/api/v1/insurance-registrations", json=_body(info))
    assert r.status_code == 422 and r.json()["code"] == "no_linked_permit"
    link = client.post("/api/v1/me/permit-link", json={"family_name": info.family_name,
                                                        "given_names": info.given_names,
                                                        "permit_number": info.permit_number,
                                                        "passport_number": info.passport_number})
    assert link.status_code == 200, link.text
    r = client.post("/api/v1/insurance-registrations", json=_body(info))
    assert r.status_code == 201 and r.json()["channel"] == "individual" and len(r.json()["ssn"]) == 18
