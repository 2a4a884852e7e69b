"""The CSRF token is bound to the session and rotates at sign-in and sign-out; the API says when the
header is missing; production cookies are __Host- and Secure. On SQLite and PostgreSQL."""

from __future__ import annotations

from fastapi.testclient import TestClient

from permitcard.auth.domain import Role
from permitcard.config import Settings, get_settings
from permitcard.main import create_app, host_only_cookie
from tests.factories import api_login, csrf, make_user, page_login


def test_a_csrf_token_from_one_session_is_refused_in_another(app, db):
    make_user(db, Role.APPLICANT, "a@example.com")
    make_user(db, Role.APPLICANT, "b@example.com")
    with TestClient(app, base_url="http://127.0.0.1") as a, TestClient(app, base_url="http://127.0.0.1") as b:
        token_a = api_login(a, "a@example.com")
        api_login(b, "b@example.com")
        # B's session with A's token, in the cookie and in the header: the pair matches, the session does not.
        b.cookies.set("pc_csrf", token_a)
        r = b.delete("/api/v1/session", headers={"X-CSRF-Token": token_a})
        assert r.status_code == 403 and r.json()["code"] == "csrf_token_stale"
        assert b.get("/api/v1/me").status_code == 200  # still signed in
        assert a.delete("/api/v1/session").status_code == 204  # A's own token works in A's session


def test_the_csrf_token_rotates_at_sign_in_and_at_sign_out(client, db):
    make_user(db, Role.APPLICANT, "me@example.com")
    before = csrf(client)
    page_login(client, "me@example.com")
    signed_in = csrf(client)
    assert signed_in != before
    assert client.post("/logout", data={"csrf_token": before}).status_code == 403  # from before the sign-in
    client.post("/logout", data={"csrf_token": signed_in})
    after = csrf(client)
    assert after not in (before, signed_in)
    assert client.get("/my", follow_redirects=False).status_code == 303  # signed out
    # The signed-in token is dead after sign-out (a page form of the signed-out visitor needs the new one).
    r = client.post("/login", data={"email": "me@example.com", "password": "x", "csrf_token": signed_in})
    assert r.status_code == 403


def test_the_api_token_is_the_new_sessions_at_once(client, db):
    make_user(db, Role.APPLICANT, "me@example.com")
    first = api_login(client, "me@example.com")
    second = api_login(client, "me@example.com")  # a new session, a new token, usable at once
    assert first != second
    assert client.get("/api/v1/me").json()["csrf_token"] == second
    assert client.delete("/api/v1/session").status_code == 204


def test_a_missing_csrf_header_on_the_api_says_so(client, db):
    make_user(db, Role.APPLICANT, "me@example.com")
    api_login(client, "me@example.com")
    del client.headers["X-CSRF-Token"]
    r = client.delete("/api/v1/session")
    assert r.status_code == 403 and r.json()["code"] == "csrf_header_missing"
    assert "X-CSRF-Token" in r.json()["title"] and "form" not in r.json()["title"]
    r = client.delete("/api/v1/session", headers={"X-CSRF-Token": "made.up"})
    assert r.status_code == 403 and r.json()["code"] == "csrf_token_stale"


def test_production_cookies_carry_the_host_prefix_and_are_secure(db):
    settings = Settings(**{**get_settings().model_dump(), "environment": "production", "cookie_secure": False})
    make_user(db, Role.APPLICANT, "me@example.com")
    with TestClient(create_app(settings, db), base_url="https://permitcard.example") as c:
        r = c.post("/api/v1/session", json={"email": "me@example.com", "password": "correct horse battery"})
        assert r.status_code == 200
        set_cookies = r.headers.get_list("set-cookie")
        assert set_cookies and all(h.startswith("__Host-") and "; Secure" in h and "Path=/" in h
                                   and "domain" not in h.lower() for h in set_cookies)
        assert {h.split("=")[0] for h in set_cookies} >= {"__Host-pc_session", "__Host-pc_csrf"}
        c.headers["X-CSRF-Token"] = r.json()["csrf_token"]
        assert c.get("/api/v1/me").status_code == 200
        # A cookie without the prefix (planted by another site of the domain) is not a session.
        session = c.cookies.get("__Host-pc_session")
        with TestClient(create_app(settings, db), base_url="https://permitcard.example") as other:
            other.cookies.set("pc_session", str(session))
            assert other.get("/api/v1/me").status_code == 401
        assert c.delete("/api/v1/session").status_code == 204
        assert "strict-transport-security" in c.get("/healthz").headers


def test_development_on_plain_http_keeps_plain_cookies(client, db):
    make_user(db, Role.APPLICANT, "me@example.com")
    api_login(client, "me@example.com")
    assert client.cookies.get("pc_session") and client.get("/api/v1/me").status_code == 200


def test_the_host_prefix_rewrites_every_set_cookie():
    assert host_only_cookie("pc_card_draft=abc; Domain=example.com; HttpOnly; Path=/my/card; SameSite=strict") == (
        "__Host-pc_card_draft=abc; HttpOnly; SameSite=strict; Path=/; Secure")
