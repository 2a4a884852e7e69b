"""The auditor in a real browser: a failed sign-in is in the log, and its entry opens to what was
recorded, in both languages, accessibly, at desktop and phone widths."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from playwright.sync_api import expect

from tests.e2e.conftest import DESKTOP, MOBILE, assert_accessible, login, shot, text_for


def test_the_auditor_opens_a_security_event_and_an_entry_with_its_before_and_after(
        make_page: Callable[..., Any], lang: str) -> None:
    stranger = make_page(lang)
    stranger.goto("/login")
    stranger.locator("#email").fill("agency@example.com")
    stranger.locator("#password").fill("not-the-password")
    stranger.locator("main form[action='/login'] button[type=submit]").click()
    stranger.locator("[data-error-summary]").wait_for()

    for width, viewport in (("desktop", DESKTOP), ("375", MOBILE)):
        page = make_page(lang, viewport)
        login(page, "auditor@example.com", "demo-auditor-pass")
        page.goto("/audit?action=security")
        # Rows name actions and records in the reader's language; each row opens to its entry.
        sep = "：" if lang == "zh-Hans" else ": "
        action = f"{text_for(lang, 'Security')}{sep}{text_for(lang, 'sign-in failed')}"
        row = page.locator("tbody tr", has_text=action).first
        expect(row).to_contain_text("agency@example.com")
        assert "security.sign_in_failed" not in page.locator("main").inner_text()
        row.get_by_role("link", name=action).click()
        expect(page.get_by_role("heading", level=1)).to_contain_text(text_for(lang, "Audit entry %(id)s")
                                                                     .split("%")[0].strip())
        expect(page.get_by_text(text_for(lang, "This entry is exactly as it was written: its MAC is valid."),
                                exact=False)).to_be_visible()
        expect(page.get_by_text(text_for(lang, "Beijing time (UTC+08:00)"), exact=False)).to_be_visible()
        shot(page, f"audit-entry-{lang}-{width}")
        assert_accessible(page, f"audit entry ({lang}, {width})")

        page.goto("/audit?action=user")
        created = f"{text_for(lang, 'User account')}{sep}{text_for(lang, 'created')}"
        page.locator("tbody tr", has_text=created).first.get_by_role("link", name=created).click()
        expect(page.get_by_role("heading", level=2, name=text_for(lang, "Before and after"))).to_be_visible()
        expect(page.locator("table.audit-diff tr.changed").first).to_be_visible()

        page.goto("/audit")
        page.get_by_role("link", name=text_for(lang, "Verify the whole log")).click()
        intact = text_for(lang, "The log is intact: %(num)s entries verified, %(sealed)s of them sealed in "
                                "%(seals)s signed seals.")
        expect(page.get_by_role("status")).to_contain_text(intact.split("%")[0].strip())
        assert_accessible(page, f"audit log verified ({lang}, {width})")
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"the audit log at {width}px scrolls sideways by {overflow}px"
