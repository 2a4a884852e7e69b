"""Forms in a real browser: Post/Redirect/Get (reload and Back never send a form again; the same form
sent twice files one application), Back and reload after a form shown with errors (the typed values
and the errors again, never "Confirm form resubmission") and the language switch on a page shown after
a POST (the typed values and the errors come back in the other language, never an error page)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from playwright.sync_api import expect

from tests.e2e.conftest import DESKTOP, MOBILE, assert_accessible, login, shot, text_for


def _date(page: Any, lang: str, legend: str, day: int, month: int, year: int) -> None:
    group = page.get_by_role("group", name=text_for(lang, legend))
    group.get_by_label(text_for(lang, "Day"), exact=True).fill(str(day))
    group.get_by_label(text_for(lang, "Month"), exact=True).fill(str(month))
    group.get_by_label(text_for(lang, "Year"), exact=True).fill(str(year))


def _fill_permit_form(page: Any, lang: str, family: str) -> None:
    t = lambda m: text_for(lang, m)  # noqa: E731
    page.get_by_label(t("Given names"), exact=True).fill("AMARA")
    page.get_by_label(t("Family name"), exact=True).fill(family)
    page.get_by_label(t("Nationality"), exact=True).select_option("NG")
    _date(page, lang, "Date of birth", 4, 5, 1990)
    page.get_by_role("radio", name=t("Female"), exact=True).check()
    page.get_by_label(t("Passport number"), exact=True).fill("A" + uuid.uuid4().hex[:7].upper())
    _date(page, lang, "Passport expiry date", 31, 12, 2034)
    page.get_by_label(t("Position (job title)"), exact=True).fill("Process engineer")
    page.get_by_role("radio", name=t("Category B: professional")).check()
    _date(page, lang, "Contract start date", 1, 12, 2026)
    _date(page, lang, "Contract end date", 30, 11, 2028)
    _date(page, lang, "Permit valid until", 30, 11, 2028)


def _submit(page: Any, name: str) -> Any:
    with page.expect_navigation() as nav:
        page.get_by_role("main").get_by_role("button", name=name, exact=True).click()
    return nav.value


def test_sending_reloading_and_going_back_files_one_application(make_page: Callable[..., Any], lang: str) -> None:
    t = lambda m: text_for(lang, m)  # noqa: E731
    page = make_page(lang)
    login(page, "hr@example.com", "demo-employer-pass")
    # names are passport letters only
    family = ("PRG" + uuid.uuid4().hex[:6].upper()).translate(str.maketrans("0123456789", "GHJKLMNPQR"))
    page.goto("/employer/permits/new")
    _fill_permit_form(page, lang, family)
    _submit(page, t("Continue"))
    assert "/employer/permits/new/check?draft=" in page.url  # check your answers is a GET page
    page.reload()  # a GET: no "Confirm form resubmission"
    expect(page.get_by_role("main")).to_contain_text(family)
    page.get_by_role("main").get_by_role("checkbox").check()
    _submit(page, t("Send application"))
    assert page.url.endswith("/sent"), page.url
    sent_url = page.url
    page.reload()  # the confirmation is a GET page too
    assert page.url == sent_url
    shot(page, f"prg-sent-{lang}")
    page.go_back()  # Back: the check page is gone once sent, the form starts afresh
    page.wait_for_load_state()
    assert page.url.endswith("/employer/permits/new"), page.url
    page.goto(f"/employer/permits?q={family}")
    expect(page.get_by_role("main").locator("tbody tr", has_text=family)).to_have_count(1)


def test_language_switch_after_a_post_keeps_what_was_typed_and_the_errors(
        make_page: Callable[..., Any], lang: str) -> None:
    other = "en" if lang == "zh-Hans" else "zh-Hans"
    for width, viewport in (("1280", DESKTOP), ("375", MOBILE)):
        page = make_page(lang, viewport)
        login(page, "hr@example.com", "demo-employer-pass")
        page.goto("/employer/permits/new")
        page.get_by_label(text_for(lang, "Family name"), exact=True).fill("OKONKWO-ADEYEMI")
        page.get_by_label(text_for(lang, "Passport number"), exact=True).fill("B7654321")
        response = _submit(page, text_for(lang, "Continue"))
        assert response.status == 422  # shown for a POST; in the history, the form's GET page with its draft
        page.wait_for_url("**/employer/permits/new?draft=*")
        switcher = page.get_by_role("navigation", name=text_for(lang, "Language"))
        with page.expect_navigation() as nav:
            switcher.get_by_role("button", name="简体中文" if other == "zh-Hans" else "English").click()
        assert nav.value.status == 200, nav.value.status  # never an error page
        assert page.locator("html").get_attribute("lang") == other
        assert "/employer/permits/new?draft=" in page.url
        assert page.get_by_label(text_for(other, "Family name"), exact=True).input_value() == "OKONKWO-ADEYEMI"
        assert page.get_by_label(text_for(other, "Passport number"), exact=True).input_value() == "B7654321"
        summary = page.locator("[data-error-summary]")
        expect(summary).to_be_visible()
        expect(summary).to_contain_text(text_for(other, "There is a problem"))
        shot(page, f"lang-switch-after-post-{lang}-to-{other}-{width}")
        assert_accessible(page, f"form with errors after the language switch ({other}, {width})")
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0


def test_back_and_reload_after_a_form_with_errors_show_what_was_typed_and_the_errors(
        make_page: Callable[..., Any], lang: str) -> None:
    t = lambda m: text_for(lang, m)  # noqa: E731
    page = make_page(lang)
    login(page, "hr@example.com", "demo-employer-pass")
    page.goto("/employer/insurance/new")
    page.get_by_label(t("Notice number"), exact=True).fill("abc!!")
    response = _submit(page, t("Continue"))
    assert response.status == 422
    page.wait_for_url("**/employer/insurance/new?draft=*")
    page.reload()  # no "Confirm form resubmission": the same values and errors
    assert page.get_by_label(t("Notice number"), exact=True).input_value() == "abc!!"
    expect(page.locator("[data-error-summary]")).to_be_visible()
    page.goto("/employer")
    response = page.go_back()  # net::ERR_CACHE_MISS before
    assert response is not None and response.status == 200
    assert page.get_by_label(t("Notice number"), exact=True).input_value() == "abc!!"
    expect(page.locator("[data-error-summary]")).to_contain_text(t("There is a problem"))
    shot(page, f"back-after-errors-{lang}")
    other = "en" if lang == "zh-Hans" else "zh-Hans"
    switcher = page.get_by_role("navigation", name=t("Language"))
    with page.expect_navigation():
        switcher.get_by_role("link", name="简体中文" if other == "zh-Hans" else "English").click()
    assert page.locator("html").get_attribute("lang") == other  # the switch after Back keeps both too
    assert page.get_by_label(text_for(other, "Notice number"), exact=True).input_value() == "abc!!"
    expect(page.locator("[data-error-summary]")).to_contain_text(text_for(other, "There is a problem"))
    page.get_by_label(text_for(other, "Notice number"), exact=True).fill("")  # and the form still sends
    response = _submit(page, text_for(other, "Continue"))
    assert response.status == 422
