"""The permits API over HTTP: roles, ownership, versions, masking, verification."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from permitcard.auth.domain import Role
from permitcard.db import Database
from tests.factories import api_login, make_user
from tests.permit_factories import application_data, employer_with_user, file_and_approve


def _json(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in data.items()}


def _file(client: TestClient, **overrides: Any) -> dict[str, Any]:
    r = client.post("/api/v1/permit-applications", json=_json(application_data(**overrides)))
    assert r.status_code == 201, r.text
    return dict(r.json())


def test_employer_files_and_officer_decides(db: Database, client: TestClient) -> None:
    employer_with_user(db, email="hr-api@example.com")
    make_user(db, Role.PERMIT_OFFICER, "officer-api@example.com")
    api_login(client, "hr-api@example.com")
    app = _file(client, passport_number="X1234567")
    assert app["state"] == "submitted" and app["passport_number"] == "X1234567"
    assert client.get(f"/api/v1/permit-applications/{app['id']}").json()["reference"] == app["reference"]

    api_login(client, "officer-api@example.com")
    r = client.post(f"/api/v1/permit-applications/{app['id']}/decision",
                    json={"action": "approve", "reason": "", "version": 1})
    assert r.status_code == 200, r.text
    done = r.json()
    assert done["state"] == "approved" and done["permit_number"]
    stale = client.post(f"/api/v1/permit-applications/{app['id']}/decision",
                        json={"action": "reject", "reason": "late", "version": 1})
    assert stale.status_code == 409 and stale.headers["content-type"].startswith("application/problem+json")
    listed = client.get("/api/v1/permit-applications", params={"state": "approved"}).json()
    assert listed["total"] == 1 and listed["counts"] == {"approved": 1}

    permit = client.get(f"/api/v1/permits/{done['permit_number']}").json()
    assert permit["status"] == "valid" and permit["passport_number"] == "X1234567"
    notice = client.get(f"/api/v1/notices/{done['notice_number']}").json()
    assert notice["permit_number"] == done["permit_number"] and "/verify/notices/" in notice["verify_url"]


def test_validation_errors_name_fields(db: Database, client: TestClient) -> None:
    employer_with_user(db, email="hr-api2@example.com")
    api_login(client, "hr-api2@example.com")
    body = _json(application_data(nationality="CN"))
    body["sex"] = "X"
    r = client.post("/api/v1/permit-applications", json=body)
    assert r.status_code == 422 and {e["field"] for e in r.json()["errors"]} == {"sex"}
    body["sex"] = "M"
    r = client.post("/api/v1/permit-applications", json=body)
    assert r.status_code == 422 and {e["field"] for e in r.json()["errors"]} == {"nationality"}
    r = client.post("/api/v1/permit-applications/1/decision", json={"action": "approve", "version": 1})
    assert r.status_code == 403


def test_other_employer_gets_404(db: Database, client: TestClient) -> None:
    employer_with_user(db, email="hr-a@example.com")
    employer_with_user(db, email="hr-b@example.com")
    api_login(client, "hr-a@example.com")
    app = _file(client)
    api_login(client, "hr-b@example.com")
    assert client.get(f"/api/v1/permit-applications/{app['id']}").status_code == 404
    assert client.post(f"/api/v1/permit-applications/{app['id']}/withdraw", json={"version": 1}).status_code == 404
    assert client.get("/api/v1/permit-applications").json()["total"] == 0


def test_auditor_sees_masked_passport_and_no_csrf_no_change(db: Database, client: TestClient) -> None:
    employer_id, user_id = employer_with_user(db, email="hr-c@example.com")
    info = file_and_approve(db, employer_id=employer_id, user_id=user_id, passport_number="K9876543")
    make_user(db, Role.AUDITOR, "auditor-api@example.com")
    api_login(client, "auditor-api@example.com")
    items = client.get("/api/v1/permit-applications").json()["items"]
    assert items[0]["passport_number"].endswith("6543") and "K98" not in items[0]["passport_number"]
    assert client.get(f"/api/v1/permits/{info.permit_number}").json()["passport_number"].startswith("•")
    del client.headers["X-CSRF-Token"]
    api_login(client, "hr-c@example.com")
    client.headers.pop("X-CSRF-Token")
    r = client.post("/api/v1/permit-applications", json=_json(application_data()))
    assert r.status_code == 403


def test_registry_verify_for_clerks_only(db: Database, client: TestClient) -> None:
    info = file_and_approve(db, passport_number="V1112223", family_name="NGUYEN", given_names="VAN AN")
    make_user(db, Role.AGENCY_CLERK, "agency-api@example.com")
    api_login(client, "agency-api@example.com")
    body = {"permit_number": info.permit_number, "family_name": "Nguyen", "given_names": "Van An",
            "passport_number": "V1112223"}
    ok = client.post("/api/v1/registry/verify", json=body).json()
    assert ok["confirmed"] is True and ok["permit"]["status"] == "valid" and "passport_number" not in ok["permit"]
    bad = client.post("/api/v1/registry/verify", json={**body, "passport_number": "V0000000"}).json()
    assert bad == {"confirmed": False, "reason": "passport_mismatch", "permit": None,
                   "message": "The passport number does not match the one on the work permit"}
    employer_with_user(db, email="hr-d@example.com")
    api_login(client, "hr-d@example.com")
    assert client.post("/api/v1/registry/verify", json=body).status_code == 403
    assert client.get(f"/api/v1/permits/{info.permit_number}").status_code == 404
    assert client.get(f"/api/v1/notices/{info.notice_number}").status_code == 404
