"""The e-card over HTTP: the mobile API without cookies (bearer tokens, refresh rotation, revocation),
CSRF only where cookies authenticate, 429 with Retry-After, and the phone pages."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.factories import csrf
from tests.integration.ecard.conftest import PASSWORD, form, last_code


def _app_client(app) -> TestClient:
    """A client that never keeps cookies, like a mobile app talking to the API."""
    client = TestClient(app, base_url="http://127.0.0.1", cookies=None)
    client.cookies.clear()
    return client


def _register_over_api(client, db, info, maildir) -> dict[str, str]:
    r = client.post("/api/v1/ecard/registrations", json=form(info))
    assert r.status_code == 201, r.text
    assert "pc_ecard" not in r.headers.get("set-cookie", "")
    pending = r.json()["verification_token"]
    r = client.post("/api/v1/ecard/verification", json={"code": last_code(db, maildir)},
                    headers={"Authorization": f"Bearer {pending}"})
    assert r.status_code == 200, r.text
    return r.json()


def test_a_mobile_app_works_with_bearer_tokens_and_no_cookies(app, db, person, maildir):
    info, ssn = person
    client = _app_client(app)
    tokens = _register_over_api(client, db, info, maildir)
    assert tokens["token_type"] == "bearer" and tokens["expires_in"] == 600
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    client.cookies.clear()
    card = client.get("/api/v1/ecard", headers=bearer).json()
    assert card["permit"]["permit_number"] == info.permit_number and card["ssn_masked"].endswith(ssn[-4:])
    assert ssn not in str(card)
    # a change without any CSRF header: bearer requests carry no ambient credential
    client.cookies.clear()
    shown = client.post("/api/v1/ecard/ssn", headers=bearer)
    assert shown.status_code == 200 and shown.json() == {"ssn": ssn}
    qr = client.get("/api/v1/ecard/qr", headers=bearer).json()
    assert qr["lifetime"] == 60 and qr["svg"].startswith("<svg") and f"/verify/{qr['token']}" in qr["url"]
    assert client.get(f"/api/v1/ecard/verifications/{qr['token']}").json()["valid"] is True


def test_refresh_tokens_rotate_and_a_reused_one_ends_the_sign_in(app, db, person, maildir):
    info, _ = person
    client = _app_client(app)
    first = _register_over_api(client, db, info, maildir)
    second = client.post("/api/v1/ecard/tokens/refresh", json={"refresh_token": first["refresh_token"]}).json()
    assert second["refresh_token"] != first["refresh_token"]
    again = client.post("/api/v1/ecard/tokens/refresh", json={"refresh_token": first["refresh_token"]})
    assert again.status_code == 401
    # the whole family is revoked: the new pair is dead too
    assert client.get("/api/v1/ecard", headers={"Authorization": f"Bearer {second['access_token']}"}).status_code == 401
    assert client.post("/api/v1/ecard/tokens/refresh",
                       json={"refresh_token": second["refresh_token"]}).status_code == 401


def test_sign_out_and_a_password_change_revoke_tokens(app, db, person, maildir):
    info, _ = person
    client = _app_client(app)
    _register_over_api(client, db, info, maildir)
    login = {"number": info.permit_number, "password": PASSWORD}
    a = client.post("/api/v1/ecard/tokens", json=login).json()
    b = client.post("/api/v1/ecard/tokens", json=login).json()
    bearer_a, bearer_b = ({"Authorization": f"Bearer {t['access_token']}"} for t in (a, b))
    assert client.delete("/api/v1/ecard/tokens", headers=bearer_a).status_code == 204
    assert client.get("/api/v1/ecard", headers=bearer_a).status_code == 401
    assert client.get("/api/v1/ecard", headers=bearer_b).status_code == 200
    new = "New-pass22"
    r = client.put("/api/v1/ecard/password", headers=bearer_b,
                   json={"current_password": PASSWORD, "new_password": new, "new_password_again": new})
    assert r.status_code == 204, r.text
    assert client.get("/api/v1/ecard", headers=bearer_b).status_code == 401
    assert client.post("/api/v1/ecard/tokens/refresh", json={"refresh_token": b["refresh_token"]}).status_code == 401
    assert client.post("/api/v1/ecard/tokens", json=login).status_code == 401
    assert client.post("/api/v1/ecard/tokens", json={**login, "password": new}).status_code == 200


def test_sign_in_attempts_answer_429_with_retry_after(app, db, person, maildir):
    info, _ = person
    client = _app_client(app)
    _register_over_api(client, db, info, maildir)
    for _ in range(5):
        r = client.post("/api/v1/ecard/tokens", json={"number": info.permit_number, "password": "Wrong-pass1"})
        assert r.status_code == 401
    r = client.post("/api/v1/ecard/tokens", json={"number": info.permit_number, "password": PASSWORD})
    assert r.status_code == 429 and 1 <= int(r.headers["Retry-After"]) <= 31
    assert r.headers["content-type"].startswith("application/problem+json")


def test_openapi_shows_the_bearer_scheme(client):
    spec = client.get("/openapi.json").json()
    assert spec["components"]["securitySchemes"]["ecardBearer"] == {
        "type": "http", "scheme": "bearer",
        "description": "An e-card access token from `POST /api/v1/ecard/tokens` (10 minutes)."}
    assert {"ecardBearer": []} in spec["paths"]["/api/v1/ecard"]["get"]["security"]


def _page_register(client, db, info, maildir) -> None:
    token = csrf(client)
    r = client.post("/ecard/register", data={**form(info), "csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/ecard/verify?sent=1", r.text
    page = client.get("/ecard/verify?sent=1")
    assert "Enter the code we sent you" in page.text
    token = csrf(client)  # a new (pending) e-card session: a new CSRF token
    r = client.post("/ecard/verify", data={"code": last_code(db, maildir), "csrf_token": token},
                    follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/ecard"


def test_the_pages_register_verify_and_show_the_e_card(client, db, person, maildir):
    info, ssn = person
    _page_register(client, db, info, maildir)
    page = client.get("/ecard")
    assert page.status_code == 200 and info.permit_number in page.text and info.given_names in page.text
    assert ssn not in page.text and ssn[-4:] in page.text
    assert 'src="/static/ecard.js"' in page.text and 'http-equiv="refresh"' in page.text
    assert "You have no social security card yet" in page.text
    link = re.search(r'id="ecard-qr-link" href="([^"]+)"', page.text)
    assert link is not None
    shown = client.post("/ecard/ssn", data={"csrf_token": csrf(client)})
    assert ssn in shown.text
    # the page's JavaScript renews the code with the session cookie (a GET: no CSRF header)
    assert client.get("/api/v1/ecard/qr").status_code == 200
    # a change through the API with the session cookie needs the CSRF header
    assert client.post("/api/v1/ecard/ssn").status_code == 403
    assert client.post("/api/v1/ecard/ssn", headers={"X-CSRF-Token": csrf(client)}).status_code == 200


def test_a_wrong_combination_on_the_page_is_one_generic_error(client, db, person, maildir):
    info, _ = person
    r = client.post("/ecard/register", data={**form(info, passport_number="Q0000000"), "csrf_token": csrf(client)})
    assert r.status_code == 422 and "These details do not match our records" in r.text
    assert "passport number does not match" not in r.text.lower()
    assert 'value="Q0000000"' in r.text and PASSWORD not in r.text  # kept what was typed, never the password


def test_signing_in_on_the_page_and_out(client, db, person, maildir, registered):
    info, _ = person
    registered()
    token = csrf(client)
    r = client.post("/ecard/login", data={"number": info.permit_number, "password": PASSWORD, "csrf_token": token},
                    follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/ecard"
    assert client.get("/ecard").status_code == 200
    # The token changed at sign-in: the one from before is refused, the new one signs out.
    assert client.post("/ecard/logout", data={"csrf_token": token}).status_code == 403
    client.post("/ecard/logout", data={"csrf_token": csrf(client)})
    assert client.get("/ecard", follow_redirects=False).headers["location"] == "/ecard/login"


def test_an_employer_registers_for_social_insurance_with_the_e_card(client, db):
    """R: the e-card is accepted as the credential beside the notice: the permit number on it, the name
    and the passport; the registration is labelled with the e-card as its credential."""
    from tests.factories import page_login
    from tests.permit_factories import employer_with_user, file_and_approve

    employer_id, user_id = employer_with_user(db, email="hr-ecard@example.com")
    info = file_and_approve(db, employer_id=employer_id, user_id=user_id)
    page_login(client, "hr-ecard@example.com")
    form_page = client.get("/employer/insurance/new")
    assert 'name="permit_number"' in form_page.text and "electronic social security card" in form_page.text
    values = {"notice_number": "", "permit_number": info.permit_number, "given_names": info.given_names,
              "family_name": info.family_name, "passport_number": info.passport_number, "permanent_residence_id": ""}
    token = csrf(client)
    check = client.post("/employer/insurance/new", data={**values, "csrf_token": token})
    assert check.status_code == 200, check.text
    sent = client.post("/employer/insurance", data={**values, "declaration": "yes", "csrf_token": token},
                       follow_redirects=False)
    assert sent.status_code == 303, sent.text
    detail = client.get(sent.headers["location"])
    assert "Electronic social security card" in detail.text and "Registered" in detail.text
