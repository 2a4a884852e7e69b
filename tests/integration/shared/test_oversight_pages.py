from sqlalchemy import select, update

from permitcard.auth.domain import Role
from permitcard.permits import service as permits
from permitcard.shared import audit_seal
from permitcard.shared.models import AuditLog
from tests.factories import api_login, make_user, page_login
from tests.permit_factories import application_data, employer_actor, employer_with_user, officer_actor


def file_and_approve_application(db):
    employer_id, user_id = employer_with_user(db)
    app = permits.file_application(db, actor=employer_actor(employer_id, user_id), data=application_data())
    return permits.decide(db, actor=officer_actor(), application_id=app.id, version=app.version,
                          action="approve", reason="")


def test_auditor_reads_and_verifies_the_audit_log(client, db):
    make_user(db, Role.AUDITOR, "aud@example.com")
    page_login(client, "aud@example.com")
    audit_seal.seal(db, grace=0, gap_after=0)
    r = client.get("/audit?verify=1")
    assert r.status_code == 200
    assert "The log is intact" in r.text and "User account: signed in" in r.text and "Latest seal" in r.text
    assert "user.signed_in" not in r.text  # people read the action, the CSV keeps the code
    csv = client.get("/audit.csv")
    assert csv.content.startswith("\ufeff".encode()) and b"user.signed_in" in csv.content
    zh = client.get("/audit?verify=1", headers={"accept-language": "zh-CN"}, cookies={"pc_lang": "zh_Hans"})
    assert "北京时间" in zh.text


def test_an_entry_opens_to_its_before_and_after_the_record_and_its_seal(client, db):
    app = file_and_approve_application(db)
    make_user(db, Role.AUDITOR, "aud2@example.com")
    page_login(client, "aud2@example.com")
    with db.uow(write=False) as s:
        row = s.execute(select(AuditLog).where(AuditLog.action == "permit_application.approved",
                                               AuditLog.target_id == str(app.id))).scalar_one()
    listing = client.get("/audit?q=" + str(app.id))
    assert f'href="/audit/{row.id}"' in listing.text
    page = client.get(f"/audit/{row.id}")
    assert page.status_code == 200
    assert "Before and after" in page.text and 'class="changed"' in page.text
    assert f'href="/officer/permits/{app.id}"' in page.text  # the auditor may read the application
    assert "Beijing time (UTC+08:00)" in page.text and "its MAC is valid" in page.text
    assert "It is not sealed yet" in page.text
    audit_seal.seal(db, grace=0, gap_after=0)
    assert "It is sealed in seal" in client.get(f"/audit/{row.id}").text
    with db.uow() as s:
        s.execute(update(AuditLog).where(AuditLog.id == row.id).values(note="edited"))
        s.commit()
    assert "does not match its MAC" in client.get(f"/audit/{row.id}").text
    assert client.get("/audit/99999999").status_code == 404
    assert client.get("/audit/99999999999999999999").status_code == 404


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
