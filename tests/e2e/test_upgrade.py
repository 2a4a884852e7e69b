"""The card-side upgrade in a real browser, once in each language (SPEC §4 eligibility case 2).

A paper permit and a card from before the integration are imported with `permitcard import-legacy`
(the real command, against the live server's database). The holder signs up and links the permit: the
home page shows the old card and explains that a paper permit stays valid and needs nothing. Once the
permit is electronic (the employer asks for the electronic permit and an officer approves, JSON API), the
home page offers the free upgrade; the holder applies online; the agency approves and the branch hands the new card
over (JSON API); the old card is then invalidated for good and the new one carries the permit.

Screenshots: test-artifacts/screenshots/upgrade-<lang>-<nn>-<step>.png (and at 375 px); axe on every page.
"""

from __future__ import annotations

import random
import secrets
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import (
    LIVE_ENV,
    MOBILE,
    PERMITCARD,
    ROOT,
    assert_accessible,
    html_lang,
    login,
    mail_to,
    new_page,
    shot,
)
from tests.e2e.test_loss import Api, Walk, click
from tests.insurance_factories import jpeg_bytes
from tests.legacy_factories import card_row, cards_csv, permit_row, permits_csv

DEMO_EMPLOYER = "91441900MA51ABCD10"
CCB = ("clerk.ccb@example.com", "demo-clerk2-pass")


def _import(kind: str, path: Path) -> str:
    done = subprocess.run([PERMITCARD, "import-legacy", kind, str(path)], env=LIVE_ENV, cwd=ROOT,
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, f"{done.stdout}\n{done.stderr}"
    return done.stdout


def legacy_holder(base_url: str, lang: str, tmp: Path) -> dict[str, Any]:
    tag = secrets.token_hex(3).upper()
    family = f"{'MUELLER' if lang == 'en' else 'TANAKA'}{tag}"
    family = family.translate(str.maketrans("0123456789", "GHJKLMNPQR"))  # names are passport letters only
    prow = permit_row(DEMO_EMPLOYER, family_name=family, given_names="ANNA" if lang == "en" else "YUKI",
                      nationality="DE" if lang == "en" else "JP",
                      birth_date=f"19{random.randint(60, 95)}-0{random.randint(1, 9)}-1{random.randint(0, 9)}",
                      valid_from="2023-06-01", valid_to="2027-05-31")
    crow = card_row(prow, branch_code="CCB-DG-BRANCH")
    assert "1 imported" in _import("permits", permits_csv(tmp / f"permits-{lang}.csv", [prow]))
    assert "1 imported" in _import("cards", cards_csv(tmp / f"cards-{lang}.csv", [crow]))
    email, password = f"upgrade.{tag.lower()}@example.com", "an upgrade in spring"
    api = Api(base_url)
    api.login("studio@example.com", "demo-studio-pass")
    receipt = api.post("/api/v1/photos", data={"family_name": family, "given_names": prow["given_names"],
                                               "passport_number": prow["passport_number"]},
                       files={"file": ("me.jpg", jpeg_bytes(), "image/jpeg")})["receipt_number"]
    api.c.cookies.clear()
    api.c.headers.pop("X-CSRF-Token", None)
    r = api.c.post("/api/v1/accounts", json={"email": email, "password": password, "display_name": "Anna"})
    assert r.status_code == 202, r.text
    token = mail_to(email, containing="/signup/confirm/").split("/signup/confirm/")[1].split()[0]
    signup = api.post("/api/v1/accounts/confirm", json={"token": token})
    api.c.headers["X-CSRF-Token"] = signup["csrf_token"]
    api.post("/api/v1/me/permit-link", json={"family_name": family, "given_names": prow["given_names"],
                                             "permit_number": prow["permit_number"],
                                             "passport_number": prow["passport_number"]})
    return {"api": api, "email": email, "password": password, "permit": prow, "card": crow, "receipt": receipt}


class UpgradeWalk(Walk):
    """test_loss's walk (screenshot, language, no error page, axe, 375 px), named upgrade-<lang>-<nn>-<step>."""

    def check(self, page: Any, step: str, *, mobile: bool = False) -> None:
        self.n += 1
        name = f"upgrade-{self.lang}-{self.n:02d}-{step}"
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
                assert overflow <= 0, f"{name} at 375 px scrolls sideways by {overflow}px"
            finally:
                page.set_viewport_size(size)


def _main(page: Any) -> str:
    return str(page.get_by_role("main").inner_text())


@pytest.mark.parametrize("lang", ["en", "zh-Hans"])
def test_legacy_card_holder_upgrades_once_the_permit_is_electronic(browser: Any, live_server: str, lang: str,
                                                                    tmp_path: Path) -> None:
    p = legacy_holder(live_server, lang, tmp_path)
    w = UpgradeWalk(lang)
    worker = new_page(browser, live_server, lang)
    try:
        login(worker, p["email"], p["password"])
        worker.goto("/my")
        w.check(worker, "home-paper-permit", mobile=True)
        text = _main(worker)
        assert p["card"]["card_number"] in text
        assert w.t("Your work permit is a paper permit issued before 1 December 2024. It stays valid as it is and you "
                   "do not need to do anything; your current social security card stays valid too. The permit "
                   "information can be loaded onto a card once the permit is electronic: at its first extension or "
                   "change, or when your employer asks for the electronic permit. You can then apply for the free "
                   "upgrade here.") in text
        assert worker.get_by_role("button", name=w.t("Apply for the free upgrade")).count() == 0

        # The employer asks for the electronic permit of the still-valid paper permit; an officer approves.
        api = p["api"]
        api.login("hr@example.com", "demo-employer-pass")
        request = api.post(f"/api/v1/permits/{p['permit']['permit_number']}/electronic-requests", json={})
        api.login("officer@example.com", "demo-officer-pass")
        api.post(f"/api/v1/permit-applications/{request['id']}/decision",
                 json={"action": "approve", "version": request["version"]})
        worker.goto("/my")
        w.check(worker, "home-upgrade-offer", mobile=True)
        assert w.t("Free upgrade to a card with your work permit") in _main(worker)
        click(worker, w.t("Apply for the free upgrade"))
        assert worker.url.endswith("/my/card/apply")
        w.check(worker, "apply-start")
        assert w.t("You can apply to upgrade your card: you get a new card with your work permit information "
                   "loaded.") in _main(worker)
        click(worker, w.t("Start now"))
        ccb = "China Construction Bank, Dongguan Branch" if lang == "en" else "中国建设银行东莞市分行"
        worker.get_by_role("radio", name=ccb, exact=True).check()
        click(worker, w.t("Continue"))
        worker.get_by_label(w.t("What is your photo receipt number?"), exact=True).fill(p["receipt"])
        click(worker, w.t("Continue"))
        worker.get_by_label(w.t("What is your passport number?"), exact=True).fill(p["permit"]["passport_number"])
        click(worker, w.t("Continue"))
        w.check(worker, "apply-check")
        worker.get_by_role("main").get_by_role("checkbox").check()
        click(worker, w.t("Send application"))
        application_id = int(worker.url.rstrip("/").split("/")[-2])
        w.check(worker, "apply-confirmation")

        api = p["api"]
        api.login("agency@example.com", "demo-agency-pass")
        app = api.c.get(f"/api/v1/card-applications/{application_id}").json()
        assert app["kind"] == "upgrade" and app["fee_fen"] == 0
        app = api.post(f"/api/v1/card-applications/{application_id}/decision",
                       json={"action": "approve", "version": app["version"]})
        api.login(*CCB)
        app = api.post(f"/api/v1/card-applications/{application_id}/confirm-receipt", json={"version": app["version"]})
        app = api.post(f"/api/v1/card-applications/{application_id}/hand-over",
                       json={"version": app["version"], "passport_number": p["permit"]["passport_number"]})
        old = api.post("/api/v1/card-checks", json={"card_number": p["card"]["card_number"]})
        assert old["valid"] is False and old["state"] == "invalidated"

        worker.goto("/my")
        w.check(worker, "home-after-upgrade", mobile=True)
        text = _main(worker)
        assert p["card"]["card_number"] not in text  # the old card is gone for good
        assert p["permit"]["permit_number"] in text and w.t("Valid") in text
        assert worker.get_by_role("button", name=w.t("Apply for the free upgrade")).count() == 0
    finally:
        worker.context.close()
