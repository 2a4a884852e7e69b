"""The whole journey in a real browser, once in each language, through both channels.

Employer files a permit application → officer approves → employer opens the Foreign Work Permit
Notice, whose QR code leads to the public check → employer registers the worker for social
insurance (SSN) → a photo studio uploads the card photo (receipt number) → then

* paper/online: the worker signs up, links the permit, applies online for collection at CCB
  Dongguan Branch; the agency approves; the worker sees the promised date (12 working days after
  27 November 2026 = 15 December 2026); the CCB clerk confirms receipt, hands the card over after
  checking the passport, activates it; the worker sees the active card and its face;
* instant: a second worker; the Guangfa main-branch clerk enters the paper form, produces and
  issues the card the same day, hands it over, activates it; the worker sees it too.

Every page is screenshotted (test-artifacts/screenshots/journey-<lang>-<nn>-<step>.png) and checked
with axe, and every form's error state (sent empty) too. A step whose page does not exist yet is
marked xfail naming the missing route, so it shows in the report instead of passing silently.
"""

from __future__ import annotations

import io
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.e2e.conftest import (
    MOBILE,
    SCREENSHOTS,
    assert_accessible,
    html_lang,
    login,
    mail_to,
    new_page,
    page_routes,
    shot,
    signed,
    text_for,
)

PROMISED = {"en": "15 December 2026", "zh-Hans": "2026年12月15日"}  # 12 working days after 2026-11-27


@dataclass
class Worker:
    given_names: str
    family_name: str
    nationality: str  # ISO 3166 alpha-2
    birth: tuple[int, int, int]  # day, month, year
    sex: str  # "F" | "M"
    position: str
    passport: str = ""
    email: str = ""
    password: str = "Journey-pass-2026"
    permit_number: str = ""
    notice_number: str = ""
    ssn: str = ""
    receipt: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def full_name(self) -> str:
        return f"{self.given_names} {self.family_name}"

    @property
    def mrz_family(self) -> str:
        """The family name as the registry keeps it: the passport's MRZ letters (García López -> GARCIA LOPEZ)."""
        from permitcard.shared.names import passport_name

        return passport_name(self.family_name) or self.family_name

    @property
    def mrz_given(self) -> str:
        from permitcard.shared.names import passport_name

        return passport_name(self.given_names) or self.given_names


def workers_for(lang: str) -> tuple[Worker, Worker]:
    tag = secrets.token_hex(3).upper()
    if lang == "en":
        paper = Worker("Maria Fernanda", "García López", "ES", (14, 5, 1990), "F", "Senior Quality Engineer")
        instant = Worker("Jean-Baptiste Alexandre", "Dubois-Lefèvre", "FR", (2, 11, 1985), "M",
                         "Production Line Automation Manager")
    else:
        paper = Worker("Aleksandr Vladimirovich", "Kuznetsov-Sokolov", "RU", (23, 2, 1988), "M",
                       "模具设计工程师")
        instant = Worker("Siti Nurhaliza Binti", "Abdul Rahman", "MY", (9, 8, 1992), "F", "国际贸易专员")
    for i, w in enumerate((paper, instant)):
        w.passport = f"P{tag}{i}{secrets.randbelow(10**5):05d}"
        w.email = f"{w.given_names.split()[0].lower()}.{tag.lower()}{i}@example.com"
    return paper, instant


class Journey:
    """One language's walk: numbered screenshots, axe on every page, xfail for missing routes."""

    def __init__(self, lang: str, browser: Any, base_url: str) -> None:
        self.lang = lang
        self.browser = browser
        self.base_url = base_url
        self.n = 0
        self.pages: dict[str, Any] = {}
        self.routes = page_routes()
        for old in SCREENSHOTS.glob(f"journey-{lang}-*.png"):  # numbering changes as steps are added
            old.unlink()

    def t(self, msgid: str) -> str:
        return text_for(self.lang, msgid)

    def need(self, *routes: str) -> None:
        """Each of ``"GET /path/{}"``: xfail this run at this step if the route is not there yet."""
        for spec in routes:
            method, path = spec.split(" ", 1)
            if (method, path) not in self.routes:
                pytest.xfail(f"step {self.n + 1}: route {method} {path} does not exist yet")

    def page(self, who: str) -> Any:
        if who not in self.pages:
            self.pages[who] = new_page(self.browser, self.base_url, self.lang)
        return self.pages[who]

    def staff(self, who: str, email: str, password: str) -> Any:
        fresh = who not in self.pages
        page = self.page(who)
        if fresh:
            login(page, email, password)
        return page

    def check(self, page: Any, step: str, *, axe: bool = True) -> None:
        """Screenshot (numbered) and axe; the page must be in the journey's language, and no 500."""
        self.n += 1
        name = f"journey-{self.lang}-{self.n:02d}-{step}"
        shot(page, name)
        assert html_lang(page) == self.lang, f"{name}: the page is not in {self.lang}"
        assert not page.get_by_role("heading", name=self.t("Sorry, there is a problem with the service")).count(), \
            f"{name}: the server failed"
        if axe:
            assert_accessible(page, name)

    def check_mobile(self, page: Any, step: str) -> None:
        """The same page at 375 px: screenshot, axe, and nothing wider than the screen."""
        size = page.viewport_size
        page.set_viewport_size(MOBILE)
        try:
            overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
            self.check(page, f"{step}-375")
            assert overflow <= 0, f"{step} at 375 px scrolls sideways by {overflow}px"
        finally:
            page.set_viewport_size(size)

    def error_state(self, page: Any, step: str, submit: Callable[[], Any]) -> None:
        """Send the form as it is (empty): an error summary, focused, `Error:` title; then axe."""
        submit()
        summary = page.locator("[data-error-summary]")
        summary.wait_for()
        assert page.title().startswith(self.t("Error:")), f"{step}: the title does not start with Error:"
        assert summary.get_by_role("link").count() >= 1, f"{step}: the error summary links to no field"
        self.check(page, f"{step}-error")

    def close(self) -> None:
        for p in self.pages.values():
            p.context.close()


# --------------------------------------------------------------------------- form helpers

def fill_date(page: Any, j: Journey, legend: str, day: int, month: int, year: int) -> None:
    group = page.get_by_role("group", name=j.t(legend))
    group.get_by_label(j.t("Day"), exact=True).fill(str(day))
    group.get_by_label(j.t("Month"), exact=True).fill(str(month))
    group.get_by_label(j.t("Year"), exact=True).fill(str(year))


def click(page: Any, name: str, *, role: str = "button") -> None:
    """Click a button (or link) in main by its accessible name and wait for the next page (never a 5xx)."""
    with page.expect_navigation() as nav:
        page.get_by_role("main").get_by_role(role, name=name, exact=True).click()
    response = nav.value
    assert response is None or response.status < 500, (
        f"the server failed ({response.status}) after '{name}' on {page.url}: see the server log above")


def main_text(page: Any) -> str:
    return str(page.get_by_role("main").inner_text())


def jpeg_photo(path: Any) -> Any:
    """A 413×531 JPEG passport-style photo (pale background, a head and shoulders)."""
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (413, 531), (236, 240, 245))
    d = ImageDraw.Draw(img)
    d.ellipse((136, 90, 276, 260), fill=(214, 176, 150))
    d.rectangle((96, 300, 316, 531), fill=(40, 60, 110))
    d.ellipse((120, 250, 292, 360), fill=(40, 60, 110))
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=90)
    path.write_bytes(buf.getvalue())
    return path


# --------------------------------------------------------------------------- the steps

def file_permit_application(j: Journey, w: Worker, *, first: bool) -> int:
    j.need("GET /employer/permits/new", "POST /employer/permits/new/check", "POST /employer/permits")
    page = j.staff("employer", "hr@example.com", "demo-employer-pass")
    page.goto("/employer/permits/new")
    if first:
        j.check(page, "employer-new-permit-form")
        j.error_state(page, "employer-new-permit",
                      lambda: click(page, j.t("Continue")))
    page.get_by_label(j.t("Given names"), exact=True).fill(w.given_names)
    page.get_by_label(j.t("Family name"), exact=True).fill(w.family_name)
    page.get_by_label(j.t("Nationality"), exact=True).select_option(w.nationality)
    fill_date(page, j, "Date of birth", *w.birth)
    page.get_by_role("radio", name=j.t("Female" if w.sex == "F" else "Male"), exact=True).check()
    page.get_by_label(j.t("Passport number"), exact=True).fill(w.passport)
    fill_date(page, j, "Passport expiry date", 31, 12, 2034)
    page.get_by_label(j.t("Position (job title)"), exact=True).fill(w.position)
    page.get_by_role("radio", name=j.t("Category B: professional")).check()
    fill_date(page, j, "Contract start date", 1, 12, 2026)
    fill_date(page, j, "Contract end date", 30, 11, 2028)
    fill_date(page, j, "Permit valid until", 30, 11, 2028)
    j.check(page, "employer-new-permit-filled", axe=False)
    click(page, j.t("Continue"))
    # Check your answers: what was typed, in the reader's language.
    text = main_text(page)
    assert w.mrz_family in text and w.mrz_given in text and w.passport in text
    change = page.get_by_role("button", name=f"{j.t('Change')} {j.t('Family name')}")
    assert change.is_visible()
    assert change.evaluate("b => getComputedStyle(b).color") != "rgb(255, 255, 255)", "the Change buttons are white"
    j.check(page, "employer-check-answers")
    if first:
        j.error_state(page, "employer-check-answers", lambda: click(page, j.t("Send application")))
    page.get_by_role("main").get_by_role("checkbox").check()
    click(page, j.t("Send application"))
    assert re.search(r"/employer/permits/\d+/sent$", page.url), page.url
    j.check(page, "employer-application-sent")
    return int(page.url.rstrip("/").split("/")[-2])


def officer_approves(j: Journey, w: Worker, application_id: int, *, first: bool) -> None:
    j.need("GET /officer/permits", "GET /officer/permits/{}", "POST /officer/permits/{}/decision")
    page = j.staff("officer", "officer@example.com", "demo-officer-pass")
    page.goto("/officer/permits")
    row = page.get_by_role("row").filter(has_text=w.mrz_family)
    assert row.count() == 1, f"{w.mrz_family} is not in the officer's queue"
    j.check(page, "officer-queue", axe=first)
    with page.expect_navigation():
        row.get_by_role("link").first.click()
    assert page.url.endswith(f"/officer/permits/{application_id}")
    j.check(page, "officer-application", axe=first)
    if first:
        j.error_state(page, "officer-decision", lambda: click(page, j.t("Record the decision")))
    page.get_by_role("radio", name=j.t("Approve: issue the work permit")).check()
    click(page, j.t("Record the decision"))
    assert j.t("Approved") in main_text(page)
    j.check(page, "officer-approved", axe=first)


def employer_opens_notice(j: Journey, w: Worker, application_id: int, *, first: bool) -> None:
    j.need("GET /employer/permits/{}", "GET /permits/notices/{}", "GET /verify/notices/{}")
    page = j.page("employer")
    page.goto(f"/employer/permits/{application_id}")
    j.check(page, "employer-application-approved", axe=first)
    with page.expect_navigation():
        page.get_by_role("main").get_by_role("link", name=j.t("View and print the Foreign Work Permit Notice")).click()
    m = re.search(r"/permits/notices/([^/?#]+)$", page.url)
    assert m, page.url
    w.notice_number = m.group(1)
    text = main_text(page)
    assert w.mrz_family in text.upper()
    # The notice is bilingual whatever the reader's language: English labels with the Chinese beside.
    w.permit_number = page.locator(".summary-row").filter(has_text="Work permit number").locator("dd").inner_text()
    assert re.fullmatch(r"[0-9A-Z]{6,32}", w.permit_number), w.permit_number
    assert w.passport in text
    j.check(page, "permit-notice", axe=first)
    # The QR code is the signed address of the public check (recomputed here with the server's key).
    url = f"{j.base_url}/verify/notices/{w.notice_number}?sig={signed(w.notice_number)}"
    assert_qr_encodes(page, url)
    visitor = new_page(j.browser, j.base_url, j.lang)
    try:
        visitor.goto(url)
        text = main_text(visitor)
        assert w.mrz_family in text.upper()
        assert j.t("Valid") in text
        assert w.passport not in text, "the public check shows the passport number"
        j.check(visitor, "public-verification", axe=first)
        visitor.goto(url.replace("?sig=", "?sig=A"))
        assert j.t("Valid") not in main_text(visitor)
        j.check(visitor, "public-verification-forged", axe=first)
    finally:
        visitor.context.close()


def assert_qr_encodes(page: Any, url: str) -> None:
    """The page's QR code is the QR code of ``url``: segno's drawing of it, module for module.

    No QR decoder is needed: segno's SVG path does not depend on the scale, so the path the page
    shows equals the path segno draws for ``url`` at the same error-correction level.
    """
    import segno

    drawn = page.locator("main svg path").evaluate_all("ps => ps.map(p => p.getAttribute('d'))")
    assert drawn, "no QR code on the page"
    expected = set()
    for level in "LMQH":
        buf = io.BytesIO()
        segno.make(url, error=level).save(buf, kind="svg", xmldecl=False)
        m = re.search(r' d="([^"]+)"', buf.getvalue().decode())
        assert m is not None
        expected.add(m.group(1))
    assert expected & set(drawn), "the QR code does not encode the verification link shown beside it"


def register_insurance(j: Journey, w: Worker, *, first: bool) -> None:
    j.need("GET /employer/insurance/new", "POST /employer/insurance/new", "POST /employer/insurance",
           "GET /employer/insurance/{}")
    page = j.page("employer")
    page.goto("/employer/insurance/new")
    if first:
        j.check(page, "employer-insurance-form")
        j.error_state(page, "employer-insurance", lambda: click(page, j.t("Continue")))
    page.get_by_label(j.t("Notice number"), exact=True).fill(w.notice_number)
    page.get_by_label(j.t("Given names"), exact=True).fill(w.given_names)
    page.get_by_label(j.t("Family name"), exact=True).fill(w.family_name)
    page.get_by_label(j.t("Passport number"), exact=True).fill(w.passport)
    click(page, j.t("Continue"))
    assert w.notice_number in main_text(page)
    j.check(page, "employer-insurance-check", axe=first)
    if first:
        j.error_state(page, "employer-insurance-check", lambda: click(page, j.t("Register")))
    page.get_by_role("main").get_by_role("checkbox").check()
    click(page, j.t("Register"))
    ssn = page.locator(".panel strong").inner_text().strip()
    assert re.fullmatch(r"9\d{16}[\dX]", ssn), f"no social security number shown after registration: {ssn!r}"
    w.ssn = ssn
    j.check(page, "employer-insurance-registered", axe=first)


def studio_uploads_photo(j: Journey, w: Worker, tmp_path: Any, *, first: bool) -> None:
    j.need("GET /studio/photos/new", "POST /studio/photos/new", "GET /studio/photos/{}")
    page = j.staff("studio", "studio@example.com", "demo-studio-pass")
    page.goto("/studio/photos/new")
    if first:
        j.check(page, "studio-photo-form")
        j.error_state(page, "studio-photo", lambda: click(page, j.t("Upload photo")))
    page.get_by_label(j.t("Given names"), exact=True).fill(w.given_names)
    page.get_by_label(j.t("Family name"), exact=True).fill(w.family_name)
    page.get_by_label(j.t("Passport number"), exact=True).fill(w.passport)
    page.get_by_label(j.t("Photo"), exact=True).set_input_files(str(jpeg_photo(tmp_path / f"{w.passport}.jpg")))
    click(page, j.t("Upload photo"))
    w.receipt = page.locator(".panel strong").inner_text().strip()
    assert w.receipt and w.receipt in page.url, f"no photo receipt number shown ({page.url})"
    assert page.get_by_role("img", name=re.compile(re.escape(w.family_name))).count() == 1
    j.check(page, "studio-photo-receipt", axe=first)


def worker_signs_up_and_links(j: Journey, w: Worker, who: str, *, first: bool) -> Any:
    j.need("GET /signup", "POST /signup", "GET /signup/sent", "GET /signup/confirm/{}", "POST /signup/confirm/{}",
           "GET /my/link", "POST /my/link", "GET /my")
    page = j.page(who)
    page.goto("/signup")
    page.get_by_label(j.t("Your name"), exact=True).fill(w.full_name)
    page.get_by_label(j.t("E-mail address"), exact=True).fill(w.email)
    page.get_by_label(j.t("Create a password"), exact=True).fill(w.password)
    click(page, j.t("Create account"))
    assert page.url.endswith("/signup/sent"), page.url  # the same answer whether the address has an account
    j.check(page, "worker-signup-sent", axe=first)
    mail = mail_to(w.email, containing="/signup/confirm/")
    page.goto(re.search(r"http\S+/signup/confirm/\S+", mail).group(0))  # type: ignore[union-attr]
    click(page, j.t("Create account"))
    assert page.url.endswith("/my/link"), page.url
    j.check(page, "worker-link-permit", axe=first)
    if first:
        j.error_state(page, "worker-link-permit", lambda: click(page, j.t("Continue")))
    page.get_by_label(j.t("Given names"), exact=True).fill(w.given_names)
    page.get_by_label(j.t("Family name"), exact=True).fill(w.family_name)
    page.get_by_label(j.t("Work permit number"), exact=True).fill(w.permit_number)
    page.get_by_label(j.t("Passport number"), exact=True).fill(w.passport)
    click(page, j.t("Continue"))
    assert page.url.endswith("/my"), f"linking the permit failed: {page.url}\n{main_text(page)}"
    j.check(page, "worker-home", axe=first)
    return page


def worker_applies_online(j: Journey, w: Worker) -> int:
    j.need("GET /my/card/apply", "GET /my/card/apply/branch", "GET /my/card/apply/photo",
           "GET /my/card/apply/passport", "GET /my/card/apply/check", "GET /my/applications/{}/confirmation")
    page = j.page("worker-paper")
    page.goto("/my")
    click(page, j.t("Apply for your card"))
    assert page.url.endswith("/my/card/apply")
    j.check(page, "worker-apply-start")
    click(page, j.t("Start now"))
    j.check(page, "worker-apply-branch")
    j.check_mobile(page, "worker-apply-branch")
    j.error_state(page, "worker-apply-branch", lambda: click(page, j.t("Continue")))
    ccb = "China Construction Bank, Dongguan Branch" if j.lang == "en" else "中国建设银行东莞市分行"
    page.get_by_role("radio", name=ccb, exact=True).check()
    click(page, j.t("Continue"))
    j.check(page, "worker-apply-photo")
    j.error_state(page, "worker-apply-photo", lambda: click(page, j.t("Continue")))
    page.get_by_label(j.t("What is your photo receipt number?"), exact=True).fill(w.receipt)
    click(page, j.t("Continue"))
    j.check(page, "worker-apply-passport")
    j.error_state(page, "worker-apply-passport", lambda: click(page, j.t("Continue")))
    page.get_by_label(j.t("What is your passport number?"), exact=True).fill(w.passport)
    click(page, j.t("Continue"))
    assert page.url.endswith("/my/card/apply/check"), page.url
    text = main_text(page)
    assert w.receipt in text and w.passport in text and ccb in text and w.permit_number in text
    j.check(page, "worker-apply-check")
    j.error_state(page, "worker-apply-check", lambda: click(page, j.t("Send application")))
    page.get_by_role("main").get_by_role("checkbox").check()
    click(page, j.t("Send application"))
    m = re.search(r"/my/applications/(\d+)/confirmation$", page.url)
    assert m, page.url
    assert page.locator(".panel strong").inner_text().strip(), "no reference number on the confirmation"
    assert ccb in main_text(page)
    j.check(page, "worker-apply-confirmation")
    return int(m.group(1))


def agency_approves(j: Journey, w: Worker, application_id: int) -> None:
    j.need("GET /agency/cards", "GET /agency/cards/{}", "POST /agency/cards/{}/decision")
    page = j.staff("agency", "agency@example.com", "demo-agency-pass")
    page.goto("/agency/cards")
    j.check(page, "agency-queue")
    link = page.locator(f"main a[href='/agency/cards/{application_id}']")
    assert link.count() >= 1, "the application is not in the agency's queue"
    with page.expect_navigation():
        link.first.click()
    assert w.mrz_family in main_text(page)
    j.check(page, "agency-application")
    j.error_state(page, "agency-decision", lambda: click(page, j.t("Record the decision")))
    page.get_by_role("radio", name=j.t("Approve"), exact=True).check()
    click(page, j.t("Record the decision"))
    j.check(page, "agency-approved")
    start = page.get_by_role("main").get_by_role("button", name=j.t("Start production"), exact=True)
    if start.count():
        click(page, j.t("Start production"))
        j.check(page, "agency-production-started")


def worker_sees_promised_date(j: Journey, application_id: int) -> None:
    j.need("GET /my/applications/{}")
    page = j.page("worker-paper")
    page.goto(f"/my/applications/{application_id}")
    assert PROMISED[j.lang] in main_text(page), f"the promised date {PROMISED[j.lang]} is not shown"
    j.check(page, "worker-status-promised-date")
    j.check_mobile(page, "worker-status-promised-date")


def branch_open(j: Journey, page: Any, application_id: int, step: str) -> None:
    page.goto("/branch")
    j.check(page, f"{step}-queue")
    link = page.locator(f"main a[href='/branch/applications/{application_id}']")
    assert link.count() >= 1, "the application is not in the branch queue"
    with page.expect_navigation():
        link.first.click()
    assert page.url.endswith(f"/branch/applications/{application_id}"), page.url


def hand_over_and_activate(j: Journey, page: Any, w: Worker, step: str, *, first: bool) -> None:
    passport = j.t("Passport number, from the passport shown")
    if first:
        j.error_state(page, f"{step}-hand-over", lambda: click(page, j.t("Hand over the card")))
    page.get_by_label(passport, exact=True).fill(w.passport)
    click(page, j.t("Hand over the card"))
    assert page.locator("main .tag-issued").count() >= 1, "the card is not shown as issued"
    j.check(page, f"{step}-handed-over")
    if first:
        j.error_state(page, f"{step}-activate", lambda: click(page, j.t("Activate the card")))
    page.get_by_label(passport, exact=True).fill(w.passport)
    click(page, j.t("Activate the card"))
    assert page.locator("main .tag-active").count() >= 1, "the card is not shown as active"
    assert page.locator("main .card-face").count() == 1
    j.check(page, f"{step}-activated")


def clerk_ccb_collects(j: Journey, w: Worker, application_id: int) -> None:
    j.need("GET /branch", "GET /branch/applications/{}", "POST /branch/applications/{}/confirm-receipt",
           "POST /branch/applications/{}/hand-over", "POST /branch/cards/{}/activate")
    page = j.staff("clerk-ccb", "clerk.ccb@example.com", "demo-clerk2-pass")
    branch_open(j, page, application_id, "ccb")
    assert PROMISED[j.lang] in main_text(page)
    j.check(page, "ccb-application")
    j.check_mobile(page, "ccb-application")
    click(page, j.t("The card has arrived at the branch"))
    j.check(page, "ccb-received")
    hand_over_and_activate(j, page, w, "ccb", first=True)


def worker_sees_active_card(j: Journey, w: Worker, who: str) -> None:
    j.need("GET /my", "GET /cards/{}/face")
    page = j.page(who)
    page.goto("/my")
    assert page.locator("main .card-face").count() == 1
    assert page.locator("main .tag-active").count() >= 1, "the card is not shown as active"
    j.check(page, f"{who}-home-active-card")
    click(page, j.t("Card details and work permit information"), role="link")
    face = page.locator(".card-face")
    face.wait_for()
    face_text = str(face.inner_text())
    assert w.permit_number in face_text, "the card face does not carry the permit number"
    assert w.mrz_family in face_text.upper()
    assert w.position in main_text(page), "the permit information (position) is not on the card page"
    j.check(page, f"{who}-card-face")
    j.check_mobile(page, f"{who}-card-face")


def clerk_cgb_instant(j: Journey, w: Worker) -> None:
    j.need("GET /branch/applications/new", "POST /branch/applications/new", "POST /branch/applications/new/check",
           "GET /branch/applications/{}", "POST /branch/applications/{}/produce-instant")
    page = j.staff("clerk-cgb", "clerk.cgb@example.com", "demo-clerk-pass")
    page.goto("/branch")
    with page.expect_navigation():
        page.get_by_role("navigation", name=j.t("Your work")).get_by_role("link", name=j.t("Paper application")).click()
    j.check(page, "cgb-paper-form")
    j.error_state(page, "cgb-paper-form", lambda: click(page, j.t("Continue")))
    page.get_by_label(j.t("Work permit number"), exact=True).fill(w.permit_number)
    page.get_by_label(j.t("Given names"), exact=True).fill(w.given_names)
    page.get_by_label(j.t("Family name"), exact=True).fill(w.family_name)
    page.get_by_label(j.t("Passport number"), exact=True).fill(w.passport)
    page.get_by_role("main").get_by_role("checkbox").check()
    page.get_by_label(j.t("Photo receipt number"), exact=True).fill(w.receipt)
    page.get_by_role("radio", name=j.t("Instant"), exact=True).check()
    click(page, j.t("Continue"))
    text = main_text(page)
    assert w.passport in text and w.receipt in text and j.t("Instant") in text
    j.check(page, "cgb-paper-check")
    click(page, j.t("Send application"))
    assert re.search(r"/branch/applications/\d+/confirmation$", page.url), page.url
    j.check(page, "cgb-paper-confirmation")
    click(page, j.t("Open the application"), role="link")
    j.check(page, "cgb-application")
    click(page, j.t("Produce the card now"))
    assert page.locator("main .card-face").count() == 1, "no card after instant production"
    j.check(page, "cgb-produced")
    hand_over_and_activate(j, page, w, "cgb", first=False)


# --------------------------------------------------------------------------- the test

@pytest.mark.parametrize("lang", ["en", "zh-Hans"])
def test_whole_journey_through_both_channels(browser: Any, live_server: str, lang: str, tmp_path: Any) -> None:
    j = Journey(lang, browser, live_server)
    paper, instant = workers_for(lang)
    try:
        for w, first in ((paper, True), (instant, False)):
            app_id = file_permit_application(j, w, first=first)
            officer_approves(j, w, app_id, first=first)
            employer_opens_notice(j, w, app_id, first=first)
            register_insurance(j, w, first=first)
            studio_uploads_photo(j, w, tmp_path, first=first)
        # Paper / online channel
        worker_signs_up_and_links(j, paper, "worker-paper", first=True)
        card_app = worker_applies_online(j, paper)
        agency_approves(j, paper, card_app)
        worker_sees_promised_date(j, card_app)
        clerk_ccb_collects(j, paper, card_app)
        worker_sees_active_card(j, paper, "worker-paper")
        # Instant channel
        clerk_cgb_instant(j, instant)
        worker_signs_up_and_links(j, instant, "worker-instant", first=False)
        worker_sees_active_card(j, instant, "worker-instant")
    finally:
        j.close()
