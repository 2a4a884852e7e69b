"""The pages and the API, as a browser and an API client use them."""

import re

from sqlalchemy import select

from permitcard.cards import service as cards
from permitcard.cards.models import Card
from tests.card_factories import (
    INSTANT_BRANCH,
    STANDARD_BRANCH,
    agency_clerk,
    bank_clerk,
    branch_id,
    paper_application,
    ready_applicant,
)
from tests.factories import api_login, csrf, opened, page_login


def post(client, url, data):  # type: ignore[no-untyped-def]
    return client.post(url, data={**data, "csrf_token": csrf(client)}, follow_redirects=False)


def test_applicant_applies_online_question_by_question(client, db):
    permit, _ssn, receipt, user = ready_applicant(db)
    page_login(client, user.label)
    home = client.get("/my")
    assert home.status_code == 200 and permit.permit_number in home.text
    assert f"/permits/notices/{permit.notice_number}" in home.text and "Apply for your card" in home.text
    start = client.get("/my/card/apply")
    assert "first social security card" in start.text and "Start now" in start.text

    r = post(client, "/my/card/apply/branch", {})
    assert r.status_code == 422 and "There is a problem" in r.text and "<title>Error:" in r.text
    r = post(client, "/my/card/apply/branch", {"branch_id": str(branch_id(db, STANDARD_BRANCH))})
    assert r.status_code == 303 and r.headers["location"] == "/my/card/apply/photo"
    assert permit.passport_number not in r.headers.get("set-cookie", "")  # the draft is sealed
    r = post(client, "/my/card/apply/photo", {"photo_receipt": "PR-WRONG"})
    assert r.status_code == 422 and "PR-WRONG" in r.text  # what was typed is kept
    r = post(client, "/my/card/apply/photo", {"photo_receipt": receipt})
    assert r.headers["location"] == "/my/card/apply/passport"
    r = post(client, "/my/card/apply/passport", {"passport_number": "ZZ1111111"})
    assert r.status_code == 422 and "does not match" in r.text
    r = post(client, "/my/card/apply/passport", {"passport_number": permit.passport_number})
    assert r.headers["location"] == "/my/card/apply/check"
    check = client.get("/my/card/apply/check")
    assert receipt in check.text and "/my/card/apply/photo?change=1" in check.text
    r = post(client, "/my/card/apply/check", {})
    assert r.status_code == 422 and "Confirm that the information is correct" in r.text
    r = post(client, "/my/card/apply/check", {"declaration": "yes"})
    assert r.status_code == 303
    confirmation = client.get(r.headers["location"])
    reference = re.search(r"SSC-[0-9A-Z]{8}", confirmation.text)
    assert reference and "What happens next" in confirmation.text
    app_id = int(r.headers["location"].split("/")[3])
    status = client.get(f"/my/applications/{app_id}")
    assert "Application received" in status.text and 'class="timeline"' in status.text
    zh = client.get(f"/my/applications/{app_id}", headers={"Accept-Language": "zh-CN"})
    assert zh.status_code == 200 and 'lang="zh-Hans"' in zh.text


def test_agency_queue_filters_csv_decision_and_stale_version(client, db):
    permit, _ssn, receipt, user = ready_applicant(db)
    app = cards.apply_online(db, actor=user, branch_id=branch_id(db, STANDARD_BRANCH), photo_receipt=receipt,
                             passport_number=permit.passport_number)
    agency = agency_clerk(db)
    page_login(client, agency.label)
    queue = client.get("/agency/cards", params={"q": permit.family_name, "state": "submitted"})
    assert queue.status_code == 200 and app.reference in queue.text and "1 application" in queue.text
    assert app.reference not in client.get("/agency/cards", params={"state": "approved"}).text
    assert client.get("/agency/cards", params={"page": "x"}).status_code in (404, 422)
    csv = client.get("/agency/cards.csv", params={"q": app.reference})
    assert csv.content.startswith(b"\xef\xbb\xbf") and app.reference in csv.text
    detail = client.get(f"/agency/cards/{app.id}")
    assert f"/card-applications/{app.id}/photo.jpg" in detail.text
    assert client.get(f"/card-applications/{app.id}/photo.jpg").headers["content-type"] == "image/jpeg"
    r = post(client, f"/agency/cards/{app.id}/decision", {"version": str(app.version), "action": "reject"})
    assert r.status_code == 422 and "Say why" in r.text
    r = post(client, f"/agency/cards/{app.id}/decision", {"version": str(app.version), "action": "approve"})
    assert r.status_code == 303
    r = post(client, f"/agency/cards/{app.id}/decision", {"version": str(app.version), "action": "approve"})
    assert r.status_code == 409 and "Someone else changed this record first" in r.text
    page = client.get("/agency/cards")
    assert "Due in 12 working days" in page.text


def test_branch_paper_form_instant_hand_over_activation(client, db):
    permit, _ssn, receipt, _user = ready_applicant(db)
    clerk = bank_clerk(db, INSTANT_BRANCH)
    page_login(client, clerk.label)
    form = client.get("/branch/applications/new")
    assert 'value="instant"' in form.text
    data = {"permit_number": permit.permit_number, "given_names": permit.given_names,
            "family_name": permit.family_name, "passport_number": permit.passport_number,
            "photo_receipt": receipt, "channel": "instant"}
    r = post(client, "/branch/applications/new", data)
    assert r.status_code == 422 and "tick the box" in r.text and permit.permit_number in r.text
    r = post(client, "/branch/applications/new", {**data, "passport_checked": "yes"})
    assert r.headers["location"] == "/branch/applications/new/check"
    assert permit.passport_number in client.get("/branch/applications/new/check").text
    r = post(client, "/branch/applications/new/check", {})
    app_id = int(r.headers["location"].split("/")[3])
    confirmation = client.get(r.headers["location"]).text
    # Written for the clerk, with a printable receipt (回执) for the applicant: reference, branch, date.
    assert "Paper application entered" in confirmation and "What to do now" in confirmation
    receipt = confirmation.split('<section class="document receipt"', 1)[1]
    assert "社会保障卡申请回执" in receipt and re.search(r"CA-[0-9A-Z]+|[A-Z]{2,3}-[0-9A-Z]{6,}", receipt)
    assert "Guangfa" in receipt or "Dongguan" in receipt  # the branch
    assert "Card ready by" in receipt and "today, at this branch" in receipt  # instant: the promised day
    assert 'class="no-print"' in confirmation and "data-print" in confirmation
    assert "Produce the card now" in client.get("/branch").text
    detail = client.get(f"/branch/applications/{app_id}")
    version = re.search(r'name="version" value="(\d+)"', detail.text).group(1)
    assert post(client, f"/branch/applications/{app_id}/produce-instant", {"version": version}).status_code == 303
    detail = client.get(f"/branch/applications/{app_id}")
    assert 'class="card-face"' in detail.text and "Hand over the card" in detail.text
    version = re.search(r'name="version" value="(\d+)"', detail.text).group(1)
    r = post(client, f"/branch/applications/{app_id}/hand-over", {"version": version, "passport_number": "NOPE1"})
    assert r.status_code == 422 and "does not match" in r.text
    r = post(client, f"/branch/applications/{app_id}/hand-over",
             {"version": version, "passport_number": permit.passport_number})
    assert r.status_code == 303
    with db.uow(write=False) as s:
        card = s.execute(select(Card).where(Card.application_id == app_id)).scalar_one()
    r = post(client, f"/branch/cards/{card.id}/activate",
             {"version": str(card.version), "activate_passport_number": permit.passport_number})
    assert r.status_code == 303
    face = client.get(f"/cards/{card.id}/face")
    assert card.bank_account in face.text  # the issuing branch's clerk sees the full account
    assert client.get(f"/cards/{card.id}/photo.jpg").headers["cache-control"].startswith("no-store")


def test_card_photo_and_face_are_only_for_their_owner(client, db):
    permit, _ssn, receipt, user = ready_applicant(db)
    _p, _s, _r, other = ready_applicant(db)
    clerk = bank_clerk(db, INSTANT_BRANCH)
    app = paper_application(db, clerk, permit, receipt, channel="instant")
    cards.produce_instant(db, actor=clerk, application_id=app.id, version=app.version)
    with db.uow(write=False) as s:
        card = s.execute(select(Card).where(Card.application_id == app.id)).scalar_one()
    page_login(client, other.label)
    assert client.get(f"/cards/{card.id}/photo.jpg").status_code == 404
    assert client.get(f"/cards/{card.id}/face").status_code == 404
    assert client.get(f"/my/applications/{app.id}").status_code == 404
    page_login(client, user.label)
    assert client.get(f"/cards/{card.id}/photo.jpg").content[:2] == b"\xff\xd8"
    face = client.get(f"/cards/{card.id}/face")
    assert card.bank_account not in face.text and card.bank_account[-4:] in face.text
    assert 'class="card-face"' in client.get("/my").text


def test_api_eligibility_application_illegal_transition_and_card(client, db):
    permit, _ssn, receipt, user = ready_applicant(db)
    api_login(client, user.label)
    e = client.get("/api/v1/me/card-eligibility").json()
    assert e == {"eligible": True, "kind": "first", "fee_fen": 0, "reason": "", "permit_number": permit.permit_number,
                 "permit_status": "valid"}
    r = client.post("/api/v1/card-applications", json={"branch_id": branch_id(db, INSTANT_BRANCH),
                                                       "photo_receipt": receipt, "passport_number": ""})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "passport_number"
    r = client.post("/api/v1/card-applications", json={"branch_id": branch_id(db, INSTANT_BRANCH),
                                                       "photo_receipt": receipt,
                                                       "passport_number": permit.passport_number})
    assert r.status_code == 201, r.text
    app = r.json()
    assert client.get("/api/v1/card-applications").json()["total"] == 1
    r = client.post(f"/api/v1/card-applications/{app['id']}/decision", json={"version": 1, "action": "approve"})
    assert r.status_code == 403  # not the applicant's to decide

    agency = agency_clerk(db)
    api_login(client, agency.label)
    r = client.post(f"/api/v1/card-applications/{app['id']}/decision", json={"version": 1, "action": "approve"})
    assert r.status_code == 200 and r.json()["state"] == "in_production" and r.json()["card_id"]
    r = client.post(f"/api/v1/card-applications/{app['id']}/cancel", json={"version": r.json()["version"]})
    assert r.status_code == 409 and r.json()["code"] == "illegal_transition"
    r = client.post(f"/api/v1/card-applications/{app['id']}/decision", json={"version": 1, "action": "reject",
                                                                            "reason": "x"})
    assert r.status_code == 409 and r.json()["code"] == "conflict"
    r = client.post(f"/api/v1/card-applications/{app['id']}/decision", json={"version": 1, "action": "maybe"})
    assert r.status_code == 422
    card = client.get(f"/api/v1/card-applications/{app['id']}").json()["card_id"]
    body = client.get(f"/api/v1/cards/{card}").json()
    assert body["permit"]["permit_number"] == permit.permit_number and body["permit"]["status"] == "valid"
    assert body["bank_account"].startswith("•")

    other_clerk = bank_clerk(db, STANDARD_BRANCH)
    api_login(client, other_clerk.label)
    assert client.get(f"/api/v1/card-applications/{app['id']}").status_code == 404
    assert client.post(f"/api/v1/card-applications/{app['id']}/confirm-receipt",
                       json={"version": 3}).status_code == 404
    own_clerk = bank_clerk(db, INSTANT_BRANCH)
    api_login(client, own_clerk.label)
    r = client.post(f"/api/v1/card-applications/{app['id']}/confirm-receipt", json={"version": 3})
    assert r.status_code == 200 and r.json()["state"] == "ready_for_collection"


def test_online_applicants_are_told_same_day_cards_are_made_only_at_the_counter(client, db):
    """Asking for the instant channel online is refused with the reason (never a silent standard application);
    the branch page says so before the applicant chooses."""
    permit, _ssn, receipt, user = ready_applicant(db)
    email = user.label
    csrf_token = api_login(client, email)
    client.headers["X-CSRF-Token"] = csrf_token
    r = client.post("/api/v1/card-applications", json={"branch_id": branch_id(db, INSTANT_BRANCH),
                                                       "photo_receipt": receipt,
                                                       "passport_number": permit.passport_number,
                                                       "channel": "instant"})
    assert r.status_code == 422, r.text
    problem = r.json()
    assert problem["errors"][0]["field"] == "channel"
    assert "only in person at the counter" in problem["errors"][0]["message"]
    assert client.get("/api/v1/card-applications").json()["total"] == 0  # nothing filed
    client.cookies.clear()
    page_login(client, email)
    page = client.get("/my/card/apply/branch")
    assert page.status_code == 200
    assert "Same-day cards are made only in person at the counter" in page.text
    assert "Same-day card available" not in page.text


def test_the_chinese_name_is_on_the_card_face_beside_the_passport_name(client, db):
    permit, _ssn, receipt, user = ready_applicant(db, family_name="García", given_names="Ana", chinese_name="安娜")
    assert (permit.family_name, permit.chinese_name) == ("GARCIA", "安娜")  # the MRZ letters, and the Chinese name
    clerk = bank_clerk(db, INSTANT_BRANCH)
    app = paper_application(db, clerk, permit, receipt, channel="instant")
    cards.produce_instant(db, actor=clerk, application_id=app.id, version=app.version)
    card_id = db_card_id(db, app.id)
    page_login(client, user.label)
    for url in ("/my", f"/my/cards/{card_id}"):  # the overview's card face and the card's own page
        page = client.get(url)
        assert page.status_code == 200
        assert 'lang="zh-Hans">安娜</span>' in page.text and "GARCIA" in page.text


def db_card_id(db, application_id):  # type: ignore[no-untyped-def]
    with db.uow(write=False) as s:
        return s.execute(select(Card.id).where(Card.application_id == application_id)).scalar_one()


def test_paper_application_keeps_the_language_chosen_on_the_form_for_every_e_mail(client, db):
    """A worker who reads Chinese ticks 简体中文 on the paper form: the e-mails about it are in Chinese."""
    from permitcard.cards.models import CardApplication
    from permitcard.notifications.service import render_message
    from permitcard.shared.models import OutboxMessage

    permit, _ssn, receipt, _user = ready_applicant(db)
    clerk = bank_clerk(db, INSTANT_BRANCH)
    page_login(client, clerk.label)
    assert 'name="language"' in client.get("/branch/applications/new").text
    data = {"permit_number": permit.permit_number, "given_names": permit.given_names,
            "family_name": permit.family_name, "passport_number": permit.passport_number,
            "photo_receipt": receipt, "channel": "standard", "passport_checked": "yes", "language": "zh_Hans"}
    assert post(client, "/branch/applications/new", data).status_code == 303
    assert "简体中文" in client.get("/branch/applications/new/check").text
    r = post(client, "/branch/applications/new/check", {})
    app_id = int(r.headers["location"].split("/")[3])
    with db.uow(write=False) as s:
        app = s.get(CardApplication, app_id)
        assert app is not None and app.notify_locale == "zh_Hans"
        mails = [p for p in (opened(m.payload) for m in s.execute(select(OutboxMessage)).scalars())
                 if p.get("template") == "card_received" and p.get("params", {}).get("reference") == app.reference]
    assert mails and mails[-1]["locale"] == "zh_Hans"
    subject, _body = render_message("card_received", mails[-1]["params"], mails[-1]["locale"])
    assert re.search(r"[\u4e00-\u9fff]", subject), subject
