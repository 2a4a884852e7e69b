"""Permit changes in a real browser, once in each language: extension, modification (and the refused
change of employer), cancellation and the new employer's application keeping the permit number, and
the electronic permit of a paper permit; the officer decides in the browser; the history page shows
every version.

The permits are made through the JSON API with the demo accounts. Every page is screenshotted
(test-artifacts/screenshots/changes-<lang>-<nn>-<step>.png) and checked with axe, error states too.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from tests.e2e.conftest import LIVE_DB, assert_accessible, html_lang, login, shot, text_for
from tests.e2e.test_loss import Api

TODAY = date(2026, 11, 27)  # the live server's clock (conftest CLOCK_START)
HR, HR2 = ("hr@example.com", "demo-employer-pass"), ("hr2@example.com", "demo-employer2-pass")
OFFICER = ("officer@example.com", "demo-officer-pass")


class Apis:
    """The demo employers and the officer through the JSON API, each signed in once."""

    def __init__(self, base_url: str) -> None:
        self.hr, self.hr2, self.officer = Api(base_url), Api(base_url), Api(base_url)
        self.hr.login(*HR)
        self.hr2.login(*HR2)
        self.officer.login(*OFFICER)

    def approve(self, app: dict[str, Any]) -> dict[str, Any]:
        return self.officer.post(f"/api/v1/permit-applications/{app['id']}/decision",
                                 json={"action": "approve", "version": app["version"]})


def issue(api: Apis, lang: str, *, ends_in: int) -> dict[str, Any]:
    """A category B permit of the demo employer, valid from 28 days ago until ``ends_in`` days from now."""
    tag = secrets.token_hex(3).upper()
    family, given = ("Okafor " + tag, "Adaeze") if lang == "en" else ("Tran " + tag, "Van An")
    family = family.translate(str.maketrans("0123456789", "GHJKLMNPQR"))  # names are passport letters only
    start = TODAY - timedelta(days=28)
    app = api.hr.post("/api/v1/permit-applications", json={
        "family_name": family, "given_names": given, "nationality": "NG" if lang == "en" else "VN",
        "birth_date": "1988-07-09", "sex": "F", "passport_number": f"E{tag}{secrets.randbelow(10**4):04d}",
        "passport_expiry_date": str(TODAY + timedelta(days=2000)), "position": "Process engineer", "category": "B",
        "contract_start_date": str(start), "contract_end_date": str(start + timedelta(days=800)),
        "requested_end_date": str(TODAY + timedelta(days=ends_in))})
    return api.approve(app) | {"passport": app["passport_number"], "family_name": family, "given_names": given}


def fill_date(page: Any, prefix: str, day: date) -> None:
    page.locator(f"#{prefix}").fill(str(day.day))
    page.locator(f"#{prefix}-month").fill(str(day.month))
    page.locator(f"#{prefix}-year").fill(str(day.year))


def submit(page: Any) -> None:
    with page.expect_navigation():
        page.locator("main form[method=post] button[type=submit]").first.click()


class Shots:
    def __init__(self, page: Any, lang: str, who: str = "employer") -> None:
        self.page, self.lang, self.who, self.n = page, lang, who, 0

    def __call__(self, step: str) -> None:
        self.n += 1
        shot(self.page, f"changes-{self.lang}-{self.who}-{self.n:02d}-{step}")
        assert_accessible(self.page, step)


class Officer:
    """The permit officer in a browser context of their own: signed in once (one authenticator code)."""

    def __init__(self, make_page: Callable[..., Any], lang: str) -> None:
        self.page, self.lang = make_page(lang), lang
        self.snap = Shots(self.page, lang, "officer")
        login(self.page, *OFFICER)

    def decides(self, action: str = "approve") -> None:
        page = self.page
        page.goto("/officer/permits")
        self.snap("queue")
        page.locator("table a").first.click()
        page.wait_for_load_state()
        self.snap("detail")
        page.locator(f"input[name=action][value={action}]").check()
        submit(page)
        assert text_for(self.lang, "Approved") in page.content()


def test_extension_modification_and_history(page: Any, make_page: Any, live_server: str, lang: str) -> None:
    api = Apis(live_server)
    officer = Officer(make_page, lang)
    permit = issue(api, lang, ends_in=60)  # the extension window is open: 90 to 30 days before the end
    number = permit["permit_number"]
    snap = Shots(page, lang)
    login(page, *HR)
    page.goto("/employer/permits")
    page.get_by_role("button", name=text_for(lang, "Change a work permit")).click()
    page.wait_for_load_state()
    assert html_lang(page).startswith("zh" if lang == "zh-Hans" else "en")
    snap("start")
    page.get_by_role("link", name=text_for(lang, "Extension"), exact=True).click()
    page.wait_for_load_state()
    page.locator("#permit_number").fill(number)
    submit(page)
    assert page.locator("#requested_end_date-error").is_visible()
    snap("extension-errors")
    fill_date(page, "requested_end_date", TODAY + timedelta(days=600))
    fill_date(page, "contract_end_date", TODAY + timedelta(days=700))
    fill_date(page, "passport_expiry_date", TODAY + timedelta(days=400))  # before the new end: refused
    submit(page)
    assert page.locator("#passport_expiry_date-error").is_visible()
    assert page.locator("#permit_number").input_value() == number  # nothing typed is lost
    fill_date(page, "passport_expiry_date", TODAY + timedelta(days=2000))
    submit(page)
    assert "/employer/permit-changes/" in page.url
    snap("extension-sent")
    officer.decides()

    page.goto(f"/employer/permit-changes/modification?permit={number}")
    page.locator("#employer_uscc").fill("91441900MA4W00000X")
    fill_date(page, "change_date", TODAY - timedelta(days=25))
    submit(page)
    assert page.locator("#employer_uscc-error").is_visible()
    snap("modification-employer-refused")
    page.locator("#employer_uscc").fill("")
    page.locator("#position").fill("Chief process engineer")
    submit(page)
    assert "/employer/permit-changes/" in page.url
    assert page.locator(".tag-late").is_visible()  # 10 working days after 2 Nov ended on 16 Nov: late
    snap("modification-sent-late")
    officer.decides()

    page.goto(f"/permits/{number}/history")
    content = page.content()
    assert "Chief process engineer" in content and text_for(lang, "Extension") in content
    snap("history")


def test_change_of_employer_and_electronic_permit(page: Any, make_page: Any, live_server: str, lang: str) -> None:
    api = Apis(live_server)
    officer = Officer(make_page, lang)
    permit = issue(api, lang, ends_in=300)
    number = permit["permit_number"]
    snap = Shots(page, lang)
    login(page, *HR)
    page.goto(f"/employer/permit-changes/cancellation?permit={number}")
    submit(page)
    assert page.locator("#change_date-error").is_visible()
    snap("cancellation-errors")
    fill_date(page, "change_date", TODAY - timedelta(days=1))
    submit(page)
    snap("cancellation-sent")
    officer.decides()

    start = TODAY + timedelta(days=3)  # the new employer files a new application for the same person
    app = api.hr2.post("/api/v1/permit-applications", json={
        "family_name": permit["family_name"], "given_names": permit["given_names"],
        "nationality": "NG" if lang == "en" else "VN", "birth_date": "1988-07-09", "sex": "F",
        "passport_number": permit["passport"], "passport_expiry_date": str(TODAY + timedelta(days=2000)),
        "position": "Plant manager", "category": "B", "contract_start_date": str(start),
        "contract_end_date": str(start + timedelta(days=500)), "requested_end_date": str(start + timedelta(days=400))})
    approved = api.approve(app)
    assert approved["permit_number"] == number  # the lifelong number is kept
    officer.page.goto(f"/permits/{number}/history")
    assert officer.page.content().count(text_for(lang, "Permit issued")) == 2
    officer.snap("history-two-employers")

    paper = issue(api, lang, ends_in=200)  # stands in for an imported paper permit (import-legacy)
    with sa.create_engine(LIVE_DB["url"]).begin() as c:
        c.execute(sa.text("UPDATE permit SET origin = 'paper' WHERE id = (SELECT p.id FROM permit p JOIN "
                          "permit_person pp ON pp.id = p.person_id WHERE pp.permit_number = :n)"),
                  {"n": paper["permit_number"]})
    page.goto(f"/employer/permit-changes/electronic?permit={paper['permit_number']}")
    snap("electronic-form")
    submit(page)
    assert "/employer/permit-changes/" in page.url
    snap("electronic-sent")
    officer.decides()
    page.goto(f"/permits/{paper['permit_number']}/history")
    assert text_for(lang, "Electronic permit") in page.content()
    snap("electronic-history")


pytestmark = pytest.mark.e2e
