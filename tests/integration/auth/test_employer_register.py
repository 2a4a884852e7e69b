"""Employer self-registration gives one answer whether the e-mail address has an account or not (a
message to the address), is finished by the e-mailed link (once), and is throttled. On SQLite and
PostgreSQL."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import func, select

from permitcard.auth.domain import Role
from permitcard.auth.models import Employer, User
from permitcard.shared import clock
from tests.factories import PASSWORD, csrf, make_user, sign_up_link
from tests.permit_factories import _valid_uscc, employer_with_user

CODE = _valid_uscc(737373)
BODY = {"uscc": CODE, "name_en": "Lakeside Lenses Co., Ltd.", "name_zh": "湖畔镜片有限公司",
        "address": "8 Lake Road, Dongguan", "contact_name": "Zhou Yan", "contact_phone": "+86 769 8888 0000",
        "password": PASSWORD}


def _token(db, email: str) -> str:
    return sign_up_link(db, email, "employer_register_confirm").rsplit("/", 1)[1]


def _count(db, model, **where) -> int:
    with db.uow(write=False) as s:
        query = select(func.count()).select_from(model)
        for name, value in where.items():
            query = query.where(getattr(model, name) == value)
        return int(s.execute(query).scalar_one())


def test_a_taken_address_and_a_new_one_get_the_same_answer_byte_for_byte(client, db):
    employer_with_user(db, email="hr.taken@example.com")
    make_user(db, Role.APPLICANT, "applicant.taken@example.com")
    emails = ("hr.taken@example.com", "new.hr@example.com", "applicant.taken@example.com")
    answers = [client.post("/api/v1/employers", json={**BODY, "email": email}) for email in emails]
    assert {r.status_code for r in answers} == {202}, answers[0].text
    assert len({r.content for r in answers}) == 1 and "pc_session" not in client.cookies
    assert "already exists" not in answers[0].text
    # The new address gets the link; the owners of the taken ones are told they have an account.
    assert "/employers/register/confirm/" in sign_up_link(db, "new.hr@example.com", "employer_register_confirm")
    assert sign_up_link(db, "hr.taken@example.com", "signup_existing").endswith("/login")
    assert sign_up_link(db, "applicant.taken@example.com", "signup_existing").endswith("/login")
    assert _count(db, Employer, uscc=CODE) == 0  # nothing is registered before the link is opened


def test_the_page_answers_the_same_too(client, db):
    employer_with_user(db, email="hr.taken@example.com")
    pages = []
    for email in ("hr.taken@example.com", "new.hr@example.com"):
        r = client.post("/employers/register", data={**BODY, "email": email, "csrf_token": csrf(client)},
                        follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/employers/register/sent", r.text
        pages.append(client.get("/employers/register/sent").text)
    assert pages[0] == pages[1] and "already exists" not in pages[0] and "pc_session" not in client.cookies


def test_a_registered_code_is_refused_alike_whatever_the_address(client, db):
    employer_with_user(db, email="hr.taken@example.com", uscc=CODE)
    answers = [client.post("/api/v1/employers", json={**BODY, "email": email})
               for email in ("hr.taken@example.com", "new.hr@example.com")]
    assert {r.status_code for r in answers} == {422}
    assert answers[0].content == answers[1].content and "already registered here" in answers[0].text
    pages = [client.post("/employers/register", data={**BODY, "email": email, "csrf_token": csrf(client)})
             for email in ("hr.taken@example.com", "new.hr@example.com")]
    assert {r.status_code for r in pages} == {422}
    # The same page but for the values typed back into the form (the address, the form's one-time tokens).
    assert len({re.sub(r'value="[^"]*"', "", p.text) for p in pages}) == 1 and "already exists" not in pages[0].text


def test_fields_are_checked_beside_them_before_anything_is_sent(client, db):
    r = client.post("/api/v1/employers", json={**BODY, "uscc": "123", "password": "short", "email": "x@example.com"})
    assert r.status_code == 422
    fields = {e["field"] for e in r.json()["errors"]}
    assert {"uscc", "password"} <= fields and "email" not in fields


def test_the_link_registers_the_employer_once_and_signs_in(client, db):
    assert client.post("/api/v1/employers", json={**BODY, "email": "new.hr@example.com"}).status_code == 202
    token = _token(db, "new.hr@example.com")
    r = client.post("/api/v1/employers/confirm", json={"token": token})
    assert r.status_code == 201, r.text
    assert r.json()["uscc"] == CODE and r.json()["state"] == "submitted"
    me = client.get("/api/v1/me").json()
    assert me["email"] == "new.hr@example.com" and me["role"] == "employer"
    assert client.post("/api/v1/employers/confirm", json={"token": token}).status_code == 404  # used
    assert client.get(f"/employers/register/confirm/{token}").status_code == 404
    assert client.post("/api/v1/employers/confirm", json={"token": token[:-6] + "AAAAAA"}).status_code == 404
    assert _count(db, Employer, uscc=CODE) == 1 and _count(db, User, email="new.hr@example.com") == 1


def test_links_of_sign_up_and_registration_do_not_stand_in_for_each_other(client, db):
    client.post("/api/v1/accounts", json={"email": "ana@example.com", "password": PASSWORD, "display_name": "Ana"})
    client.post("/api/v1/employers", json={**BODY, "email": "new.hr@example.com"})
    signup_token = sign_up_link(db, "ana@example.com").rsplit("/", 1)[1]
    assert client.post("/api/v1/employers/confirm", json={"token": signup_token}).status_code == 404
    assert client.post("/api/v1/accounts/confirm", json={"token": _token(db, "new.hr@example.com")}).status_code == 404


def test_an_expired_link_and_an_address_taken_meanwhile_are_refused_clearly(client, db):
    client.post("/api/v1/employers", json={**BODY, "email": "new.hr@example.com"})
    token = _token(db, "new.hr@example.com")
    with clock.frozen(clock.now() + timedelta(hours=25)):
        late = client.post("/api/v1/employers/confirm", json={"token": token})
    assert late.status_code == 404 and "expired" in late.json()["title"]
    make_user(db, Role.APPLICANT, "new.hr@example.com")
    taken = client.post("/api/v1/employers/confirm", json={"token": token})
    assert taken.status_code == 422 and "was created after this link was sent" in taken.text
    page = client.post(f"/employers/register/confirm/{token}", data={"csrf_token": csrf(client)})
    assert page.status_code == 422 and "was created after this link was sent" in page.text
    assert _count(db, Employer, uscc=CODE) == 0


def test_registrations_for_one_address_are_throttled(client, db):
    codes = [client.post("/api/v1/employers", json={**BODY, "email": "victim@example.com"}).status_code
             for _ in range(6)]
    assert codes == [202] * 5 + [429]
