"""Security events reach the audit log (failed sign-ins, refused requests, CSRF failures, exports of
personal data), and every CSV export goes through the one writer: BOM, no formulas, audited."""

from __future__ import annotations

import csv
import io

from sqlalchemy import select, text

from permitcard.auth.domain import Role
from permitcard.permits import service as permits
from permitcard.shared import audit, audit_seal
from permitcard.shared.csvexport import FORMULA_STARTS
from permitcard.shared.models import AuditLog
from tests.card_factories import bank_clerk, paper_application, ready_applicant
from tests.factories import SYSTEM, api_login, make_user, page_login
from tests.insurance_factories import make_agency_clerk, register_for_ssn
from tests.permit_factories import application_data, employer_actor, employer_with_user, file_and_approve, officer


def _rows(db, action):
    with db.uow(write=False) as s:
        return list(s.execute(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id)).scalars())


def test_a_failed_sign_in_is_recorded_with_the_account_and_address_but_never_an_unknown_name(client, db):
    user_id = make_user(db, Role.AGENCY_CLERK, "clerk-sec@example.com")
    client.get("/login")
    wrong = client.post("/login", data={"email": "clerk-sec@example.com", "password": "not the password",
                                        "csrf_token": client.cookies.get("pc_csrf")})
    assert wrong.status_code == 401
    api = client.post("/api/v1/session", json={"email": "my secret password", "password": "x" * 12})
    assert api.status_code == 401
    rows = _rows(db, "security.sign_in_failed")
    assert [(r.target_id, r.actor_label, r.actor_role) for r in rows] == [
        (str(user_id), "clerk-sec@example.com", "anonymous"), ("", "", "anonymous")]
    assert all(r.ip for r in rows) and "my secret" not in str([r.note for r in rows])


def test_a_refused_request_and_a_csrf_failure_are_recorded(client, db):
    applicant = make_user(db, Role.APPLICANT, "app-sec@example.com")
    api_login(client, "app-sec@example.com")
    assert client.get("/api/v1/audit").status_code == 403
    [denied] = _rows(db, "security.forbidden")
    assert (denied.actor_id, denied.target_id, denied.note) == (applicant, "/api/v1/audit", "GET /api/v1/audit")
    client.headers.pop("X-CSRF-Token")
    assert client.delete("/api/v1/session").status_code == 403  # API: no CSRF header
    assert client.post("/logout", data={"csrf_token": "forged"}).status_code == 403  # page: a forged token
    assert [(r.actor_id, r.note) for r in _rows(db, "security.csrf_failed")] == [
        (applicant, "DELETE /api/v1/session"), (applicant, "POST /logout")]
    with db.uow(write=False) as s:
        assert audit_seal.verify(s).ok


def _poison(db):
    """Text that a spreadsheet would run as a formula, in every kind of exported record."""
    employer_id, user_id = employer_with_user(db, email="hr-csv@example.com")
    info = file_and_approve(db, employer_id=employer_id, user_id=user_id)
    permits.file_application(db, actor=employer_actor(employer_id, user_id), data=application_data())
    register_for_ssn(db, info)
    permit, _ssn, receipt, _user = ready_applicant(db)
    clerk = bank_clerk(db)
    paper_application(db, clerk, permit, receipt)
    officer(db, email="officer-csv@example.com")
    make_agency_clerk(db, email="agency-csv@example.com")
    make_user(db, Role.AUDITOR, "auditor-csv@example.com")
    with db.uow() as s:
        s.execute(text("UPDATE permit_application SET family_name = '=HYPERLINK(\"http://evil.example/\")'"))
        s.execute(text("UPDATE insurance_registration SET family_name = '＋cmd|calc', employer_id = :e"),
                  {"e": employer_id})
        s.execute(text("UPDATE card_application SET family_name = '@SUM(1+1)'"))
        audit.record(s, actor=SYSTEM, action="test.poison", target_type="thing", target_id="-2+3")
        s.commit()
    return clerk.label


EXPORTS = {  # route: (who may export it, audit action, a poisoned value it must show as text)
    "/employer/permits.csv": ("hr-csv@example.com", "export.permit_applications", '=HYPERLINK("http://evil.example/")'),
    "/officer/permits.csv": ("officer-csv@example.com", "export.permit_applications",
                             '=HYPERLINK("http://evil.example/")'),
    "/employer/insurance.csv": ("hr-csv@example.com", "export.insurance_registrations", "＋cmd|calc"),
    "/agency/insurance.csv": ("agency-csv@example.com", "export.insurance_registrations", "＋cmd|calc"),
    "/agency/cards.csv": ("agency-csv@example.com", "export.card_applications", "@SUM(1+1)"),
    "/audit.csv": ("auditor-csv@example.com", "export.audit_log", "-2+3"),
    # The fee report's cells are amounts and references; its neutralising is tested with its payments.
    "/branch/fees.csv": ("", "export.card_fee_report", None),
}


def _paths(routes, prefix=""):
    for route in routes:
        included = getattr(route, "original_router", None)  # FastAPI keeps included routers whole
        if included is not None:
            yield from _paths(included.routes, prefix + getattr(getattr(route, "include_context", None), "prefix", ""))
        elif hasattr(route, "path"):
            yield prefix + route.path


def test_every_csv_export_is_utf8_with_a_bom_free_of_formulas_and_audited(client, app, db):
    routes = {p for p in _paths(app.routes) if p.endswith(".csv")}
    assert routes == set(EXPORTS), "a new CSV export: add it here and build it with shared.csvexport"
    clerk_email = _poison(db)
    for route, (email, action, poisoned) in EXPORTS.items():
        email = email or clerk_email
        client.cookies.clear()
        page_login(client, email)
        before = len(_rows(db, action))
        r = client.get(route)
        assert r.status_code == 200 and r.content.startswith("\ufeff".encode()), route
        cells = [c for row in csv.reader(io.StringIO(r.content.decode("utf-8-sig"))) for c in row]
        assert poisoned is None or "'" + poisoned in cells, route
        assert not [c for c in cells if c.startswith(FORMULA_STARTS)], route
        rows = _rows(db, action)
        assert len(rows) == before + 1 and rows[-1].actor_label == email, route
        assert poisoned is None or rows[-1].after["rows"] >= 1, route


def test_printing_a_permit_notice_is_recorded_as_an_export(client, db):
    employer_id, user_id = employer_with_user(db, email="hr-notice@example.com")
    info = file_and_approve(db, employer_id=employer_id, user_id=user_id)
    page_login(client, "hr-notice@example.com")
    assert client.get(f"/permits/notices/{info.notice_number}").status_code == 200
    [row] = _rows(db, "export.permit_notice")
    assert (row.actor_id, row.target_type, row.target_id) == (user_id, "permit", info.permit_number)
