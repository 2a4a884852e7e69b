from permitcard.auth.domain import Role
from tests.factories import api_login, make_user, page_login


def test_start_page_in_both_languages(client):
    r = client.get("/")
    assert r.status_code == 200 and "Start now" in r.text
    r = client.get("/", headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    assert '<html lang="zh-Hans">' in r.text


def test_sign_in_and_me(client, db):
    make_user(db, Role.AUDITOR, "aud@example.com")
    api_login(client, "aud@example.com")
    r = client.get("/api/v1/me")
    assert r.json()["role"] == "auditor"
    page_login(client, "aud@example.com")


def test_personal_pages_are_not_cached_and_carry_security_headers(client):
    r = client.get("/login")
    assert r.headers["cache-control"] == "no-store"
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "pc_csrf" in r.headers["set-cookie"] and "HttpOnly" in r.headers["set-cookie"]
    assert client.get("/static/app.css").headers.get("cache-control") != "no-store"
