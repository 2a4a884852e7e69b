"""Sign-up gives one answer whether the address has an account or not (a message to the address), is
finished by the e-mailed link, and is throttled. On SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import func, select

from permitcard.auth.domain import Role
from permitcard.auth.models import User
from tests.factories import api_sign_up, csrf, make_user, sign_up_link

BODY = {"password": "a long enough passphrase", "display_name": "Ana"}


def test_a_taken_address_and_a_new_one_get_the_same_answer_byte_for_byte(client, db):
    make_user(db, Role.APPLICANT, "taken@example.com")
    make_user(db, Role.AGENCY_CLERK, "staff@example.com")
    answers = [client.post("/api/v1/accounts", json={**BODY, "email": email})
               for email in ("taken@example.com", "new@example.com", "staff@example.com")]
    assert {r.status_code for r in answers} == {202}
    assert len({r.content for r in answers}) == 1 and "pc_session" not in client.cookies
    # The new address gets the link; the taken ones are told they have an account.
    assert "/signup/confirm/" in sign_up_link(db, "new@example.com")
    assert sign_up_link(db, "taken@example.com", "signup_existing").endswith("/login")
    assert sign_up_link(db, "staff@example.com", "signup_existing").endswith("/login")


def test_the_page_answers_the_same_too(client, db):
    make_user(db, Role.APPLICANT, "taken@example.com")
    pages = []
    for email in ("taken@example.com", "new@example.com"):
        r = client.post("/signup", data={**BODY, "email": email, "csrf_token": csrf(client)}, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/signup/sent"
        pages.append(client.get("/signup/sent").text)
    assert pages[0] == pages[1] and "already exists" not in pages[0]


def test_the_link_creates_the_account_once_and_signs_in(client, db):
    api_sign_up(client, "me@example.com", display_name="Me")
    me = client.get("/api/v1/me").json()
    assert me["email"] == "me@example.com" and me["role"] == "applicant"
    token = sign_up_link(db, "me@example.com").rsplit("/", 1)[1]
    assert client.post("/api/v1/accounts/confirm", json={"token": token}).status_code == 404  # used
    assert client.post("/api/v1/accounts/confirm", json={"token": token[:-4] + "AAAA"}).status_code == 404
    with db.uow(write=False) as s:
        assert s.execute(select(func.count()).select_from(User).where(User.email == "me@example.com")).scalar_one() == 1


def test_the_link_on_the_page(client, db):
    client.post("/signup", data={**BODY, "email": "me@example.com", "csrf_token": csrf(client)})
    path = "/signup/confirm/" + sign_up_link(db, "me@example.com").rsplit("/", 1)[1]
    assert client.get(path).status_code == 200
    r = client.post(path, data={"csrf_token": csrf(client)}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/my/link"
    assert client.get("/my/link").status_code == 200


def test_sign_ups_for_one_address_are_throttled(client, db):
    codes = [client.post("/api/v1/accounts", json={**BODY, "email": "victim@example.com"}).status_code
             for _ in range(6)]
    assert codes == [202] * 5 + [429]


def test_inviting_an_address_that_has_an_account_answers_like_any_other(client, db):
    from permitcard.shared import clock
    from tests.factories import api_login
    from tests.permit_factories import employer_with_user

    employer_with_user(db, email="hr@example.com")
    make_user(db, Role.APPLICANT, "taken@example.com")
    api_login(client, "hr@example.com")
    with clock.frozen(clock.now()):
        answers = [client.post("/api/v1/employer/invitations", json={"email": email, "display_name": "Colleague"})
                   for email in ("taken@example.com", "new@example.com")]
    assert {r.status_code for r in answers} == {201}
    same = [{k: v for k, v in r.json().items() if k not in ("id", "email")} for r in answers]
    assert same[0] == same[1]
    assert sign_up_link(db, "taken@example.com", "invitation_existing").endswith("/login")
    # The owner is told; the invitation itself cannot be accepted (the address has its account).
    from permitcard.auth.service import invitations

    with db.uow(write=False) as s:
        from permitcard.auth.models import Invitation

        inv = s.execute(select(Invitation).where(Invitation.email == "taken@example.com")).scalar_one()
    assert inv.accepted_at is None and invitations  # stays open, never usable
