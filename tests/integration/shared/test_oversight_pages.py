from permitcard.auth.domain import Role
from tests.factories import api_login, make_user, page_login


def test_auditor_reads_and_verifies_the_audit_log(client, db):
    make_user(db, Role.AUDITOR, "aud@example.com")
    page_login(client, "aud@example.com")
    r = client.get("/audit?verify=1")
    assert r.status_code == 200
    assert "The chain is intact" in r.text and "user.signed_in" in r.text
    csv = client.get("/audit.csv")
    assert csv.content.startswith("\ufeff".encode()) and b"user.signed_in" in csv.content


def test_the_applicant_cannot_read_the_audit_log(client, db):
    make_user(db, Role.APPLICANT, "app@example.com")
    api_login(client, "app@example.com")
    assert client.get("/api/v1/audit").status_code == 403


def test_admin_enters_2027_and_due_dates_into_it_are_computed(client, db):
    make_user(db, Role.ADMIN, "adm@example.com")
    api_login(client, "adm@example.com")
    bad = client.post("/api/v1/calendar/years", json={"year": "2027", "holidays": "2026-10-01 Wrong year"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "holidays"
    ok = client.post("/api/v1/calendar/years", json={
        "year": "2027", "holidays": "2027-01-01 New Year's Day", "workdays": ""})
    assert ok.status_code == 201
    from datetime import date

    from permitcard.shared.calendar import add_working_days
    from permitcard.shared.calendar_store import load_calendar

    due = add_working_days(date(2026, 12, 24), 12, load_calendar(db))
    assert due.due == date(2027, 1, 12)


def test_the_built_in_years_cannot_be_overwritten(client, db):
    make_user(db, Role.ADMIN, "adm@example.com")
    api_login(client, "adm@example.com")
    r = client.post("/api/v1/calendar/years", json={"year": "2026", "holidays": "2026-01-01 x"})
    assert r.status_code == 422
