"""Loss and replacement as a browser and an API client use them, in both languages."""

import re

from permitcard.cards import service as cards
from permitcard.cards.models import CardApplication
from tests.card_factories import STANDARD_BRANCH, bank_clerk, branch_id
from tests.factories import api_login, csrf, page_login
from tests.integration.cards.test_loss import ZHONGXIN, _card, _card_of, active_card


def _app(db, app_id):  # type: ignore[no-untyped-def]
    with db.uow(write=False) as s:
        return s.get(CardApplication, app_id)


def post(client, url, data):  # type: ignore[no-untyped-def]
    return client.post(url, data={**data, "csrf_token": csrf(client)}, follow_redirects=False)


def test_the_worker_reports_the_loss_sees_the_fee_and_applies_for_a_replacement(client, db):
    _permit, worker, _clerk, card = active_card(db)
    page_login(client, worker.label)
    assert f"/my/cards/{card.id}" in client.get("/my").text
    page = client.get(f"/my/cards/{card.id}")
    assert page.status_code == 200 and "Report the card lost" in page.text and "CN¥20.00" in page.text
    r = post(client, f"/my/cards/{card.id}/report-loss", {"version": str(card.version)})
    assert r.status_code == 422 and "Tick the box to confirm" in r.text and "<title>Error:" in r.text
    r = post(client, f"/my/cards/{card.id}/report-loss", {"version": str(card.version), "confirm": "yes"})
    assert r.status_code == 303 and r.headers["location"] == f"/my/cards/{card.id}"
    page = client.get(f"/my/cards/{card.id}")
    assert "suspended because it was reported lost" in page.text and "Restore my card" in page.text
    again = post(client, f"/my/cards/{card.id}/report-loss", {"version": str(card.version), "confirm": "yes"})
    assert again.status_code in (409, 422)
    form = client.get(f"/my/cards/{card.id}/replace")
    assert "The replacement costs CN¥20.00." in form.text  # the fee before applying
    zh = client.get(f"/my/cards/{card.id}/replace", headers={"Accept-Language": "zh-CN"})
    assert 'lang="zh-Hans"' in zh.text and "¥20.00" in zh.text
    r = post(client, f"/my/cards/{card.id}/replace", {})
    assert r.status_code == 422 and "Choose whether the card was lost or damaged" in r.text
    r = post(client, f"/my/cards/{card.id}/replace",
             {"reason": "lost", "branch_id": str(branch_id(db, STANDARD_BRANCH)), "declaration": "yes"})
    assert r.status_code == 303
    app_id = int(r.headers["location"].split("/")[3])
    status = client.get(f"/my/applications/{app_id}")
    assert "The fee is CN¥20.00" in status.text and "Replacement card" in status.text
    r = post(client, f"/my/cards/{card.id}/restore", {"version": str(card.version + 1)})
    assert r.status_code == 422 and "cannot be restored" in r.text
    assert "No fee has been paid" in client.get(f"/my/applications/{app_id}/receipt").text


def test_the_counter_of_another_branch_records_the_loss_and_an_instant_replacement(client, db):
    permit, worker, _clerk, card = active_card(db)
    clerk = bank_clerk(db, ZHONGXIN)
    page_login(client, clerk.label)
    assert "/branch/counter" in client.get("/branch").text
    r = post(client, "/branch/counter", {"permit_number": permit.permit_number, "passport_number": "X1"})
    assert r.status_code == 422 and "Check the original passport" in r.text
    r = post(client, "/branch/counter", {"permit_number": permit.permit_number,
                                         "passport_number": permit.passport_number, "passport_checked": "yes"})
    assert r.status_code == 303 and permit.passport_number not in r.headers["location"]
    page = client.get("/branch/counter")
    assert card.card_number in page.text and "Record the loss and suspend the card" in page.text
    r = post(client, f"/branch/counter/cards/{card.id}/report-loss", {"version": str(card.version)})
    assert r.status_code == 303
    page = client.get("/branch/counter")
    assert "The loss is recorded" in page.text and _card(db, card.id).state == "suspended"
    r = post(client, f"/branch/counter/cards/{card.id}/replace", {"reason": "lost", "channel": "instant"})
    assert r.status_code == 303
    app_url = r.headers["location"]
    detail = client.get(app_url)
    assert "Record the payment" in detail.text and "20.00" in detail.text
    app_id = int(app_url.rsplit("/", 1)[1])
    r = post(client, f"{app_url}/payment", {"amount": "15", "method": "cash"})
    assert r.status_code == 422 and "exactly the fee" in r.text
    r = post(client, f"{app_url}/payment", {"amount": "20.00", "method": "alipay"})
    assert r.status_code == 303 and r.headers["location"] == f"{app_url}/receipt"
    receipt = client.get(r.headers["location"])
    reference = re.search(r"PAY-[0-9A-Z]{8}", receipt.text)
    assert reference and "Alipay" in receipt.text
    zh = client.get(f"{app_url}/receipt", headers={"Accept-Language": "zh-CN"})
    assert "支付宝" in zh.text
    r = post(client, f"{app_url}/produce-instant", {"version": "1"})
    assert r.status_code == 303
    app = cards.hand_over(db, actor=clerk, application_id=app_id, version=_app(db, app_id).version,
                          passport_number=permit.passport_number)
    assert app.state == "collected" and _card(db, card.id).state == "invalidated"
    report = client.get("/branch/fees?day=2025-09-01")
    assert reference.group(0) in report.text and _card_of(db, app_id).card_number in report.text
    csv = client.get("/branch/fees.csv?day=2025-09-01")
    assert csv.content.startswith("\ufeff".encode()) and reference.group(0) in csv.text
    zh_csv = client.get("/branch/fees.csv?day=2025-09-01", headers={"Accept-Language": "zh-CN"})
    assert "支付宝" in zh_csv.content.decode("utf-8-sig")
    page_login(client, worker.label)
    assert "Alipay" in client.get(f"/my/applications/{app_id}/receipt").text


def test_the_api(client, db):
    permit, worker, _clerk, card = active_card(db)
    api_login(client, worker.label)
    r = client.post(f"/api/v1/cards/{card.id}/report-loss", json={"version": card.version})
    assert r.status_code == 200 and r.json()["state"] == "suspended" and r.json()["loss_reported_via"] == "online"
    r = client.post(f"/api/v1/cards/{card.id}/report-loss", json={"version": card.version + 1},
                    headers={"Accept-Language": "zh-CN"})
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    r = client.post(f"/api/v1/cards/{card.id}/replacement",
                    json={"reason": "lost", "branch_id": branch_id(db, STANDARD_BRANCH)})
    assert r.status_code == 201 and r.json()["fee_fen"] == 2000 and r.json()["replaces_card_id"] == card.id
    app_id = r.json()["id"]
    r = client.post(f"/api/v1/cards/{card.id}/restore", json={"version": card.version + 1})
    assert r.status_code == 422 and "replacement" in r.json()["detail"]
    assert client.get(f"/api/v1/card-applications/{app_id}/payment").status_code == 404
    client.cookies.clear()
    clerk = bank_clerk(db, STANDARD_BRANCH)
    api_login(client, clerk.label)
    r = client.post("/api/v1/card-lookups", json={"permit_number": permit.permit_number,
                                                  "passport_number": permit.passport_number,
                                                  "passport_checked": True})
    assert r.status_code == 200 and r.json()["cards"][0]["state"] == "suspended"
    r = client.post(f"/api/v1/card-applications/{app_id}/payment", json={"amount": "20.00", "method": "card"})
    assert r.status_code == 201 and r.json()["amount_fen"] == 2000
    assert client.post(f"/api/v1/card-applications/{app_id}/payment",
                       json={"amount": "20.00", "method": "card"}).status_code == 409
    r = client.post("/api/v1/card-checks", json={"card_number": card.card_number})
    assert r.json()["valid"] is False and r.json()["state"] == "suspended"
    r = client.get("/api/v1/branch/fee-report", params={"day": "2025-09-01"})
    assert r.status_code == 200 and r.json()["total_fen"] == 2000 == sum(r.json()["by_method_fen"].values())
