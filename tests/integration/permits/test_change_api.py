"""Permit changes over the JSON API: filing, refusals with their field, decisions, history, visibility."""

from __future__ import annotations

from datetime import date, timedelta

from fastapi.testclient import TestClient

from permitcard.auth.domain import Role
from permitcard.db import Database
from permitcard.shared import clock
from tests.factories import api_login, make_user
from tests.permit_change_factories import issued_permit, make_paper
from tests.permit_factories import employer_with_user

ON = date(2026, 3, 2)


def _decide(client: TestClient, app: dict, action: str = "approve", reason: str = "") -> dict:  # type: ignore[type-arg]
    r = client.post(f"/api/v1/permit-applications/{app['id']}/decision",
                    json={"action": action, "reason": reason, "version": app["version"]})
    assert r.status_code == 200, r.text
    return dict(r.json())


def test_extension_modification_history_over_the_api(db: Database, client: TestClient) -> None:
    info, _e, _u = issued_permit(db, on=ON, employer=employer_with_user(db, email="hr-chg@example.com"))
    employer_with_user(db, email="hr-other@example.com")
    make_user(db, Role.PERMIT_OFFICER, "officer-chg@example.com")
    make_user(db, Role.AUDITOR, "auditor-chg@example.com")
    number = info.permit_number
    body = {"requested_end_date": "2027-09-01", "contract_end_date": "2028-01-01",
            "passport_expiry_date": "2030-01-01"}
    with clock.frozen(info.valid_to - timedelta(days=100)):
        api_login(client, "hr-chg@example.com")
        r = client.post(f"/api/v1/permits/{number}/extensions", json=body)
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "permit_number"
        message = r.json()["errors"][0]["message"]
        assert "30 June 2026" in message and "29 August 2026" in message  # the first and last day
        bad = client.post(f"/api/v1/permits/{number}/extensions", json={**body, "requested_end_date": "2031-1-1"})
        assert bad.status_code == 422
    with clock.frozen(info.valid_to - timedelta(days=60)):
        api_login(client, "hr-other@example.com")
        other = client.post(f"/api/v1/permits/{number}/extensions", json=body)
        unknown = client.post("/api/v1/permits/WP20260000000000/extensions", json=body)
        assert other.status_code == unknown.status_code == 422 and other.json() == unknown.json()
        assert client.get(f"/api/v1/permits/{number}/versions").status_code == 404
        api_login(client, "hr-chg@example.com")
        r = client.post(f"/api/v1/permits/{number}/extensions", json=body)
        assert r.status_code == 201, r.text
        ext = r.json()
        assert ext["kind"] == "extension" and ext["requested_end_date"] == "2027-09-01"
        assert client.post(f"/api/v1/permits/{number}/extensions", json=body).status_code == 409
        api_login(client, "officer-chg@example.com")
        queue = client.get("/api/v1/permit-applications", params={"state": "submitted"}).json()
        assert [a["kind"] for a in queue["items"]] == ["extension"]
        assert _decide(client, ext)["state"] == "approved"
        api_login(client, "hr-chg@example.com")
        mod = client.post(f"/api/v1/permits/{number}/modifications", json={
            "change_date": (clock.today() - timedelta(days=30)).isoformat(), "position": "Chief engineer"})
        assert mod.status_code == 201 and mod.json()["days_late"] > 0, mod.text
        employer = client.post(f"/api/v1/permits/{number}/modifications", json={
            "change_date": clock.today().isoformat(), "employer_uscc": "91441900MA4W00000X"})
        assert employer.status_code in (409, 422)
        api_login(client, "officer-chg@example.com")
        _decide(client, mod.json())
        assert client.get(f"/api/v1/permits/{number}").json()["position"] == "Chief engineer"
    api_login(client, "auditor-chg@example.com")
    history = client.get(f"/api/v1/permits/{number}/versions")
    assert history.status_code == 200
    versions = history.json()["versions"]
    assert [v["kind"] for v in versions] == ["modification", "extension", "issued"]
    assert versions[0]["changes"] == [{"field": "position", "before": "Process engineer", "after": "Chief engineer"}]
    assert {"field": "valid_to", "before": info.valid_to.isoformat(), "after": "2027-09-01"} in versions[1]["changes"]
    assert versions[0]["filed_by"] == "hr-chg@example.com" and versions[0]["decided_by"] == "officer-chg@example.com"
    assert versions[0]["days_late"] > 0


def test_electronic_request_and_cancellation_over_the_api(db: Database, client: TestClient) -> None:
    info, _e, _u = issued_permit(db, on=ON, employer=employer_with_user(db, email="hr-el@example.com"))
    make_paper(db, info.permit_number)
    make_user(db, Role.PERMIT_OFFICER, "officer-el@example.com")
    with clock.frozen(ON + timedelta(days=30)):
        api_login(client, "hr-el@example.com")
        r = client.post(f"/api/v1/permits/{info.permit_number}/electronic-requests", json={})
        assert r.status_code == 201, r.text
        api_login(client, "officer-el@example.com")
        _decide(client, r.json(), "reject", "Bring the paper permit")
        api_login(client, "hr-el@example.com")
        r = client.post(f"/api/v1/permits/{info.permit_number}/electronic-requests", json={})
        api_login(client, "officer-el@example.com")
        returned = _decide(client, r.json(), "return", "Check")
        api_login(client, "hr-el@example.com")
        again = client.post(f"/api/v1/permit-applications/{returned['id']}/resubmit-change",
                            json={"version": returned["version"]})
        assert again.status_code == 200 and again.json()["state"] == "resubmitted"
        wrong = client.post(f"/api/v1/permit-applications/{returned['id']}/resubmit",
                            json={"version": again.json()["version"]})
        assert wrong.status_code == 422
        api_login(client, "officer-el@example.com")
        _decide(client, again.json())
        api_login(client, "hr-el@example.com")
        cancel = client.post(f"/api/v1/permits/{info.permit_number}/cancellations",
                             json={"change_date": "2026-13-01"})
        assert cancel.status_code == 422
        cancel = client.post(f"/api/v1/permits/{info.permit_number}/cancellations",
                             json={"change_date": clock.today().isoformat()})
        assert cancel.status_code == 201 and cancel.json()["days_late"] == 0
        api_login(client, "officer-el@example.com")
        _decide(client, cancel.json())
        assert client.get(f"/api/v1/permits/{info.permit_number}").json()["status"] == "cancelled"


def test_an_action_the_state_does_not_allow_is_refused_in_words_not_codes(db: Database, client: TestClient) -> None:
    info, _e, _u = issued_permit(db, on=ON, employer=employer_with_user(db, email="hr-chg-state@example.com"))
    with clock.frozen(ON + timedelta(days=20)):
        api_login(client, "hr-chg-state@example.com")
        mod = client.post(f"/api/v1/permits/{info.permit_number}/modifications",
                          json={"change_date": str(ON + timedelta(days=15)), "position": "Lead"})
        assert mod.status_code == 201, mod.text
        r = client.post(f"/api/v1/permit-applications/{mod.json()['id']}/resubmit-change",
                        json={"version": 1, "change_date": str(ON + timedelta(days=15)), "position": "Lead"},
                        headers={"Accept-Language": "zh-CN"})
    assert r.status_code == 409 and r.json()["code"] == "illegal_transition"
    detail = r.json()["detail"]
    assert "已提交" in detail and "submitted" not in detail and "resubmit" not in detail, detail
