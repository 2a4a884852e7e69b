"""The whole first journey through the JSON API only, as an integrator would drive it.

Employer files -> officer approves -> employer registers insurance -> studio uploads a photo ->
worker signs up, links, applies online -> agency approves (promised date) -> branch confirms,
hands over, activates. Then the instant channel at a same-day branch.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient

from permitcard.auth.domain import Role
from permitcard.shared import clock
from tests.card_factories import seed_branches
from tests.factories import api_login, api_sign_up, make_user
from tests.insurance_factories import jpeg_bytes
from tests.permit_factories import employer_with_user

TODAY = date(2026, 3, 2)  # a Monday; 12 working days later is Wednesday 18 March 2026


@pytest.fixture(autouse=True)
def frozen():  # type: ignore[no-untyped-def]
    with clock.frozen(TODAY):
        yield


def _as(client: TestClient, email: str) -> None:
    client.cookies.clear()
    api_login(client, email)


def _permit(client: TestClient, family: str, given: str, passport: str) -> dict:
    start = TODAY + timedelta(days=7)
    filed = client.post("/api/v1/permit-applications", json={
        "family_name": family, "given_names": given, "nationality": "BR", "birth_date": "1991-07-04", "sex": "F",
        "passport_number": passport, "passport_expiry_date": str(start + timedelta(days=2000)),
        "position": "Supply chain analyst", "category": "B", "contract_start_date": str(start),
        "contract_end_date": str(start + timedelta(days=800)), "requested_end_date": str(start + timedelta(days=700)),
    })
    assert filed.status_code == 201, filed.text
    return dict(filed.json())


def _through_registry_and_insurance(client: TestClient, emails: dict[str, str], family: str, given: str,
                                    passport: str) -> tuple[str, str, str]:
    _as(client, emails["employer"])
    app = _permit(client, family, given, passport)
    _as(client, emails["officer"])
    approved = client.post(f"/api/v1/permit-applications/{app['id']}/decision",
                           json={"action": "approve", "version": app["version"]})
    assert approved.status_code == 200 and approved.json()["state"] == "approved", approved.text
    permit_number, notice = approved.json()["permit_number"], approved.json()["notice_number"]

    _as(client, emails["employer"])
    reg = client.post("/api/v1/insurance-registrations", json={
        "notice_number": notice, "family_name": family, "given_names": given, "passport_number": passport})
    assert reg.status_code == 201 and reg.json()["state"] == "registered", reg.text
    ssn = reg.json()["ssn"]
    assert len(ssn) == 18 and ssn.startswith("944076")  # 9 + Guangdong + Brazil (076)

    _as(client, emails["studio"])
    photo = client.post("/api/v1/photos", data={"family_name": family, "given_names": given,
                                                "passport_number": passport},
                        files={"file": ("me.jpg", jpeg_bytes(), "image/jpeg")})
    assert photo.status_code == 201, photo.text
    return permit_number, ssn, photo.json()["receipt_number"]


@pytest.fixture
def emails(db) -> dict[str, str]:  # type: ignore[no-untyped-def]
    branches = seed_branches(db)
    employer_with_user(db, email="api-hr@example.com")
    make_user(db, Role.PERMIT_OFFICER, "api-officer@example.com")
    make_user(db, Role.PHOTO_STUDIO, "api-studio@example.com")
    make_user(db, Role.AGENCY_CLERK, "api-agency@example.com")
    make_user(db, Role.BANK_CLERK, "api-ccb@example.com", branch_id=branches["CCB-DG-BRANCH"])
    make_user(db, Role.BANK_CLERK, "api-cgb@example.com", branch_id=branches["CGB-DG-MAIN"])
    return {"employer": "api-hr@example.com", "officer": "api-officer@example.com", "studio": "api-studio@example.com",
            "agency": "api-agency@example.com", "ccb": "api-ccb@example.com", "cgb": "api-cgb@example.com",
            "ccb_branch": str(branches["CCB-DG-BRANCH"]), "cgb_branch": str(branches["CGB-DG-MAIN"])}


def test_paper_channel_through_the_api(client: TestClient, emails: dict[str, str]) -> None:
    permit_number, ssn, receipt = _through_registry_and_insurance(client, emails, "SILVA", "ANA CLARA", "BR1234567")

    client.cookies.clear()
    api_sign_up(client, "ana@example.com", "sugar loaf at noon", "Ana Clara Silva")
    wrong = client.post("/api/v1/me/permit-link", json={"family_name": "SILVA", "given_names": "ANA CLARA",
                                                        "permit_number": permit_number, "passport_number": "X1"})
    wrong_name = client.post("/api/v1/me/permit-link", json={"family_name": "SOUZA", "given_names": "ANA CLARA",
                                                             "permit_number": permit_number,
                                                             "passport_number": "BR1234567"})
    assert wrong.status_code == wrong_name.status_code == 422
    assert wrong.json() == wrong_name.json()  # one generic refusal: it does not say which part was wrong
    linked = client.post("/api/v1/me/permit-link", json={"family_name": "Silva", "given_names": "Ana Clara",
                                                         "permit_number": permit_number,
                                                         "passport_number": "BR1234567"})
    assert linked.status_code == 200 and linked.json()["permit_number"] == permit_number
    eligibility = client.get("/api/v1/me/card-eligibility").json()
    assert eligibility["eligible"] and eligibility["kind"] == "first" and eligibility["fee_fen"] == 0

    applied = client.post("/api/v1/card-applications", json={
        "branch_id": int(emails["ccb_branch"]), "photo_receipt": receipt, "passport_number": "BR1234567"})
    assert applied.status_code == 201, applied.text
    app = applied.json()
    assert app["state"] == "submitted" and app["channel"] == "standard"
    again = client.post("/api/v1/card-applications", json={
        "branch_id": int(emails["ccb_branch"]), "photo_receipt": receipt, "passport_number": "BR1234567"})
    assert again.status_code == 422  # one application at a time, and the receipt is used

    _as(client, emails["agency"])
    approved = client.post(f"/api/v1/card-applications/{app['id']}/decision",
                           json={"action": "approve", "version": app["version"]})
    assert approved.status_code == 200, approved.text
    assert approved.json()["promised_date"] == "2026-03-18"
    assert approved.json()["state"] == "in_production"
    stale = client.post(f"/api/v1/card-applications/{app['id']}/decision",
                        json={"action": "approve", "version": app["version"]})
    assert stale.status_code == 409

    _as(client, emails["cgb"])  # another branch's clerk sees nothing
    assert client.get(f"/api/v1/card-applications/{app['id']}").status_code == 404

    _as(client, emails["ccb"])
    current = client.get(f"/api/v1/card-applications/{app['id']}").json()
    ready = client.post(f"/api/v1/card-applications/{app['id']}/confirm-receipt",
                        json={"version": current["version"]})
    assert ready.status_code == 200 and ready.json()["state"] == "ready_for_collection", ready.text
    bad = client.post(f"/api/v1/card-applications/{app['id']}/hand-over",
                      json={"version": ready.json()["version"], "passport_number": "BR0000000"})
    assert bad.status_code == 422
    handed = client.post(f"/api/v1/card-applications/{app['id']}/hand-over",
                         json={"version": ready.json()["version"], "passport_number": "BR1234567"})
    assert handed.status_code == 200 and handed.json()["state"] == "collected", handed.text
    card_id = handed.json()["card_id"]
    card = client.get(f"/api/v1/cards/{card_id}").json()
    assert card["state"] == "issued" and card["bank_account"].isdigit()  # full to the issuing branch
    active = client.post(f"/api/v1/cards/{card_id}/activate",
                         json={"version": card["version"], "passport_number": "BR1234567"})
    assert active.status_code == 200 and active.json()["state"] == "active", active.text

    client.cookies.clear()
    api_login(client, "ana@example.com", "sugar loaf at noon")
    mine = client.get(f"/api/v1/cards/{card_id}").json()
    assert mine["state"] == "active" and mine["ssn"] == ssn and "•" in mine["bank_account"]
    assert mine["permit"]["permit_number"] == permit_number and mine["permit"]["category"] == "B"
    assert mine["permit"]["position"] == "Supply chain analyst" and mine["permit"]["status"] == "valid"


def test_instant_channel_through_the_api(client: TestClient, emails: dict[str, str]) -> None:
    permit_number, _ssn, receipt = _through_registry_and_insurance(client, emails, "OKAFOR", "CHIDI", "NG7654321")
    _as(client, emails["cgb"])
    app = client.post("/api/v1/card-applications", json={
        "permit_number": permit_number, "family_name": "OKAFOR", "given_names": "CHIDI",
        "passport_number": "NG7654321", "passport_checked": True, "photo_receipt": receipt, "channel": "instant"})
    assert app.status_code == 201, app.text
    made = client.post(f"/api/v1/card-applications/{app.json()['id']}/produce-instant",
                       json={"version": app.json()["version"]})
    assert made.status_code == 200 and made.json()["state"] == "ready_for_collection", made.text
    assert made.json()["promised_date"] == str(TODAY)
    handed = client.post(f"/api/v1/card-applications/{app.json()['id']}/hand-over",
                         json={"version": made.json()["version"], "passport_number": "NG7654321"})
    card = client.get(f"/api/v1/cards/{handed.json()['card_id']}").json()
    active = client.post(f"/api/v1/cards/{card['id']}/activate",
                         json={"version": card["version"], "passport_number": "NG7654321"})
    assert active.json()["state"] == "active"

    _as(client, emails["ccb"])  # a branch without instant production cannot take an instant application
    refused = client.post("/api/v1/card-applications", json={
        "permit_number": permit_number, "family_name": "OKAFOR", "given_names": "CHIDI",
        "passport_number": "NG7654321", "passport_checked": True, "photo_receipt": receipt, "channel": "instant"})
    assert refused.status_code == 422
