"""A city starts using permitcard: employers register and are reviewed, colleagues and staff are
invited, staff sign in with a second factor, passwords are changed and reset, accounts disabled."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from email import message_from_bytes, policy
from pathlib import Path

import pyotp
import pytest

from permitcard.auth.domain import Role
from permitcard.auth.service import employers
from permitcard.bootstrap import adapters, install
from permitcard.notifications.adapters import FileMailer
from permitcard.shared import outbox
from permitcard.shared.audit import Actor
from tests.factories import PASSWORD, api_login, csrf, make_user, page_login, register_employer
from tests.integration.permits.test_api import _json
from tests.permit_factories import _valid_uscc, application_data

NEW_PASSWORD = "seven purple lanterns drift"


@pytest.fixture
def maildir(tmp_path) -> Iterator[Path]:
    """The app's adapters with the file mailer writing into this test's folder."""
    assembled = adapters()
    install(replace(assembled, mailer=FileMailer(tmp_path / "mail")))
    yield tmp_path / "mail"
    install(assembled)


def _mails(db, maildir: Path, to: str) -> list:
    outbox.dispatch(db)
    found = [message_from_bytes(p.read_bytes(), policy=policy.default) for p in sorted(maildir.glob("*.eml"))]
    return [m for m in found if m["To"] == to]


def _link(mail, path: str) -> str:
    match = re.search(rf"http://\S+({path}/[A-Za-z0-9_=-]+)", mail.get_content())
    assert match, mail.get_content()
    return match.group(1)


def _post(client, url: str, data: dict, **kw):
    return client.post(url, data={**data, "csrf_token": csrf(client)}, follow_redirects=False, **kw)


def _register(client, uscc: str, email: str = "first.hr@example.com", **extra: str):
    data = {"uscc": uscc, "name_en": "Songshan Lake Optics Co., Ltd.", "name_zh": "松山湖光学有限公司",
            "address": "1 Science Avenue, Dongguan", "contact_name": "Gao Lin", "contact_phone": "+86 769 1234 5678",
            "email": email, "password": PASSWORD, **extra}
    return _post(client, "/employers/register", data)


def _confirm(client, db, maildir: Path, email: str = "first.hr@example.com"):
    """Open the e-mailed registration link and send the registration (signed in)."""
    [mail] = [m for m in _mails(db, maildir, email) if "/employers/register/confirm/" in m.get_content()]
    path = _link(mail, "/employers/register/confirm")
    assert "Finish registering the employer" in client.get(path).text
    return _post(client, path, {})


def test_employer_registers_is_approved_invites_a_colleague_who_files(client, db, maildir):
    code = _valid_uscc(424242)
    bad = _register(client, code[:-1] + ("0" if code[-1] != "0" else "1"))
    assert bad.status_code == 422 and "Enter a valid unified social credit code" in bad.text

    sent = _register(client, code)
    assert sent.status_code == 303 and sent.headers["location"] == "/employers/register/sent"
    assert "pc_session" not in client.cookies  # nobody is signed in before the link is opened
    done = _confirm(client, db, maildir)
    assert done.status_code == 303 and done.headers["location"] == "/employer?registered=1"
    home = client.get("/employer")
    assert "waiting for review" in home.text
    csrf_token = client.get("/api/v1/me").json()["csrf_token"]
    refused = client.post("/api/v1/permit-applications", json=_json(application_data()),
                          headers={"X-CSRF-Token": csrf_token})
    assert refused.status_code == 403 and refused.json()["code"] == "employer_not_approved"

    client.cookies.clear()
    second = _register(client, code, email="someone.else@example.com")
    assert second.status_code == 422 and "already registered here" in second.text
    assert "Songshan" not in second.text.split("<main")[1].split("value=")[0]  # nothing of the first revealed

    make_user(db, Role.PERMIT_OFFICER, "officer.onb@example.com")
    page_login(client, "officer.onb@example.com")
    queue = client.get("/officer/employers")
    employer_id = int(re.search(r'/officer/employers/(\d+)"', queue.text).group(1))
    detail = client.get(f"/officer/employers/{employer_id}")
    version = re.search(r'name="version" value="(\d+)"', detail.text).group(1)
    empty = _post(client, f"/officer/employers/{employer_id}", {"version": version, "action": "reject"})
    assert empty.status_code == 422 and "reason for the rejection" in empty.text
    assert _post(client, f"/officer/employers/{employer_id}", {"version": version, "action": "approve"}
                 ).status_code == 303
    decided = _mails(db, maildir, "first.hr@example.com")
    assert len(decided) == 2 and any("approved" in m["Subject"] for m in decided)  # the link, the decision

    client.cookies.clear()
    page_login(client, "first.hr@example.com")
    assert _post(client, "/employer/colleagues", {"display_name": "Tan Mei", "email": "tan.mei@example.com"}
                 ).status_code == 303
    [invite] = _mails(db, maildir, "tan.mei@example.com")
    link = _link(invite, "/invitations")

    client.cookies.clear()
    assert "Set up your account" in client.get(link).text
    weak = _post(client, link, {"password": "short", "confirm": "short"})
    assert weak.status_code == 422 and "at least 12 characters" in weak.text
    done = _post(client, link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert done.status_code == 303 and done.headers["location"] == "/employer"
    assert client.get(link).status_code == 404  # one-time
    token = client.get("/api/v1/me").json()["csrf_token"]
    filed = client.post("/api/v1/permit-applications", json=_json(application_data()), headers={"X-CSRF-Token": token})
    assert filed.status_code == 201, filed.text

    home = client.get("/employer")
    assert "Tan Mei" in home.text and "Filed a work permit application" in home.text

    client.cookies.clear()
    page_login(client, "first.hr@example.com")
    people = client.get("/employer/colleagues").text
    tan_id = re.search(r'/employer/colleagues/(\d+)/remove', people).group(1)
    assert _post(client, f"/employer/colleagues/{tan_id}/remove", {}).status_code == 303
    other = client.__class__(client.app, base_url="http://127.0.0.1")
    r = other.post("/api/v1/session", json={"email": "tan.mei@example.com", "password": NEW_PASSWORD})
    assert r.status_code == 401


def test_officer_asks_for_a_correction_then_rejects_and_the_code_is_free_again(db):
    officer = Actor(None, "permit_officer", "officer@test")
    code = _valid_uscc(515151)
    data = {"uscc": code, "name_en": "A Co.", "name_zh": "甲公司", "address": "Dongguan", "contact_name": "Li",
            "contact_phone": "123"}
    _t, user, e = register_employer(db, data, "a.hr@example.com")
    e = employers.review(db, actor=officer, employer_id=e.id, version=e.version, action="request_correction",
                         reason="The Chinese name differs from the licence")
    hr = user.actor()
    e = employers.resubmit(db, actor=hr, version=e.version, data={**data, "name_zh": "甲有限公司"})
    assert e.state == "submitted" and e.name_zh == "甲有限公司"
    e = employers.review(db, actor=officer, employer_id=e.id, version=e.version, action="reject",
                         reason="Not an employer in this city")
    assert e.state == "rejected"
    _t2, _u2, again = register_employer(db, data, "b.hr@example.com")
    assert again.state == "submitted" and again.id != e.id


def test_admin_invites_a_bank_clerk_who_enrols_and_signs_in_with_the_code(client, db, maildir):
    from tests.card_factories import branch_id

    branch = branch_id(db, "CCB-DG-BRANCH")
    make_user(db, Role.ADMIN, "admin.onb@example.com")
    page_login(client, "admin.onb@example.com")
    assert "What needs doing now" in client.get("/admin").text
    missing = _post(client, "/admin/accounts/invite", {"display_name": "Qian Bo", "email": "qian.bo@example.com",
                                                       "role": "bank_clerk"})
    assert missing.status_code == 422 and "Choose the branch" in missing.text
    assert _post(client, "/admin/accounts/invite", {"display_name": "Qian Bo", "email": "qian.bo@example.com",
                                                    "role": "bank_clerk", "branch_id": str(branch)}).status_code == 303
    [invite] = _mails(db, maildir, "qian.bo@example.com")
    link = _link(invite, "/invitations")

    client.cookies.clear()
    r = _post(client, link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert r.headers["location"] == "/account/second-factor"
    assert client.get("/branch", follow_redirects=False).status_code == 303  # not signed in yet
    setup = client.get("/account/second-factor")
    secret = re.search(r'id="secret">([A-Z2-7]+)<', setup.text).group(1)
    wrong = _post(client, "/account/second-factor", {"code": "000000"})
    assert wrong.status_code == 401 and "not right" in wrong.text
    ok = _post(client, "/account/second-factor", {"code": pyotp.TOTP(secret).now()})
    assert ok.headers["location"].startswith("/account/recovery-codes")
    codes = re.findall(r"<code>([a-z0-9]{5}-[a-z0-9]{5})</code>", client.get("/account/recovery-codes").text)
    assert len(codes) == 10
    assert _post(client, "/account/recovery-codes", {}).status_code == 303
    assert client.get("/branch").status_code == 200

    client.cookies.clear()
    api = client.post("/api/v1/session", json={"email": "qian.bo@example.com", "password": NEW_PASSWORD})
    assert api.status_code == 401 and api.json()["code"] == "second_factor_required"
    used = client.post("/api/v1/session", json={"email": "qian.bo@example.com", "password": NEW_PASSWORD,
                                                "totp_code": pyotp.TOTP(secret).now()})
    assert used.status_code == 401  # the code that confirmed the set-up is spent
    first = client.post("/api/v1/session", json={"email": "qian.bo@example.com", "password": NEW_PASSWORD,
                                                 "totp_code": codes[0]})
    assert first.status_code == 200 and first.json()["branch_id"] == branch
    again = client.post("/api/v1/session", json={"email": "qian.bo@example.com", "password": NEW_PASSWORD,
                                                 "totp_code": codes[0]})
    assert again.status_code == 401  # a recovery code works once


def test_password_reset_same_answer_one_time_link_and_sessions_end(client, db, maildir):
    make_user(db, Role.APPLICANT, "reset.me@example.com")
    api_login(client, "reset.me@example.com")
    known = _post(client, "/password/forgot", {"email": "reset.me@example.com"})
    unknown = _post(client, "/password/forgot", {"email": "nobody.here@example.com"})
    assert known.headers["location"] == unknown.headers["location"] == "/password/forgot/sent"
    assert _mails(db, maildir, "nobody.here@example.com") == []
    [mail] = _mails(db, maildir, "reset.me@example.com")
    link = _link(mail, "/password/reset")
    common = _post(client, link, {"password": "qwerty123456", "confirm": "qwerty123456"})
    assert common.status_code == 422 and "too common" in common.text
    assert _post(client, link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 303
    assert client.get("/api/v1/me").status_code == 401  # every session ended
    assert client.get(link).status_code == 404
    assert client.post("/api/v1/session", json={"email": "reset.me@example.com", "password": NEW_PASSWORD}
                       ).status_code == 200
    r = client.post("/api/v1/password-resets", json={"email": "nobody.here@example.com"})
    assert r.status_code == 202


def test_a_reset_link_is_in_the_e_mail_and_nowhere_in_the_database_in_clear(client, db, maildir):
    """Only the mail carries the link: the message row and the outbox's event are encrypted, so a copy of
    the database (a backup, a replica) cannot take over an account with a link still valid."""
    from sqlalchemy import text

    make_user(db, Role.APPLICANT, "reset.rest@example.com")
    _post(client, "/password/forgot", {"email": "reset.rest@example.com"})
    [mail] = _mails(db, maildir, "reset.rest@example.com")
    token = _link(mail, "/password/reset").rsplit("/", 1)[1]
    with db.uow(write=False) as s:
        rows = s.execute(text("SELECT recipient, subject, body FROM notification_message "
                              "WHERE recipient = 'reset.rest@example.com'")).all()
        events = [str(p) for (p,) in s.execute(text("SELECT payload FROM outbox_message "
                                                    "WHERE topic = 'notification.send'"))]
    assert len(rows) == 1 and rows[0].subject.startswith("v1:") and rows[0].body.startswith("v1:")
    assert token not in rows[0].body and "Reset" not in rows[0].subject
    assert events and not any(token in p or "reset.rest@example.com" in p for p in events)
    assert _post(client, f"/password/reset/{token}", {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
                 ).status_code == 303  # the link the mail carried works


def test_change_password_and_disable_ends_sessions_at_once(client, db):
    make_user(db, Role.ADMIN, "admin.dis@example.com")
    officer_id = make_user(db, Role.PERMIT_OFFICER, "officer.dis@example.com")
    other = client.__class__(client.app, base_url="http://127.0.0.1")
    api_login(other, "officer.dis@example.com")
    assert other.get("/api/v1/me").status_code == 200
    api_login(client, "admin.dis@example.com")
    assert client.post(f"/api/v1/accounts/{officer_id}/disable").status_code == 204
    assert other.get("/api/v1/me").status_code == 401
    assert client.post(f"/api/v1/accounts/{officer_id}/second-factor/reset").status_code == 204
    rows = client.get("/api/v1/audit", params={"q": str(officer_id)}).json()["rows"]
    assert {"user.disabled", "user.second_factor_reset"} <= {r["action"] for r in rows}
    r = client.post("/api/v1/me/password", json={"current_password": PASSWORD, "new_password": "short"})
    assert r.status_code == 422


def test_expired_accreditation_stops_new_uploads(db):
    from permitcard.photos import service as photos
    from permitcard.photos.errors import StudioNotAccredited
    from tests.factories import make_photo_studio
    from tests.insurance_factories import jpeg_bytes, user_actor

    old = make_photo_studio(db, name="Old Studio", start=date(2020, 1, 1), end=date(2021, 12, 31))
    make_user(db, Role.PHOTO_STUDIO, "old.studio@example.com", studio_id=old)
    with pytest.raises(StudioNotAccredited):
        photos.upload(db, actor=user_actor(db, "old.studio@example.com"), family_name="LEE", given_names="A",
                      passport_number="E1234567", image=jpeg_bytes())


@pytest.mark.parametrize(("role", "home"), [
    (Role.EMPLOYER, "/employer"), (Role.PERMIT_OFFICER, "/officer"), (Role.AGENCY_CLERK, "/agency"),
    (Role.ADMIN, "/admin"), (Role.AUDITOR, "/audit"), (Role.PHOTO_STUDIO, "/studio/photos"),
])
def test_every_role_lands_on_a_working_home(client, db, role, home):
    from tests.permit_factories import employer_with_user

    email = f"{role.value}.home@example.com"
    if role == Role.EMPLOYER:
        employer_with_user(db, email=email)
    else:
        make_user(db, role, email)
    client.get("/login")
    page_login(client, email)
    r = client.get(home)
    assert r.status_code == 200, r.text
    start = client.get("/")
    assert f'href="{home}"' in start.text and 'href="/login"' not in start.text.split("<main")[1]


def test_openapi_documents_the_code_in_sign_in(client):
    schema = client.get("/openapi.json").json()
    assert "totp_code" in schema["components"]["schemas"]["SignIn"]["properties"]


def test_admin_keeps_studios_through_the_api_and_a_renewal_reopens_uploads(client, db):
    make_user(db, Role.ADMIN, "admin.studios@example.com")
    api_login(client, "admin.studios@example.com")
    body = {"name": "Harbour Photo", "address": "2 Harbour Road", "accredited_from_date": "2020-01-01",
            "accredited_to_date": "2021-12-31"}
    made = client.post("/api/v1/studios", json=body)
    assert made.status_code == 201 and made.json()["accredited_today"] is False
    bad = client.post("/api/v1/studios", json={**body, "accredited_to_date": "2019-01-01"})
    assert bad.status_code == 422
    renewed = client.put(f"/api/v1/studios/{made.json()['id']}",
                         json={**body, "accredited_to_date": "2099-12-31", "version": made.json()["version"]})
    assert renewed.status_code == 200 and renewed.json()["accredited_today"] is True
    stale = client.put(f"/api/v1/studios/{made.json()['id']}", json={**body, "version": made.json()["version"]})
    assert stale.status_code == 409
