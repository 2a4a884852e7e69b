"""The permit pages as a browser uses them: forms, check answers, queues, decisions, the notice."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from permitcard.auth.domain import Role
from permitcard.db import Database
from permitcard.permits import service as permits
from permitcard.permits import views as permit_views
from permitcard.shared import audit, clock, i18n
from permitcard.shared.models import AuditLog
from tests.factories import csrf, make_user, page_login
from tests.permit_factories import application_data, employer_actor, employer_with_user, file_and_approve


def form_of(data: dict[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for k, v in data.items():
        if isinstance(v, date):
            out |= {f"{k}-day": str(v.day), f"{k}-month": str(v.month), f"{k}-year": str(v.year)}
        else:
            out[k] = str(v)
    return out


def test_new_application_journey(db: Database, client: TestClient) -> None:
    employer_with_user(db, email="hr-pages@example.com")
    page_login(client, "hr-pages@example.com")
    r = client.get("/employer/permits/new")
    assert r.status_code == 200 and 'name="family_name"' in r.text and 'spellcheck="false"' in r.text
    token = csrf(client)

    bad = form_of(application_data(family_name="SMITH", passport_number="P1234567"))
    bad["nationality"] = "CN"
    bad["birth_date-month"] = "13"
    r = client.post("/employer/permits/new/check", data={**bad, "csrf_token": token})
    assert r.status_code == 422
    assert "There is a problem" in r.text and "<title>Error:" in r.text
    assert 'href="#birth_date"' in r.text and 'href="#nationality"' in r.text
    assert 'value="SMITH"' in r.text and 'value="P1234567"' in r.text  # typed values kept

    good = form_of(application_data(family_name="SMITH", given_names="JOHN", passport_number="P1234567"))
    r = client.post("/employer/permits/new/check", data={**good, "csrf_token": token})
    assert r.status_code == 200 and "Check your answers" in r.text and "Change" in r.text
    assert 'type="hidden" name="passport_number" value="P1234567"' in r.text

    r = client.post("/employer/permits/new", data={**good, "change": "position", "csrf_token": token})
    assert r.status_code == 200 and 'value="Process engineer"' in r.text

    r = client.post("/employer/permits", data={**good, "csrf_token": token})
    assert r.status_code == 422 and "Confirm that the information is correct" in r.text

    r = client.post("/employer/permits", data={**good, "declaration": "yes", "csrf_token": token},
                    follow_redirects=False)
    assert r.status_code == 303
    sent = client.get(r.headers["location"])
    assert "Application sent" in sent.text and "What happens next" in sent.text
    reference = re.search(r"WPA-[0-9A-Z]{8}", sent.text)
    assert reference is not None

    listing = client.get("/employer/permits", params={"q": "smith"})
    assert reference.group(0) in listing.text and "1 application" in listing.text
    csv_text = client.get("/employer/permits.csv").content.decode("utf-8")
    assert csv_text.startswith("\ufeff") and reference.group(0) in csv_text and "P1234567" not in csv_text


def test_csrf_is_required(db: Database, client: TestClient) -> None:
    employer_with_user(db, email="hr-csrf@example.com")
    page_login(client, "hr-csrf@example.com")
    r = client.post("/employer/permits/new/check", data=form_of(application_data()))
    assert r.status_code == 403


def test_officer_returns_employer_corrects_officer_approves(db: Database, client: TestClient) -> None:
    employer_id, user_id = employer_with_user(db, email="hr-flow@example.com")
    app = permits.file_application(db, actor=employer_actor(employer_id, user_id),
                                   data=application_data(position="Eng"))
    make_user(db, Role.PERMIT_OFFICER, "officer-pages@example.com")
    page_login(client, "officer-pages@example.com")
    queue = client.get("/officer/permits")
    assert app.reference in queue.text and "Waiting for a decision (1)" in queue.text
    detail = client.get(f"/officer/permits/{app.id}")
    assert 'name="action"' in detail.text and app.passport_number in detail.text
    token = csrf(client)
    r = client.post(f"/officer/permits/{app.id}/decision",
                    data={"action": "return", "reason": "", "version": "1", "csrf_token": token})
    assert r.status_code == 422 and "Enter what the employer must correct" in r.text
    r = client.post(f"/officer/permits/{app.id}/decision", follow_redirects=False,
                    data={"action": "return", "reason": "Write the full job title", "version": "1",
                          "csrf_token": token})
    assert r.status_code == 303
    r = client.post(f"/officer/permits/{app.id}/decision",
                    data={"action": "approve", "reason": "", "version": "1", "csrf_token": token})
    assert r.status_code == 409 and "Someone else decided" in r.text
    with db.uow(write=False) as s:
        rows = s.execute(select(AuditLog).where(AuditLog.action == "permit_application.returned")).scalars().all()
        assert len(rows) == 1 and rows[0].after["reason"] == "Write the full job title"

    client.post("/logout", data={"csrf_token": token})
    page_login(client, "hr-flow@example.com")
    status = client.get(f"/employer/permits/{app.id}")
    assert "Write the full job title" in status.text and "Correct and resubmit" in status.text
    assert 'value="Eng"' in status.text  # prefilled
    token = csrf(client)
    fixed = form_of(app.data() | {"position": "Senior process engineer"})
    r = client.post(f"/employer/permits/{app.id}/resubmit", follow_redirects=False,
                    data={**fixed, "version": "2", "csrf_token": token})
    assert r.status_code == 303
    status = client.get(f"/employer/permits/{app.id}")
    assert "Corrected application sent" in status.text and "Returned for correction" in status.text

    client.post("/logout", data={"csrf_token": token})
    page_login(client, "officer-pages@example.com")
    token = csrf(client)
    r = client.post(f"/officer/permits/{app.id}/decision", follow_redirects=False,
                    data={"action": "approve", "reason": "", "version": "3", "csrf_token": token})
    assert r.status_code == 303
    done = permit_views.get_application(db, actor=employer_actor(employer_id, user_id), application_id=app.id)
    assert done.state == "approved" and done.notice_number
    notice = client.get(f"/permits/notices/{done.notice_number}")
    assert notice.status_code == 200 and "工作许可证号" in notice.text and "<svg" in notice.text
    with db.uow(write=False) as s:
        history = audit.history(s, target_type="permit_application", target_id=app.id)
        assert [h.action for h in history][:2] == ["permit_application.approved", "permit_application.resubmitted"]


def test_other_employer_gets_404_on_pages(db: Database, client: TestClient) -> None:
    employer_id, user_id = employer_with_user(db, email="hr-own@example.com")
    app = permits.file_application(db, actor=employer_actor(employer_id, user_id), data=application_data())
    employer_with_user(db, email="hr-other@example.com")
    page_login(client, "hr-other@example.com")
    assert client.get(f"/employer/permits/{app.id}").status_code == 404
    assert client.get("/employer/permits/999999").status_code == 404
    assert client.get("/employer/permits/not-a-number").status_code == 404
    assert client.get("/officer/permits").status_code == 403


def test_notice_in_chinese_ui_keeps_both_languages_and_public_check_is_minimal(db: Database,
                                                                              client: TestClient) -> None:
    employer_id, user_id = employer_with_user(db, email="hr-notice@example.com")
    info = file_and_approve(db, employer_id=employer_id, user_id=user_id, passport_number="Q5556667")
    page_login(client, "hr-notice@example.com")
    client.cookies.set("lang", "zh_Hans")
    page = client.get(f"/permits/notices/{info.notice_number}")
    assert "Work permit number" in page.text and "工作许可证号" in page.text and "Q5556667" in page.text
    url = permit_views.get_notice(db, actor=employer_actor(employer_id, user_id), notice_number=info.notice_number)
    path = url.verify_url.split("127.0.0.1:8000", 1)[1]
    client.cookies.clear()
    client.cookies.set("lang", "en")
    public = client.get(path)
    assert public.status_code == 200 and info.full_name in public.text and "Valid" in public.text
    for secret in ("Q5556667", info.permit_number, info.position, info.employer_name_en,
                   info.birth_date.isoformat()):
        assert secret not in public.text
    forged = client.get(f"/verify/notices/{info.notice_number}?sig=AAAA")
    assert forged.status_code == 404 and "We cannot confirm this notice" in forged.text
    assert client.get(f"/verify/notices/{info.notice_number}").status_code == 404
    with clock.frozen(info.valid_to + timedelta(days=1)):
        assert "Expired" in client.get(path).text


def test_an_empty_form_lists_every_error_in_form_order_and_each_link_lands_on_an_input(
        db: Database, client: TestClient) -> None:
    employer_with_user(db, email="hr-empty@example.com")
    page_login(client, "hr-empty@example.com")
    r = client.post("/employer/permits/new/check", data={"csrf_token": csrf(client)})
    assert r.status_code == 422
    summary = r.text.split('class="error-summary"')[1].split("</ul>")[0]
    targets = re.findall(r'href="#([\w-]+)"', summary)
    assert targets[:3] == ["family_name", "nationality", "birth_date"]
    assert targets.index("sex") < targets.index("passport_number") < targets.index("category")
    for target in targets:  # a summary link must move focus into the form: it names an input
        assert re.search(rf'<input[^>]* id="{target}"|<select[^>]* id="{target}"', r.text), target


def test_public_check_of_a_permit_that_starts_later_says_not_yet_valid_and_shows_the_notice_number(
        db: Database, client: TestClient) -> None:
    employer_id, user_id = employer_with_user(db, email="hr-later@example.com")
    info = file_and_approve(db, employer_id=employer_id, user_id=user_id, passport_number="Q5556668")
    url = permit_views.get_notice(db, actor=employer_actor(employer_id, user_id), notice_number=info.notice_number)
    path = url.verify_url.split("127.0.0.1:8000", 1)[1]
    client.cookies.set("lang", "en")
    with clock.frozen(info.valid_from - timedelta(days=14)):
        page = client.get(path).text
    assert "Not yet valid" in page and ">Valid<" not in page
    assert f"It starts on {i18n.format_date(info.valid_from)}" in page
    assert info.notice_number in page
    client.cookies.set("lang", "zh-Hans")
    with clock.frozen(info.valid_from - timedelta(days=14)):
        assert "尚未生效" in client.get(path).text
    with clock.frozen(info.valid_from):
        assert "Not yet valid" not in client.get(path).text
