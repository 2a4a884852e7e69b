"""Lost card in a real browser, once in each language: loss → fee → replacement → old card invalid.

The person and their first (active) card are made through the JSON API with the demo accounts (the
first-card journey itself is test_journey's subject). Then, in the browser: the worker reports the
card lost online; the Guangfa main-branch clerk finds the cards at the counter by passport, enters an
instant replacement, records the 20 RMB fee (receipt), produces the card, hands it over; the daily fee
report shows the payment and the new card; the worker sees the receipt and the old card invalid.

Every page is screenshotted (test-artifacts/screenshots/loss-<lang>-<nn>-<step>.png, and at 375 px)
and checked with axe; the error state of the forms too.
"""

from __future__ import annotations

import secrets
from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import (
    MOBILE,
    assert_accessible,
    html_lang,
    login,
    mail_to,
    new_page,
    shot,
    text_for,
)
from tests.insurance_factories import jpeg_bytes

TODAY = date(2026, 11, 27)  # the live server's clock (conftest CLOCK_START)
CLERK = ("clerk.cgb@example.com", "demo-clerk-pass")  # Guangfa main branch: instant, immediate replacement


class Api:
    """The demo accounts through the JSON API (one session at a time)."""

    def __init__(self, base_url: str) -> None:
        self.c = httpx.Client(base_url=base_url, timeout=30)

    def login(self, email: str, password: str) -> None:
        """Staff add the code from their authenticator (seed-demo's secret), as the browser sign-in does."""
        from permitcard.seed import demo_secret
        from tests.e2e.conftest import _TOTP_SCOPE
        from tests.factories import totp_code

        self.c.cookies.clear()
        self.c.headers.pop("X-CSRF-Token", None)
        r = self.c.post("/api/v1/session", json={"email": email, "password": password})
        if r.status_code == 401 and "second_factor" in r.text:
            code = totp_code(email, secret=demo_secret(email), scope=_TOTP_SCOPE)
            r = self.c.post("/api/v1/session", json={"email": email, "password": password, "totp_code": code})
        assert r.status_code == 200, r.text
        self.c.headers["X-CSRF-Token"] = r.json()["csrf_token"]

    def post(self, url: str, **kw: Any) -> dict[str, Any]:
        r = self.c.post(url, **kw)
        assert r.status_code in (200, 201), f"{url}: {r.status_code} {r.text}"
        return dict(r.json())


def person_with_active_card(base_url: str, lang: str) -> dict[str, Any]:
    tag = secrets.token_hex(3).upper()
    family, given = ("Okonkwo-Adebayo", "Chimamanda Ngozi") if lang == "en" else ("Nguyễn", "Thị Minh Khai")
    family = f"{family} {tag}".translate(str.maketrans("0123456789", "GHJKLMNPQR"))  # names are passport letters only
    passport = f"P{tag}{secrets.randbelow(10**5):05d}"
    email, password = f"lost.{tag.lower()}@example.com", "a lost card at noon"
    api = Api(base_url)
    start = TODAY + timedelta(days=7)
    api.login("hr@example.com", "demo-employer-pass")
    app = api.post("/api/v1/permit-applications", json={
        "family_name": family, "given_names": given, "nationality": "NG" if lang == "en" else "VN",
        "birth_date": "1990-03-04", "sex": "F", "passport_number": passport,
        "passport_expiry_date": str(start + timedelta(days=2000)), "position": "Quality engineer", "category": "B",
        "contract_start_date": str(start), "contract_end_date": str(start + timedelta(days=800)),
        "requested_end_date": str(start + timedelta(days=700))})
    api.login("officer@example.com", "demo-officer-pass")
    approved = api.post(f"/api/v1/permit-applications/{app['id']}/decision",
                        json={"action": "approve", "version": app["version"]})
    api.login("hr@example.com", "demo-employer-pass")
    api.post("/api/v1/insurance-registrations", json={"notice_number": approved["notice_number"],
                                                      "family_name": family, "given_names": given,
                                                      "passport_number": passport})
    api.login("studio@example.com", "demo-studio-pass")
    receipt = api.post("/api/v1/photos", data={"family_name": family, "given_names": given,
                                               "passport_number": passport},
                       files={"file": ("me.jpg", jpeg_bytes(), "image/jpeg")})["receipt_number"]
    api.c.cookies.clear()
    r = api.c.post("/api/v1/accounts", json={"email": email, "password": password, "display_name": given})
    assert r.status_code == 202, r.text
    token = mail_to(email, containing="/signup/confirm/").split("/signup/confirm/")[1].split()[0]
    signup = api.post("/api/v1/accounts/confirm", json={"token": token})
    api.c.headers["X-CSRF-Token"] = signup["csrf_token"]
    api.post("/api/v1/me/permit-link", json={"family_name": family, "given_names": given,
                                             "permit_number": approved["permit_number"], "passport_number": passport})
    api.login(*CLERK)
    card_app = api.post("/api/v1/card-applications", json={
        "permit_number": approved["permit_number"], "family_name": family, "given_names": given,
        "passport_number": passport, "passport_checked": True, "photo_receipt": receipt, "channel": "instant"})
    card_app = api.post(f"/api/v1/card-applications/{card_app['id']}/produce-instant",
                        json={"version": card_app["version"]})
    card_app = api.post(f"/api/v1/card-applications/{card_app['id']}/hand-over",
                        json={"version": card_app["version"], "passport_number": passport})
    card = api.c.get(f"/api/v1/cards/{card_app['card_id']}").json()
    card = api.post(f"/api/v1/cards/{card['id']}/activate", json={"version": card["version"],
                                                                  "passport_number": passport})
    return {"api": api, "email": email, "password": password, "passport": passport, "card": card,
            "permit_number": approved["permit_number"], "name": f"{given} {family}"}


class Walk:
    def __init__(self, lang: str) -> None:
        self.lang, self.n = lang, 0

    def t(self, msgid: str, **params: Any) -> str:
        text = text_for(self.lang, msgid)
        return text % params if params else text

    def check(self, page: Any, step: str, *, mobile: bool = False) -> None:
        self.n += 1
        name = f"loss-{self.lang}-{self.n:02d}-{step}"
        shot(page, name)
        assert html_lang(page) == self.lang, f"{name}: not in {self.lang}"
        assert page.get_by_role("heading", name=self.t("Sorry, there is a problem with the service")).count() == 0
        assert_accessible(page, name)
        if mobile:
            size = page.viewport_size
            page.set_viewport_size(MOBILE)
            try:
                overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
                shot(page, f"{name}-375")
                assert_accessible(page, f"{name}-375")
                assert overflow <= 0, f"{name} at 375 px scrolls sideways by {overflow}px"
            finally:
                page.set_viewport_size(size)

    def error_state(self, page: Any, step: str) -> None:
        page.locator("[data-error-summary]").wait_for()
        assert page.title().startswith(self.t("Error:")), f"{step}: the title does not start with Error:"
        self.check(page, f"{step}-error")


def click(page: Any, name: str, *, role: str = "button") -> None:
    with page.expect_navigation() as nav:
        page.get_by_role("main").get_by_role(role, name=name, exact=True).click()
    assert nav.value is None or nav.value.status < 500, f"the server failed after '{name}' on {page.url}"


@pytest.mark.parametrize("lang", ["en", "zh-Hans"])
def test_loss_fee_replacement_old_card_invalid(browser: Any, live_server: str, lang: str) -> None:
    p = person_with_active_card(live_server, lang)
    w = Walk(lang)
    old = p["card"]
    worker = new_page(browser, live_server, lang)
    clerk = new_page(browser, live_server, lang)
    try:
        # the worker reports the loss online
        login(worker, p["email"], p["password"])
        worker.goto("/my")
        click(worker, w.t("Lost or damaged card"), role="link")
        w.check(worker, "worker-card", mobile=True)
        assert "20.00" in worker.get_by_role("main").inner_text()  # what a replacement costs, before anything
        click(worker, w.t("Report the card lost"))
        w.error_state(worker, "worker-report-loss")
        worker.get_by_label(w.t("My card is lost: suspend it now")).check()
        click(worker, w.t("Report the card lost"))
        w.check(worker, "worker-card-suspended", mobile=True)
        assert worker.get_by_role("button", name=w.t("Restore my card")).count() == 1
        worker.goto(f"/my/cards/{old['id']}/replace")
        w.check(worker, "worker-replace-form", mobile=True)
        assert "20.00" in worker.get_by_role("main").inner_text()  # the fee before applying

        # the clerk at the counter of an instant branch: find by passport, enter the replacement
        login(clerk, *CLERK)
        clerk.goto("/branch")
        click(clerk, w.t("Lost or damaged card"))
        w.check(clerk, "counter")
        click(clerk, w.t("Find the cards"))
        w.error_state(clerk, "counter")
        clerk.get_by_label(w.t("Work permit number")).fill(p["permit_number"])
        clerk.get_by_label(w.t("Passport number, from the passport shown")).fill(p["passport"])
        clerk.get_by_label(w.t("I have checked the original passport")).check()
        click(clerk, w.t("Find the cards"))
        w.check(clerk, "counter-cards", mobile=True)
        main = clerk.get_by_role("main").inner_text()
        assert old["card_number"] in main and w.t("Suspended") in main
        with clerk.expect_navigation():
            clerk.locator(f"form[action='/branch/counter/cards/{old['id']}/replace'] button[type=submit]").click()
        app_url = clerk.url
        assert "/branch/applications/" in app_url
        w.check(clerk, "branch-fee-due", mobile=True)
        click(clerk, w.t("Record the payment"))
        w.error_state(clerk, "branch-payment")
        clerk.get_by_label(w.t("WeChat Pay")).check()
        click(clerk, w.t("Record the payment"))
        w.check(clerk, "branch-receipt", mobile=True)
        receipt = clerk.locator(".panel-body strong").inner_text()
        assert receipt.startswith("PAY-")
        clerk.goto(app_url)
        click(clerk, w.t("Produce the card now"))
        clerk.get_by_label(w.t("Passport number, from the passport shown")).first.fill(p["passport"])
        click(clerk, w.t("Hand over the card"))
        w.check(clerk, "branch-new-card-handed-over")
        clerk.goto("/branch/fees")
        w.check(clerk, "fee-report", mobile=True)
        report = clerk.get_by_role("main").inner_text()
        assert receipt in report and "20.00" in report

        # the worker: the receipt, and the old card invalid for good
        worker.goto("/my")
        w.check(worker, "worker-home-after")
        worker.goto(f"/my/cards/{old['id']}")
        w.check(worker, "worker-old-card-invalid", mobile=True)
        assert w.t("This card is invalidated: it was replaced and can never be used again.") in \
            worker.get_by_role("main").inner_text()
        p["api"].login(*CLERK)
        check = p["api"].post("/api/v1/card-checks", json={"card_number": old["card_number"]})
        assert check["valid"] is False and check["state"] == "invalidated"
        apps = p["api"].c.get("/api/v1/card-applications", params={"q": p["permit_number"]}).json()["items"]
        replacement = next(a for a in apps if a["kind"] == "replacement")
        worker.goto(f"/my/applications/{replacement['id']}/receipt")
        w.check(worker, "worker-receipt", mobile=True)
        assert receipt in worker.get_by_role("main").inner_text()
    finally:
        worker.context.close()
        clerk.context.close()
