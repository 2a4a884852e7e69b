"""Post/Redirect/Get on every form: walked over the app's own routes, a POST never answers 200 — a
success is 303 to a GET page, a refusal a 4xx page — and the same form sent twice creates one record."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from permitcard.auth.domain import Role
from permitcard.bootstrap import context_routes
from permitcard.db import Database
from tests.factories import csrf, make_employer, make_user, page_login

ROLE_OF_PREFIX = [("/employer", Role.EMPLOYER), ("/officer", Role.PERMIT_OFFICER), ("/agency", Role.AGENCY_CLERK),
                  ("/branch", Role.BANK_CLERK), ("/studio", Role.PHOTO_STUDIO), ("/admin", Role.ADMIN),
                  ("/my", Role.APPLICANT), ("/account", Role.APPLICANT)]


def page_post_routes() -> Iterator[str]:
    for routes in context_routes("pages"):
        for method, path in routes.declared():
            if method == "POST":
                yield re.sub(r"\{[^}]+\}", "1", path)


def test_every_page_form_answers_a_post_with_303_or_a_4xx_never_a_page(db: Database, client: TestClient) -> None:
    employer_id = make_employer(db)
    for role in {r for _p, r in ROLE_OF_PREFIX}:
        make_user(db, role, f"{role.value.replace('_', '')}9@example.com",
                  employer_id=employer_id if role == Role.EMPLOYER else None)
    routes = sorted(set(page_post_routes()))
    assert len(routes) > 50
    by_role: dict[Role | None, list[str]] = {}
    for path in routes:
        if path not in ("/logout", "/ecard/logout"):
            role = next((r for prefix, r in ROLE_OF_PREFIX if path.startswith(prefix)), None)
            by_role.setdefault(role, []).append(path)
    answered_200 = []
    for role, paths in by_role.items():  # each role signs in once (a staff code is good once)
        client.cookies.clear()
        if role is not None:
            page_login(client, f"{role.value.replace('_', '')}9@example.com")
        for path in paths:
            r = client.post(path, data={"csrf_token": csrf(client)}, follow_redirects=False)
            assert r.status_code < 500, (path, r.status_code)
            if r.status_code < 300:
                answered_200.append(path)
    assert not answered_200, answered_200


def test_the_same_permit_form_sent_three_times_files_one_application(db: Database, client: TestClient) -> None:
    from tests.integration.permits.test_pages import form_of
    from tests.permit_factories import application_data, employer_with_user

    employer_with_user(db, email="hr-prg@example.com")
    page_login(client, "hr-prg@example.com")
    values = form_of(application_data(family_name="THRICE", given_names="SENT", passport_number="P7654321"))
    r = client.post("/employer/permits/new/check", data={**values, "csrf_token": csrf(client)},
                    follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/employer/permits/new/check?draft=")
    check = client.get(r.headers["location"])
    assert check.status_code == 200
    token = re.search(r'action="/employer/permits" novalidate>.*?name="form_token" value="([^"]+)"', check.text,
                      flags=re.S)
    draft = re.search(r'name="draft" value="([^"]+)"', check.text)
    assert token and draft
    body = {**values, "declaration": "yes", "csrf_token": csrf(client), "form_token": token.group(1),
            "draft": draft.group(1)}
    answers = [client.post("/employer/permits", data=body, follow_redirects=False) for _ in range(3)]
    assert [a.status_code for a in answers] == [303, 303, 303]
    assert len({a.headers["location"] for a in answers}) == 1  # all three point to the first
    listing = client.get("/employer/permits").text
    assert listing.count(values["family_name"]) == 1
    # Back to the check page after sending: it is gone, the form starts afresh.
    again = client.get(r.headers["location"], follow_redirects=False)
    assert again.status_code == 303 and again.headers["location"] == "/employer/permits/new"


@pytest.mark.parametrize("lang", ["en", "zh-Hans"])
def test_language_switch_on_a_form_shown_with_errors_keeps_the_input_and_the_errors(
        db: Database, client: TestClient, lang: str) -> None:
    from tests.permit_factories import employer_with_user

    employer_with_user(db, email=f"hr-lang-{lang}@example.com")
    page_login(client, f"hr-lang-{lang}@example.com")
    client.cookies.set("lang", lang)
    form = client.get("/employer/permits/new").text
    page = re.search(r'name="form_page" value="([^"]+)"', form)
    assert page and page.group(1) == "/employer/permits/new"
    r = client.post("/employer/permits/new/check", data={"family_name": "OKONKWO-ADEYEMI", "given_names": "",
                                                         "csrf_token": csrf(client), "form_page": page.group(1)},
                    headers={"referer": "http://testserver/employer/permits/new"})
    assert r.status_code == 422
    switch = re.search(r'<form method="post" action="/lang".*?</form>', r.text, flags=re.S)
    assert switch, "a page shown for a POST switches language with a POST that carries its draft"
    fields = dict(re.findall(r'name="([a-z_]+)" value="([^"]*)"', switch.group(0)))
    other = "en" if lang == "zh-Hans" else "zh-Hans"
    assert fields["lang"] == other and fields["next"] == "/employer/permits/new" and fields["draft"]
    back = client.post("/lang", data=fields, follow_redirects=False)
    assert back.status_code == 303 and back.headers["location"].startswith("/employer/permits/new?draft=")
    assert "lang=" + other.replace("-", "_") in back.headers["set-cookie"]
    client.cookies.delete("lang")
    client.cookies.set("lang", other)
    shown = client.get(back.headers["location"])
    assert shown.status_code == 200
    assert 'value="OKONKWO-ADEYEMI"' in shown.text  # what was typed
    assert 'class="error-summary' in shown.text or "data-error-summary" in shown.text  # and the errors
    assert f'<html lang="{other}">' in shown.text


def test_the_language_a_signed_in_person_chooses_is_kept_for_their_e_mails(db: Database, client: TestClient) -> None:
    from permitcard.auth import repository as auth_repo

    make_user(db, Role.APPLICANT, "reads.chinese@example.com")
    page_login(client, "reads.chinese@example.com")
    assert client.get("/lang/zh-Hans?next=/my", follow_redirects=False).status_code == 303
    with db.uow(write=False) as s:
        user = auth_repo.user_by_email(s, "reads.chinese@example.com")
        assert user is not None and user.locale == "zh_Hans"


def test_a_form_shown_with_errors_has_a_get_address_that_only_its_session_can_open(
        db: Database, client: TestClient) -> None:
    """Back and reload on a page shown for a POST go to this address (static/as-get.js), never to the
    browser's "Confirm form resubmission"; on a shared computer the next person sees nothing typed."""
    from tests.permit_factories import employer_with_user

    employer_with_user(db, email="hr-back@example.com")
    page_login(client, "hr-back@example.com")
    r = client.post("/employer/permits/new/check", data={"family_name": "BACKBUTTON", "given_names": "",
                                                         "csrf_token": csrf(client),
                                                         "form_page": "/employer/permits/new"})
    assert r.status_code == 422
    found = re.search(r'<script src="/static/as-get.js" data-get-url="([^"]+)"', r.text)
    assert found, "a page shown for a POST names the GET address that stands for it in the history"
    address = found.group(1).replace("&amp;", "&")
    assert address.startswith("/employer/permits/new?draft=")
    again = client.get(address)  # Back or reload
    assert again.status_code == 200
    assert 'value="BACKBUTTON"' in again.text and "data-error-summary" in again.text
    assert "as-get.js" not in again.text  # a GET page is its own address
    assert client.get("/static/as-get.js").status_code == 200

    client.cookies.clear()  # the next person at the same computer, signed in to another company
    employer_with_user(db, email="hr-next@example.com")
    page_login(client, "hr-next@example.com")
    theirs = client.get(address)
    assert theirs.status_code == 200  # the empty form, not the draft
    assert "BACKBUTTON" not in theirs.text and "data-error-summary" not in theirs.text
