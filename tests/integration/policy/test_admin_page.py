"""The administrator's page of rules per city, in both languages; other roles only read or are refused."""

from __future__ import annotations

from datetime import date

import pytest
from fastapi.testclient import TestClient

from permitcard.auth.domain import Role
from permitcard.db import Database
from permitcard.shared import clock
from tests.factories import csrf, make_user, page_login

TODAY = date(2026, 3, 2)


@pytest.fixture(autouse=True)
def frozen():  # type: ignore[no-untyped-def]
    with clock.frozen(TODAY):
        yield


def _post(client: TestClient, **values: str) -> object:
    day, month, year = values.pop("effective_from").split("-")[::-1]
    return client.post("/admin/policy/4419", data={"csrf_token": csrf(client), "effective_from-day": day,
                                                   "effective_from-month": month, "effective_from-year": year,
                                                   **values}, follow_redirects=False)


def test_admin_sees_current_values_and_plans_a_new_one(client: TestClient, db: Database) -> None:
    make_user(db, Role.ADMIN, "rules-admin@example.com")
    page_login(client, "rules-admin@example.com")
    assert client.get("/admin/policy", follow_redirects=False).headers["location"] == "/admin/policy/4419"
    page = client.get("/admin/policy/4419")
    assert page.status_code == 200
    assert "Rules for Dongguan" in page.text and "Fee for a replacement card" in page.text
    assert "CN¥20.00" in page.text and "CGB-DG-MAIN, CGB-DG-ZHONGXIN" in page.text
    assert "since 1 December 2024" in page.text and 'href="/admin/policy"' in page.text  # in the menu

    r = _post(client, key="fee_replacement", value="25.00", effective_from="2026-07-01", note="Notice 2026/7")
    assert r.status_code == 303  # type: ignore[attr-defined]
    page = client.get("/admin/policy/4419?saved=1")
    assert "The new value was saved" in page.text
    assert "CN¥25.00 from 1 July 2026" in page.text and "Notice 2026/7" in page.text
    assert "CN¥20.00" in page.text  # still in force today


def test_errors_keep_what_was_typed(client: TestClient, db: Database) -> None:
    make_user(db, Role.ADMIN, "rules-admin@example.com")
    page_login(client, "rules-admin@example.com")
    r = _post(client, key="fee_replacement", value="25.00", effective_from="2026-03-01")
    assert r.status_code == 422  # type: ignore[attr-defined]
    text = r.text  # type: ignore[attr-defined]
    assert "<title>Error:" in text and "There is a problem" in text
    assert text.split("</title>")[0].count("Error:") == 1  # the title says it once
    assert 'href="#effective_from"' in text and "The date must be today" in text and 'value="25.00"' in text
    r = _post(client, key="fee_replacement", value="twenty", effective_from="2026-04-01")
    assert r.status_code == 422 and 'href="#value"' in r.text  # type: ignore[attr-defined]


def test_the_page_in_chinese(client: TestClient, db: Database) -> None:
    make_user(db, Role.ADMIN, "rules-admin@example.com")
    page_login(client, "rules-admin@example.com")
    page = client.get("/admin/policy/4419", headers={"Accept-Language": "zh-CN"})
    assert page.status_code == 200 and 'lang="zh-Hans"' in page.text
    assert "东莞" in page.text and "2024年12月1日" in page.text and "补换卡费用" in page.text


def test_an_auditor_reads_the_rules_other_roles_are_refused(client: TestClient, db: Database) -> None:
    make_user(db, Role.AUDITOR, "rules-auditor@example.com")
    page_login(client, "rules-auditor@example.com")
    page = client.get("/admin/policy/4419")
    assert page.status_code == 200 and "Rules for Dongguan" in page.text
    assert 'action="/admin/policy/4419"' not in page.text  # no form to change them
    refused = _post(client, key="fee_first", value="1", effective_from="2026-04-01")
    assert refused.status_code == 403  # type: ignore[attr-defined]
    client.cookies.clear()
    make_user(db, Role.EMPLOYER, "rules-hr@example.com")
    page_login(client, "rules-hr@example.com")
    assert client.get("/admin/policy/4419").status_code == 403
