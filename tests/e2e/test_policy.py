"""The administrator's rules per city in a real browser, in both languages: readable at 1280 and
375 px, accessible, errors focused and linked, a planned value shown after saving."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from playwright.sync_api import expect

from tests.e2e.conftest import DESKTOP, MOBILE, assert_accessible, html_lang, login, shot, text_for

ADMIN = ("admin@example.com", "demo-admin-pass")


def test_admin_plans_a_rule_from_a_date(make_page: Callable[..., Any], lang: str) -> None:
    page = make_page(lang, DESKTOP)
    login(page, *ADMIN)
    page.get_by_role("link", name=text_for(lang, "Rules per city")).first.click()
    page.wait_for_url("**/admin/policy/4419")
    assert html_lang(page) == lang
    expect(page.get_by_role("heading", level=1)).to_have_text(text_for(lang, "Rules for %(city)s")
                                                              .replace("%(city)s", "东莞" if lang == "zh-Hans"
                                                                       else "Dongguan"))
    shot(page, f"policy-{lang}-city")
    assert_accessible(page, f"rules per city ({lang})")

    # A date in the past is refused; the summary is focused and leads to the date.
    page.get_by_label(text_for(lang, "Rule")).select_option("ecard_qr_seconds")
    page.get_by_label(text_for(lang, "New value")).fill("90")
    page.locator("#effective_from").fill("1")
    page.locator("#effective_from-month").fill("1")
    page.locator("#effective_from-year").fill("2020")
    page.get_by_role("button", name=text_for(lang, "Save the new value")).click()
    page.locator("[data-error-summary]").wait_for()
    expect(page.locator("[data-error-summary]")).to_be_focused()
    assert page.title().startswith(text_for(lang, "Error:"))
    assert page.get_by_label(text_for(lang, "New value")).input_value() == "90"
    shot(page, f"policy-{lang}-error")
    assert_accessible(page, f"rules per city, error ({lang})")

    # From a later date: saved, shown as planned, today's value unchanged.
    page.locator("#effective_from-year").fill("2031")
    page.get_by_role("button", name=text_for(lang, "Save the new value")).click()
    page.get_by_role("status").wait_for()
    row = page.get_by_role("row", name=text_for(lang, "Lifetime of the e-card QR code (seconds)"))
    assert "90" in row.inner_text() and "60" in row.inner_text() and "2031" in row.inner_text()

    page.set_viewport_size(MOBILE)
    shot(page, f"policy-{lang}-375")
    assert_accessible(page, f"rules per city at 375 px ({lang})")
