"""A city brings people in, in a real browser and in both languages: an employer registers, a permit
officer approves it, its HR invites a colleague who files a permit application; the administrator
invites a bank clerk, who sets up the second factor and signs in with it."""

from __future__ import annotations

import re
import secrets
from typing import Any

from tests.e2e.conftest import (
    _TOTP_SCOPE,
    SCREENSHOTS,
    assert_accessible,
    html_lang,
    login,
    logout,
    mail_to,
    new_page,
    page_routes,
    shot,
)
from tests.e2e.test_journey import Journey, click, file_permit_application, main_text, workers_for
from tests.factories import totp_code
from tests.permit_factories import _valid_uscc

PASSWORD = "amber kites over the river"


class Onboarding(Journey):
    """The journey's helpers, with its own numbered screenshots (onboarding-<flow>-<lang>-NN-step)."""

    def __init__(self, lang: str, browser: Any, base_url: str, flow: str) -> None:
        self.lang, self.browser, self.base_url, self.flow = lang, browser, base_url, flow
        self.n = 0
        self.pages: dict[str, Any] = {}
        self.routes = page_routes()
        for old in SCREENSHOTS.glob(f"onboarding-{flow}-{lang}-*.png"):
            old.unlink()

    def check(self, page: Any, step: str, *, axe: bool = True) -> None:
        self.n += 1
        name = f"onboarding-{self.flow}-{self.lang}-{self.n:02d}-{step}"
        shot(page, name)
        assert html_lang(page) == self.lang, f"{name}: the page is not in {self.lang}"
        assert not page.get_by_role("heading", name=self.t("Sorry, there is a problem with the service")).count()
        if axe:
            assert_accessible(page, name)


def _link(mail: str, path: str) -> str:
    match = re.search(rf"https?://[^/\s]+({path}/[A-Za-z0-9_=-]+)", mail)
    assert match, mail
    return match.group(1)


def test_employer_registers_is_approved_and_a_colleague_files(browser: Any, live_server: str, lang: str) -> None:
    j = Onboarding(lang, browser, live_server, "employer")
    tag = secrets.token_hex(3)
    code = _valid_uscc(secrets.randbelow(10**9))
    name_en = f"Songshan Lake Optics {tag.upper()} Co., Ltd."
    first_hr, colleague = f"gao.{tag}@example.com", f"tan.{tag}@example.com"
    try:
        hr = j.page("hr")
        hr.goto("/")
        click(hr, j.t("Register your organisation as an employer"), role="link")
        j.check(hr, "register-form")
        click(hr, j.t("Register"))
        assert hr.get_by_role("alert").is_visible()
        j.check(hr, "register-errors")
        hr.locator("#uscc").fill(code)
        hr.locator("#name_en").fill(name_en)
        hr.locator("#name_zh").fill(f"松山湖光学{tag}有限公司")
        hr.locator("#address").fill("1 Science Avenue, Songshan Lake, Dongguan")
        hr.locator("#contact_name").fill("Gao Lin")
        hr.locator("#contact_phone").fill("+86 769 1234 5678")
        hr.locator("#email").fill(first_hr)
        hr.locator("#password").fill(PASSWORD)
        click(hr, j.t("Register"))
        assert hr.url.endswith("/employers/register/sent"), hr.url
        assert j.t("Check your e-mail") in main_text(hr)
        j.check(hr, "register-sent")
        # Nothing is registered until the e-mailed link is opened (the same answer for a taken address).
        hr.goto(_link(mail_to(first_hr, containing="/employers/register/confirm/"), "/employers/register/confirm"))
        j.check(hr, "register-confirm")
        click(hr, j.t("Send the registration"))
        assert hr.url.endswith("/employer?registered=1"), hr.url
        assert j.t("Your registration is waiting for review") in main_text(hr)
        j.check(hr, "employer-waiting")

        officer = j.staff("officer", "officer@example.com", "demo-officer-pass")
        assert officer.url.endswith("/officer"), officer.url
        assert j.t("Employer registrations waiting for review") in main_text(officer)
        j.check(officer, "officer-home")
        officer.goto("/officer/employers")
        j.check(officer, "officer-registrations")
        row = officer.get_by_role("row").filter(has_text=code)
        with officer.expect_navigation():
            row.get_by_role("link").click()
        j.check(officer, "officer-registration")
        officer.get_by_label(j.t("Approve the employer"), exact=True).check()
        click(officer, j.t("Save decision"))
        assert j.t("Decision saved. The employer has been told by e-mail.") in main_text(officer)
        assert "ER-" in mail_to(first_hr, containing="ER-")  # the decision, e-mailed to the first HR account

        hr.goto("/employer")
        assert j.t("What needs doing now") in main_text(hr)
        j.check(hr, "employer-approved-home")
        hr.goto("/employer/colleagues")
        hr.locator("#display_name").fill("Tan Mei")
        hr.locator("#email").fill(colleague)
        click(hr, j.t("Send invitation"))
        assert j.t("Invitation sent. The link in it works once and for 7 days.") in main_text(hr)
        j.check(hr, "colleague-invited")

        link = _link(mail_to(colleague), "/invitations")
        tan = j.page("employer")
        tan.goto(link)
        j.check(tan, "invitation")
        tan.locator("#password").fill(PASSWORD)
        tan.locator("#confirm").fill(PASSWORD)
        click(tan, j.t("Create account"))
        assert tan.url.endswith("/employer"), tan.url
        worker, _other = workers_for(lang)
        worker.birth = (worker.birth[0], worker.birth[1], worker.birth[2] - 7)  # not the journey's worker
        application_id = file_permit_application(j, worker, first=False)
        assert application_id > 0

        hr.goto("/employer")
        activity = main_text(hr)
        assert "Tan Mei" in activity and j.t("Filed a work permit application") in activity
        j.check(hr, "team-activity")
    finally:
        j.close()


def test_admin_invites_a_bank_clerk_who_enrols_and_signs_in(browser: Any, live_server: str, lang: str) -> None:
    j = Onboarding(lang, browser, live_server, "staff")
    clerk_email = f"qian.{secrets.token_hex(3)}@example.com"
    try:
        admin = j.staff("admin", "admin@example.com", "demo-admin-pass")
        assert admin.url.endswith("/admin"), admin.url
        j.check(admin, "admin-home")
        admin.goto("/admin/accounts")
        j.check(admin, "admin-accounts")
        click(admin, j.t("Invite a staff member"), role="button")
        click(admin, j.t("Send invitation"))
        j.check(admin, "invite-errors")
        admin.locator("#display_name").fill("Qian Bo")
        admin.locator("#email").fill(clerk_email)
        admin.get_by_label(j.t("Bank clerk"), exact=True).check()
        admin.locator("#branch_id").select_option(index=1)
        click(admin, j.t("Send invitation"))
        assert clerk_email in main_text(admin)

        clerk = new_page(browser, live_server, lang)
        j.pages["clerk"] = clerk
        clerk.goto(_link(mail_to(clerk_email), "/invitations"))
        clerk.locator("#password").fill(PASSWORD)
        clerk.locator("#confirm").fill(PASSWORD)
        click(clerk, j.t("Create account"))
        assert "/account/second-factor" in clerk.url, clerk.url
        j.check(clerk, "second-factor-setup")
        secret = clerk.locator("#secret").inner_text().strip()
        clerk.locator("#code").fill("000000")
        click(clerk, j.t("Continue"))
        j.check(clerk, "second-factor-wrong-code")
        clerk.locator("#code").fill(totp_code(clerk_email, secret=secret, scope=_TOTP_SCOPE))
        click(clerk, j.t("Continue"))
        assert "/account/recovery-codes" in clerk.url, clerk.url
        assert len(clerk.locator("#recovery-codes li").all()) == 10
        j.check(clerk, "recovery-codes")
        click(clerk, j.t("I have kept my recovery codes"))
        assert clerk.url.endswith("/branch"), clerk.url

        logout(clerk)
        clerk.goto("/login")
        clerk.locator("#email").fill(clerk_email)
        clerk.locator("#password").fill(PASSWORD)
        click(clerk, j.t("Sign in"))
        assert "/login/code" in clerk.url
        j.check(clerk, "sign-in-code")
        login(clerk, clerk_email, PASSWORD, secret=secret)
        assert clerk.url.endswith("/branch"), clerk.url
        j.check(clerk, "clerk-branch-after-code")
    finally:
        j.close()
