"""The e-card on a phone (375 px), in both languages: register → real-name verification (the code read
from the server's mail drop) → the e-card → its QR code renewing itself → the verification page opened
by someone else (another browser context). Screenshots: test-artifacts/screenshots/ecard-<lang>-*.png."""

from __future__ import annotations

import re
import secrets
import time
from datetime import date, timedelta
from email import message_from_bytes, policy
from typing import Any

import pytest

from tests.e2e.conftest import LIVE, MOBILE, assert_accessible, html_lang, login, new_page, shot, text_for

PASSWORD = "Phone-card7"


def _permit(browser: Any, base_url: str, family: str, given: str, passport: str) -> str:
    """The demo employer files a permit application and the demo officer (signed in with the second
    factor) approves it, both through the API with their browser sessions."""
    start = date(2026, 12, 10)
    employer = new_page(browser, base_url)
    officer = new_page(browser, base_url)
    try:
        login(employer, "hr@example.com", "demo-employer-pass")
        login(officer, "officer@example.com", "demo-officer-pass")
        token = employer.context.request.get("/api/v1/me").json()["csrf_token"]
        filed = employer.context.request.post("/api/v1/permit-applications", headers={"X-CSRF-Token": token}, data={
            "family_name": family, "given_names": given, "nationality": "DE", "birth_date": "1991-03-04", "sex": "F",
            "passport_number": passport, "passport_expiry_date": (start + timedelta(days=2500)).isoformat(),
            "position": "Quality engineer", "category": "B", "contract_start_date": start.isoformat(),
            "contract_end_date": (start + timedelta(days=1000)).isoformat(),
            "requested_end_date": (start + timedelta(days=700)).isoformat()})
        assert filed.status == 201, filed.text()
        app = filed.json()
        token = officer.context.request.get("/api/v1/me").json()["csrf_token"]
        decided = officer.context.request.post(f"/api/v1/permit-applications/{app['id']}/decision",
                                               headers={"X-CSRF-Token": token},
                                               data={"action": "approve", "reason": "", "version": app["version"]})
        assert decided.status == 200, decided.text()
        return str(decided.json()["permit_number"])
    finally:
        employer.context.close()
        officer.context.close()


def _code_for(email: str, timeout: float = 20) -> str:
    """The newest e-card code sent to ``email``, from the server's mail drop (the worker sends it)."""
    folder = LIVE["var_dir"] / "mail"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for path in sorted(folder.glob("*.eml"), reverse=True) if folder.exists() else []:
            mail = message_from_bytes(path.read_bytes(), policy=policy.default)
            if mail["To"] == email:
                match = re.search(r"\b(\d{6})\b", str(mail["Subject"]))
                if match:
                    return match.group(1)
        time.sleep(0.2)  # the outbox worker is another process: nothing in the browser to wait on
    pytest.fail(f"no e-card code reached {email} within {timeout}s")


def _check(page: Any, lang: str, step: str) -> None:
    shot(page, f"ecard-{lang}-{step}")
    assert html_lang(page) == lang
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"{step} at 375 px scrolls sideways by {overflow}px"
    assert_accessible(page, f"ecard-{lang}-{step}")


def _submit(page: Any) -> None:
    with page.expect_navigation():
        page.locator("main form button[type=submit]").first.click()


def test_register_verify_show_the_qr_and_check_it_elsewhere(make_page: Any, browser: Any, live_server: str,
                                                              lang: str) -> None:
    t = lambda msgid: text_for(lang, msgid)  # noqa: E731
    tag = secrets.token_hex(3).upper()
    family, given = ("Schneider-Wolff", "Anna Katharina") if lang == "en" else ("Hoffmann", "Lena Sophie")
    passport = f"C{tag}{secrets.randbelow(10**4):04d}"
    email = f"anna.{tag.lower()}.{lang.lower()}@example.com"
    permit_number = _permit(browser, live_server, family, given, passport)

    phone = make_page(lang, MOBILE)
    phone.clock.install()  # the QR code's renewal timer runs on a clock the test moves
    phone.goto("/ecard/register")
    _check(phone, lang, "01-register")
    _submit(phone)  # empty: every field says what is missing
    phone.locator("[data-error-summary]").wait_for()
    assert phone.title().startswith(t("Error:"))
    _check(phone, lang, "02-register-error")

    phone.locator("#given_names").fill(given)
    phone.locator("#family_name").fill(family)
    phone.locator("#number_kind").check()
    phone.locator("#number").fill(permit_number)
    phone.locator("#passport_number").fill(passport)
    phone.locator("#email").fill(email)
    phone.locator("#password").fill(PASSWORD)
    phone.locator("#password_again").fill(PASSWORD)
    _submit(phone)
    assert "/ecard/verify" in phone.url
    assert t("Enter the code we sent you") in phone.locator("h1").inner_text()
    _check(phone, lang, "03-code")

    phone.locator("#code").fill(_code_for(email))
    _submit(phone)
    assert phone.url.endswith("/ecard")
    main = phone.get_by_role("main")
    assert f"{given} {family}" in main.inner_text() and permit_number in main.inner_text()
    assert t("You have no social security card yet. Apply for one under “My card”; the e-card services start "
             "when you have received it.") in main.inner_text()
    assert passport not in phone.content()
    qr = phone.locator("#ecard-qr svg")
    assert qr.is_visible() and qr.bounding_box()["width"] <= MOBILE["width"]
    _check(phone, lang, "04-ecard")

    first_link = phone.locator("#ecard-qr-link").get_attribute("href")
    phone.clock.run_for(55_000)  # 10 s before the 60-second code expires, the page fetches a new one
    phone.locator("#ecard-qr[data-token]").wait_for()
    renewed = phone.locator("#ecard-qr-link").get_attribute("href")
    assert renewed and renewed != first_link and phone.url.endswith("/ecard")  # no reload
    _check(phone, lang, "05-ecard-renewed")

    checker = make_page("zh-Hans" if lang == "en" else "en", MOBILE)  # someone else, in the other language
    checker_lang = "zh-Hans" if lang == "en" else "en"
    checker.goto(renewed)
    text = checker.get_by_role("main").inner_text()
    assert text_for(checker_lang, "E-card confirmed") in text and f"{given} {family}" in text
    assert passport not in checker.content() and permit_number not in checker.content()
    shot(checker, f"ecard-{lang}-06-verification-{checker_lang}")
    assert_accessible(checker, "verification page")

    head, body, sig = renewed.rsplit("/", 1)[1].split(".")
    forged = sig[:20] + ("B" if sig[20] != "B" else "C") + sig[21:]  # in the middle: the last character
    checker.goto(f"/verify/{head}.{body}.{forged}")  # carries padding bits a decoder may ignore
    assert checker.locator("#reason").get_attribute("data-reason") == "tampered"
    shot(checker, f"ecard-{lang}-07-verification-refused-{checker_lang}")
    assert_accessible(checker, "refused verification page")
