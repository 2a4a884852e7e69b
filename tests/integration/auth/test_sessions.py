from datetime import timedelta

from permitcard.auth.domain import Role
from permitcard.shared import clock
from tests.factories import api_login, csrf, make_user


def test_unknown_user_and_wrong_password_get_the_same_answer(client, db):
    make_user(db, Role.AUDITOR, "aud@example.com")
    a = client.post("/api/v1/session", json={"email": "nobody@example.com", "password": "whatever123"})
    b = client.post("/api/v1/session", json={"email": "aud@example.com", "password": "wrong password"})
    assert a.status_code == b.status_code == 401
    assert a.json()["detail"] == b.json()["detail"]
    assert a.headers["content-type"].startswith("application/problem+json")


def test_a_new_session_id_at_each_sign_in_and_sign_out_really_ends_it(client, db):
    make_user(db, Role.AUDITOR, "aud@example.com")
    api_login(client, "aud@example.com")
    first = client.cookies.get("pc_session")
    api_login(client, "aud@example.com")
    second = client.cookies.get("pc_session")
    assert first and second and first != second
    assert client.delete("/api/v1/session").status_code == 204
    client.cookies.set("pc_session", second)
    assert client.get("/api/v1/me").status_code == 401


def test_idle_sessions_expire(client, db):
    make_user(db, Role.AUDITOR, "aud@example.com")
    api_login(client, "aud@example.com")
    assert client.get("/api/v1/me").status_code == 200
    with clock.frozen(clock.now() + timedelta(minutes=31)):
        assert client.get("/api/v1/me").status_code == 401


def test_a_session_in_use_stays_alive_each_use_starts_the_idle_time_again(client, db):
    make_user(db, Role.AUDITOR, "aud@example.com")
    api_login(client, "aud@example.com")
    start = clock.now()
    with clock.frozen(start + timedelta(minutes=20)):
        assert client.get("/api/v1/me").status_code == 200
    with clock.frozen(start + timedelta(minutes=45)):  # 25 minutes after its last use, 45 after sign-in
        assert client.get("/api/v1/me").status_code == 200
    with clock.frozen(start + timedelta(minutes=80)):  # 35 idle minutes
        assert client.get("/api/v1/me").status_code == 401


def test_changes_through_the_api_need_the_csrf_header(client, db):
    make_user(db, Role.AUDITOR, "aud@example.com")
    api_login(client, "aud@example.com")
    del client.headers["X-CSRF-Token"]
    r = client.delete("/api/v1/session")
    assert r.status_code == 403


def test_forms_without_the_csrf_token_are_refused_with_a_page_not_a_500(client, db):
    make_user(db, Role.AUDITOR, "aud@example.com")
    r = client.post("/login", data={"email": "aud@example.com", "password": "correct horse battery"})
    assert r.status_code == 403 and "form expired" in r.text


def test_sign_up_refuses_common_passwords_beside_the_field_and_keeps_the_email(client):
    token = csrf(client)
    r = client.post("/signup", data={"email": "new@example.com", "password": "password123", "display_name": "N",
                                     "csrf_token": token})
    assert r.status_code == 422
    assert "Error:" in r.text.split("</title>")[0]
    assert 'href="#password"' in r.text and 'value="new@example.com"' in r.text


def test_signing_in_shows_the_role_home_and_pages_need_a_session(client, db):
    make_user(db, Role.AUDITOR, "aud@example.com")
    r = client.get("/my", follow_redirects=False)
    assert r.status_code in (303, 404)


def test_bad_json_gets_a_problem_in_the_reader_language(client):
    r = client.post("/api/v1/session", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 422
    assert r.json()["errors"][0]["message"]


def test_problems_speak_the_request_language(client, db):
    make_user(db, Role.AUDITOR, "aud@example.com")
    zh = {"Accept-Language": "zh-CN,zh;q=0.9"}
    r = client.post("/api/v1/session", json={"email": "aud@example.com", "password": "wrong password"}, headers=zh)
    assert r.status_code == 401 and r.headers["content-language"] == "zh-Hans"
    assert "密码" in r.json()["detail"]
    r = client.post("/api/v1/session", json={"email": "aud@example.com"}, headers=zh)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "password"
    assert all(ord(ch) < 128 for ch in client.post("/api/v1/session", json={}).json()["errors"][0]["message"])
    assert any(ord(ch) > 0x4E00 for ch in r.json()["errors"][0]["message"])


def test_an_empty_sign_up_names_every_missing_field_in_form_order(client):
    r = client.post("/signup", data={"email": "", "password": "", "display_name": "", "csrf_token": csrf(client)})
    assert r.status_code == 422
    summary = r.text.split('class="error-summary"')[1].split("</ul>")[0]
    links = [part.split('"')[0] for part in summary.split('href="#')[1:]]
    assert links == ["display_name", "email", "password"]
