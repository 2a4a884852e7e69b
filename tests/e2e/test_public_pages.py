"""The pages anyone can open, in both languages, in a real browser: accessible, switchable, keyboard-usable."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import DESKTOP, MOBILE, assert_accessible, html_lang, shot, text_for

HTML_LANG = {"en": "en", "zh-Hans": "zh-Hans"}


def _sign_in_wrong_password(page: Any, lang: str, email: str = "") -> None:
    # An address of its own each time: five wrong passwords for one account make it wait (the throttle).
    page.goto("/login")
    page.get_by_label(text_for(lang, "E-mail address")).fill(email or f"hr-{secrets.token_hex(4)}@example.com")
    page.get_by_label(text_for(lang, "Password")).fill("not-the-password")
    page.get_by_role("main").get_by_role("button", name=text_for(lang, "Sign in"), exact=True).click()
    page.locator("[data-error-summary]").wait_for()


def _sign_up_empty(page: Any, lang: str) -> None:
    page.goto("/signup")
    page.get_by_role("button", name=text_for(lang, "Create account")).click()
    page.locator("[data-error-summary]").wait_for()


VIEWS: dict[str, Callable[[Any, str], object]] = {
    "start": lambda page, lang: page.goto("/"),
    "sign-in": lambda page, lang: page.goto("/login"),
    "sign-in-error": _sign_in_wrong_password,
    "sign-up": lambda page, lang: page.goto("/signup"),
    "sign-up-error": _sign_up_empty,
    "branches": lambda page, lang: page.goto("/branches"),
}


@pytest.mark.parametrize("view", list(VIEWS))
def test_public_page_has_no_accessibility_violations(make_page: Callable[..., Any], lang: str, view: str) -> None:
    for width, viewport in (("desktop", DESKTOP), ("375", MOBILE)):
        page = make_page(lang, viewport)
        VIEWS[view](page, lang)
        assert html_lang(page) == HTML_LANG[lang]
        shot(page, f"public-{lang}-{view}-{width}")
        assert_accessible(page, f"{view} ({lang}, {width})")
        # Nothing wider than the screen: no sideways scrolling on a phone.
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{view} at {width}px scrolls sideways by {overflow}px"


def test_wrong_password_shows_a_focused_error_summary_and_keeps_the_email(page: Any, lang: str) -> None:
    email = f"hr-{secrets.token_hex(4)}@example.com"
    _sign_in_wrong_password(page, lang, email)
    summary = page.locator("[data-error-summary]")
    assert summary.get_by_role("heading").inner_text() == text_for(lang, "There is a problem")
    assert text_for(lang, "The e-mail address or password is not right") in summary.inner_text()
    expect(page.locator("[data-error-summary]")).to_be_focused()  # no string eval: the CSP forbids it
    assert page.title().startswith(text_for(lang, "Error:"))
    assert page.get_by_label(text_for(lang, "E-mail address")).input_value() == email
    assert page.get_by_label(text_for(lang, "Password")).input_value() == ""
    # The summary's entry takes you to the field to correct.
    summary.get_by_role("link").first.click()
    assert page.evaluate("document.activeElement.id") == "email"


def test_sign_up_errors_keep_what_was_typed(page: Any, lang: str) -> None:
    page.goto("/signup")
    page.get_by_label(text_for(lang, "Your name")).fill("Maria Fernanda García López")
    page.get_by_label(text_for(lang, "E-mail address")).fill("maria.garcia@example.com")
    page.get_by_label(text_for(lang, "Create a password")).fill("short")
    page.get_by_role("button", name=text_for(lang, "Create account")).click()
    page.locator("[data-error-summary]").wait_for()
    assert page.title().startswith(text_for(lang, "Error:"))
    expect(page.locator("[data-error-summary]")).to_be_focused()  # no string eval: the CSP forbids it
    # The password field is marked; the name and e-mail are as typed.
    assert page.locator("#password-error").is_visible()
    assert page.get_by_label(text_for(lang, "Your name")).input_value() == "Maria Fernanda García López"
    assert page.get_by_label(text_for(lang, "E-mail address")).input_value() == "maria.garcia@example.com"


def test_language_switcher_keeps_you_on_the_same_page(make_page: Callable[..., Any]) -> None:
    page = make_page("en", cookie=False)
    page.goto("/login?next=%2Fmy")
    assert html_lang(page) == "en"
    switcher = page.get_by_role("navigation", name="Language")
    to_zh = switcher.get_by_role("link", name="简体中文")
    assert to_zh.get_attribute("lang") == "zh-Hans"
    assert to_zh.get_attribute("hreflang") == "zh-Hans"
    to_zh.click()
    page.wait_for_url("**/login?next=%2Fmy")
    assert html_lang(page) == "zh-Hans"
    assert page.get_by_role("heading", level=1).inner_text() == text_for("zh-Hans", "Sign in")
    # The current language is shown, not linked; the other one is a link in its own language.
    switcher = page.get_by_role("navigation", name=text_for("zh-Hans", "Language"))
    assert switcher.get_by_role("link", name="简体中文").count() == 0
    to_en = switcher.get_by_role("link", name="English")
    assert to_en.get_attribute("lang") == "en"
    assert to_en.get_attribute("hreflang") == "en"
    # The choice sticks: the next page is in Chinese too.
    page.goto("/branches")
    assert html_lang(page) == "zh-Hans"
    to_en = page.get_by_role("navigation", name=text_for("zh-Hans", "Language")).get_by_role("link", name="English")
    to_en.click()
    page.wait_for_url("**/branches")
    assert html_lang(page) == "en"
    assert page.get_by_role("heading", level=1).inner_text() == "Where to apply for your card"


@pytest.mark.parametrize(("accept", "expected"), [("zh-CN,zh;q=0.9,en;q=0.5", "zh-Hans"),
                                                  ("en-US,en;q=0.9", "en"),
                                                  ("fr-FR,zh;q=0.8,en;q=0.5", "zh-Hans")])
def test_browser_language_chooses_the_page_language(make_page: Callable[..., Any], accept: str,
                                                    expected: str) -> None:
    page = make_page("en", cookie=False, accept_language=accept)
    page.goto("/")
    assert html_lang(page) == expected
    assert page.get_by_role("heading", level=1).inner_text() == text_for(
        expected, "Apply for a social security card with your work permit")


def test_skip_link_is_the_first_tab_stop_and_moves_focus_to_main(page: Any, lang: str) -> None:
    page.goto("/branches")
    page.keyboard.press("Tab")
    focused = page.locator(":focus")
    assert focused.inner_text() == text_for(lang, "Skip to main content")
    box = focused.bounding_box()
    assert box is not None and box["x"] >= 0 and box["y"] >= 0, "the skip link is off screen when focused"
    page.keyboard.press("Enter")
    expect(page.locator("#main")).to_be_focused()


def test_keyboard_only_sign_in(page: Any, lang: str) -> None:
    """Tab through the sign-in page, type, press Enter: signed in, with no mouse."""
    page.goto("/login?next=%2F")
    page.keyboard.press("Tab")  # skip link
    for _ in range(12):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "email":
            break
    else:
        pytest.fail("the e-mail field cannot be reached with the Tab key")
    page.keyboard.type("worker@example.com")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "password"
    page.keyboard.type("demo-worker-pass")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "/login" not in page.url
    assert page.get_by_role("button", name=text_for(lang, "Sign out")).count() == 1
    assert page.get_by_role("button", name=text_for(lang, "Continue to your account")).count() == 1
