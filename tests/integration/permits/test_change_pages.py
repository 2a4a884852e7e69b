"""Permit changes as a browser uses them: forms with errors beside the field, the officer's queue and
decision, the status page, the history page."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from fastapi.testclient import TestClient

from permitcard.auth.domain import Role
from permitcard.db import Database
from permitcard.shared import clock
from tests.factories import csrf, make_user, page_login
from tests.integration.permits.test_pages import form_of
from tests.permit_change_factories import issued_permit, make_paper
from tests.permit_factories import employer_with_user

ON = date(2026, 3, 2)


def test_extension_pages_officer_queue_and_history(db: Database, client: TestClient) -> None:
    info, _e, _u = issued_permit(db, on=ON, employer=employer_with_user(db, email="hr-pg@example.com"))
    make_user(db, Role.PERMIT_OFFICER, "officer-pg@example.com")
    body = form_of({"permit_number": info.permit_number, "requested_end_date": date(2027, 9, 1),
                    "contract_end_date": date(2028, 1, 1), "passport_expiry_date": date(2027, 6, 1)})
    with clock.frozen(info.valid_to - timedelta(days=100)):
        page_login(client, "hr-pg@example.com")
        assert "Change a work permit" in client.get("/employer/permits").text
        r = client.get(f"/employer/permit-changes/extension?permit={info.permit_number}")
        assert r.status_code == 200 and info.permit_number in r.text
        token = csrf(client)
        r = client.post("/employer/permit-changes/extension", data={**body, "csrf_token": token})
        assert r.status_code == 422 and 'id="permit_number-error"' in r.text
        assert r.text.split("</title>")[0].count("Error:") == 1  # the title says it once
        assert "30 June 2026" in r.text and "29 August 2026" in r.text
        assert 'value="2027"' in r.text  # nothing typed is lost
    with clock.frozen(info.valid_to - timedelta(days=60)):
        page_login(client, "hr-pg@example.com")  # a new day, a new session
        token = csrf(client)
        r = client.post("/employer/permit-changes/extension", data={**body, "csrf_token": token})
        assert r.status_code == 422 and 'id="passport_expiry_date-error"' in r.text
        body |= form_of({"passport_expiry_date": date(2030, 1, 1)})
        r = client.post("/employer/permit-changes/extension", data={**body, "csrf_token": token},
                        follow_redirects=False)
        assert r.status_code == 303, r.text
        status = r.headers["location"]
        app_id = int(status.rsplit("/", 1)[1])
        assert "Submitted" in client.get(status).text
        assert client.get(f"/employer/permits/{app_id}", follow_redirects=False).headers["location"] == status
        page_login(client, "officer-pg@example.com")
        queue = client.get("/officer/permits").text
        assert "Extension" in queue
        detail = client.get(f"/officer/permits/{app_id}").text
        assert "New last day of the permit" in detail and "1 September 2027" in detail
        assert "Approve: make the change" in detail and "issue the work permit" not in detail  # no new permit
        r = client.post(f"/officer/permits/{app_id}/decision",
                        data={"action": "approve", "reason": "", "version": "1", "csrf_token": csrf(client)},
                        follow_redirects=False)
        assert r.status_code == 303
        decided = client.get(f"/officer/permits/{app_id}").text
        assert "Approved: the change is in a new version" in decided and "work permit issued" not in decided
        history = client.get(f"/permits/{info.permit_number}/history")
        assert history.status_code == 200 and "Version 2: Extension" in history.text
        assert "1 September 2027" in history.text and "hr-pg@example.com" in history.text
        assert '<a class="back-link" href="/officer/permits">' in history.text  # back to the officer's queue
        page_login(client, "hr-pg@example.com")
        assert '<a class="back-link" href="/employer/permits">' in client.get(
            f"/permits/{info.permit_number}/history").text
        r = client.post("/employer/permit-changes/modification", data={
            **form_of({"permit_number": info.permit_number, "change_date": clock.today() - timedelta(days=40)}),
            "family_name": "王", "csrf_token": csrf(client)})
        # The modification form has no Chinese name field: its error does not send the reader to one.
        assert r.status_code == 422 and 'id="family_name-error"' in r.text
        assert "Latin letters" in r.text and "Chinese name field" not in r.text
        r = client.post("/employer/permit-changes/modification", data={
            **form_of({"permit_number": info.permit_number, "change_date": clock.today() - timedelta(days=40)}),
            "employer_uscc": "91441900MA4W00000X", "csrf_token": csrf(client)})
        assert r.status_code == 422 and 'id="employer_uscc-error"' in r.text
        assert "the new employer files a new application" in r.text


def test_change_pages_in_chinese_and_refusals(db: Database, client: TestClient) -> None:
    info, _e, _u = issued_permit(db, on=ON, employer=employer_with_user(db, email="hr-zh@example.com"))
    other = issued_permit(db, on=ON, employer=employer_with_user(db, email="hr-zh2@example.com"),
                           family_name="OTHER")[0]
    make_paper(db, info.permit_number)
    with clock.frozen(ON + timedelta(days=30)):
        page_login(client, "hr-zh@example.com")
        client.cookies.set("lang", "zh_Hans")
        token = csrf(client)
        r = client.post("/employer/permit-changes/electronic",
                        data={"permit_number": other.permit_number, "csrf_token": token})
        unknown = client.post("/employer/permit-changes/electronic",
                              data={"permit_number": "WP20260000000000", "csrf_token": token})
        assert r.status_code == unknown.status_code == 422
        assert 'id="permit_number-error"' in r.text and "员工" in r.text
        r = client.post("/employer/permit-changes/cancellation",
                        data={"permit_number": info.permit_number, "change_date-day": "31",
                              "change_date-month": "2", "change_date-year": "2026", "csrf_token": token})
        assert r.status_code == 422 and 'id="change_date-error"' in r.text
        r = client.post("/employer/permit-changes/electronic",
                        data={"permit_number": info.permit_number, "csrf_token": token}, follow_redirects=False)
        assert r.status_code == 303
        page = client.get(r.headers["location"]).text
        assert "纸质" in page
        assert client.get("/employer/permit-changes/nonsense").status_code == 404
        assert client.get(f"/permits/{other.permit_number}/history").status_code == 404



def _switched(client: TestClient, permit_number: str, body: dict[str, str], to: str) -> str:
    """The extension form sent with ``body`` (422), then shown again after the language switch to ``to``."""
    import re

    page = f"/employer/permit-changes/extension?permit={permit_number}"
    form_page = re.search(r'name="form_page" value="([^"]+)"', client.get(page).text)
    assert form_page
    shown_at = form_page.group(1).replace("&amp;", "&")
    r = client.post("/employer/permit-changes/extension",
                    data={**body, "csrf_token": csrf(client), "form_page": shown_at})
    assert r.status_code == 422
    switch = re.search(r'<form method="post" action="/lang".*?</form>', r.text, flags=re.S)
    assert switch
    fields = dict(re.findall(r'name="([a-z_]+)" value="([^"]*)"', switch.group(0)))
    back = client.post("/lang", data=fields, follow_redirects=False)
    assert back.status_code == 303
    client.cookies.delete("lang")
    client.cookies.set("lang", to)
    shown = client.get(back.headers["location"])
    assert shown.status_code == 200 and "%(" not in shown.text
    return shown.text


def test_language_switch_on_an_out_of_window_extension_keeps_the_dates_of_the_refusal(
        db: Database, client: TestClient) -> None:
    info, _e, _u = issued_permit(db, on=ON, employer=employer_with_user(db, email="hr-pg-lang@example.com"))
    body = form_of({"permit_number": info.permit_number, "requested_end_date": date(2027, 9, 1),
                    "contract_end_date": date(2028, 1, 1), "passport_expiry_date": date(2030, 6, 1)})
    with clock.frozen(info.valid_to - timedelta(days=100)):
        page_login(client, "hr-pg-lang@example.com")
        shown = _switched(client, info.permit_number, body, "zh_Hans")
    assert "2026年6月30日" in shown and "2026年8月29日" in shown


def test_language_switch_keeps_the_plural_form_of_a_refusal(db: Database, client: TestClient) -> None:
    info, _e, _u = issued_permit(db, on=ON, employer=employer_with_user(db, email="hr-pg-plural@example.com"))
    body = form_of({"permit_number": info.permit_number, "requested_end_date": date(2031, 1, 1),
                    "contract_end_date": date(2031, 1, 1), "passport_expiry_date": date(2032, 6, 1)})
    with clock.frozen(info.valid_to - timedelta(days=60)):
        page_login(client, "hr-pg-plural@example.com")
        client.cookies.set("lang", "zh_Hans")
        shown = _switched(client, info.permit_number, body, "en")
    assert "at most 2 years" in shown and "at most 2 year:" not in shown


def test_a_change_form_sent_twice_files_one_change_and_both_answers_point_to_it(
        db: Database, client: TestClient) -> None:
    import re

    info, _e, _u = issued_permit(db, on=ON, employer=employer_with_user(db, email="hr-pg-twice@example.com"))
    body = form_of({"permit_number": info.permit_number, "requested_end_date": date(2027, 9, 1),
                    "contract_end_date": date(2028, 1, 1), "passport_expiry_date": date(2030, 6, 1)})
    with clock.frozen(info.valid_to - timedelta(days=60)):
        page_login(client, "hr-pg-twice@example.com")
        form = client.get(f"/employer/permit-changes/extension?permit={info.permit_number}").text
        token = re.search(r'name="form_token" value="([^"]+)"', form)
        assert token, "the change form carries a one-time form token like every other form"
        sent = {**body, "csrf_token": csrf(client), "form_token": token.group(1)}
        answers = [client.post("/employer/permit-changes/extension", data=sent, follow_redirects=False)
                   for _ in range(2)]  # a double click
        assert [a.status_code for a in answers] == [303, 303]
        assert answers[0].headers["location"] == answers[1].headers["location"]
        status = client.get(answers[0].headers["location"]).text
        withdraw = re.search(r'action="[^"]+/withdraw".*?name="form_token" value="([^"]+)".*?name="version" '
                             r'value="(\d+)"', status, flags=re.S)
        assert withdraw
        url = answers[0].headers["location"] + "/withdraw"
        data = {"csrf_token": csrf(client), "form_token": withdraw.group(1), "version": withdraw.group(2)}
        twice = [client.post(url, data=data, follow_redirects=False) for _ in range(2)]
        assert [a.status_code for a in twice] == [303, 303]


def test_the_officers_csv_export_says_the_kind_and_the_days_late(db: Database, client: TestClient) -> None:
    import csv
    import io

    from tests.permit_change_factories import file

    info, *emp = issued_permit(db, on=date(2026, 9, 1), days=300,
                               employer=employer_with_user(db, email="hr-pg-csv@example.com"))
    make_user(db, Role.PERMIT_OFFICER, "officer-pg-csv@example.com")
    with clock.frozen(date(2026, 10, 19)):
        file(db, (emp[0], emp[1]), "modification", permit_number=info.permit_number,
             change_date=date(2026, 9, 28), position="Lead engineer")  # 3 days late
        page_login(client, "officer-pg-csv@example.com")
        client.cookies.set("lang", "zh_Hans")
        r = client.get("/officer/permits.csv")
    assert r.status_code == 200
    rows = list(csv.DictReader(io.StringIO(r.text.lstrip("\ufeff"))))
    change = next(row for row in rows if row["工作许可证号"] == info.permit_number and row["职位"] == "Lead engineer")
    assert change["类型"] == "变更" and change["逾期天数"] == "3"


def test_history_of_an_imported_paper_permit_names_its_first_version_in_words(
        db: Database, client: TestClient, tmp_path: Path) -> None:
    from permitcard.permits import legacy as permit_legacy
    from tests.legacy_factories import legacy_employer, permit_row, permits_csv

    row = permit_row(legacy_employer(db))
    assert permit_legacy.import_file(db, permits_csv(tmp_path / "permits.csv", [row])).rows[0].status == "ok"
    make_user(db, Role.AUDITOR, "auditor-pg-paper@example.com")
    page_login(client, "auditor-pg-paper@example.com")
    for lang, words in (("en", "Paper work permit, issued before 1 December 2024"), ("zh_Hans", "纸质")):
        client.cookies.set("lang", lang)
        page = client.get(f"/permits/{row['permit_number']}/history")
        assert page.status_code == 200 and "imported_paper" not in page.text and words in page.text
