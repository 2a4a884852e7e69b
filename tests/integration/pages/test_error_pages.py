"""Error pages keep the layout: header, the reader's menu and sign-out, and they say why and where to go."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from permitcard.auth.domain import Role
from permitcard.db import Database
from tests.factories import make_user, page_login


@pytest.fixture
def signed_in(db: Database, client: TestClient) -> TestClient:
    make_user(db, Role.APPLICANT, "worker.err@example.com")
    page_login(client, "worker.err@example.com")
    return client


@pytest.mark.parametrize(("method", "path", "status"), [
    ("GET", "/audit", 403), ("GET", "/no/such/page", 404), ("GET", "/agency/cards/999999", 403),
    ("GET", "/logout", 405),
])
def test_error_pages_keep_the_menu_and_sign_out(signed_in: TestClient, method: str, path: str, status: int) -> None:
    r = signed_in.request(method, path)
    assert r.status_code == status
    assert 'action="/logout"' in r.text  # sign-out
    assert 'href="/my"' in r.text  # the applicant's menu and home
    assert "worker.err" in r.text  # who is signed in
    assert "Go to your home page" in r.text


def test_403_says_which_roles_use_the_page_and_which_role_you_have(signed_in: TestClient) -> None:
    r = signed_in.get("/audit")
    assert "This page is for: Auditor, Administrator. You are signed in as: Applicant." in r.text
    signed_in.cookies.set("lang", "zh-Hans")
    r = signed_in.get("/audit")
    assert "您当前登录的角色是：申请人" in r.text, r.text


def test_error_pages_for_visitors_offer_sign_in(client: TestClient) -> None:
    r = client.get("/no/such/page")
    assert r.status_code == 404
    assert 'href="/login"' in r.text and "Sign out" not in r.text
