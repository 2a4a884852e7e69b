"""The insurance pages work without JavaScript: form -> check answers -> result; queues; CSV."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from permitcard.auth.domain import Role
from permitcard.db import Database
from permitcard.insurance.models import InsuranceRegistration
from permitcard.shared import search
from tests.factories import csrf, make_user, page_login
from tests.insurance_factories import make_agency_clerk
from tests.permit_factories import employer_with_user, file_and_approve


def _fields(info, **overrides):  # type: ignore[no-untyped-def]
    data = {"notice_number": info.notice_number, "permit_number": "", "given_names": info.given_names,
            "family_name": info.family_name, "passport_number": info.passport_number,
            "permanent_residence_id": ""}
    data.update(overrides)
    return data


def test_employer_journey(db: Database, client: TestClient) -> None:
    employer_id, user_id = employer_with_user(db, email="hr-page@example.com")
    info = file_and_approve(db, employer_id=employer_id, user_id=user_id)
    page_login(client, "hr-page@example.com")
    r = client.get("/employer/insurance")
    assert r.status_code == 200 and "Register an employee" in r.text
    assert client.get("/employer/insurance/new").status_code == 200
    token = csrf(client)
    bad = client.post("/employer/insurance/new", data={**_fields(info, family_name="", notice_number=""),
                                                       "csrf_token": token})
    assert bad.status_code == 422 and "There is a problem" in bad.text and "<title>Error:" in bad.text
    assert f'value="{info.passport_number}"' in bad.text  # what was typed is kept
    check = client.post("/employer/insurance/new", data={**_fields(info), "csrf_token": token})
    assert check.status_code == 200 and "Check the details" in check.text
    no_decl = client.post("/employer/insurance", data={**_fields(info), "csrf_token": token})
    assert no_decl.status_code == 422 and "Confirm that the details are correct" in no_decl.text
    sent = client.post("/employer/insurance", data={**_fields(info), "declaration": "yes", "csrf_token": token},
                       follow_redirects=False)
    assert sent.status_code == 303
    result = client.get(sent.headers["location"])
    assert result.status_code == 200 and "Registered for social insurance" in result.text
    assert 'class="panel"' in result.text
    later = sent.headers["location"].split("?")[0]  # the record seen again later: the number after a label
    assert "Social security number: <strong>" in client.get(later).text
    client.cookies.set("lang", "zh_Hans")  # a Chinese label ends in a full-width colon, with no space
    assert "社会保障号码：<strong>" in client.get(later).text
    client.cookies.set("lang", "en")
    queue = client.get("/employer/insurance?q=" + info.family_name[:4])
    assert "1 registration" in queue.text
    export = client.get("/employer/insurance.csv")
    assert export.status_code == 200 and export.content.startswith(b"\xef\xbb\xbf")
    assert info.permit_number in export.text


def test_refusal_page_and_agency_exceptions(db: Database, client: TestClient) -> None:
    info = file_and_approve(db)
    make_agency_clerk(db, email="clerk-page@example.com")
    page_login(client, "clerk-page@example.com")
    token = csrf(client)
    sent = client.post("/agency/insurance", data={**_fields(info, passport_number="WRONG999"),
                                                  "declaration": "yes", "csrf_token": token}, follow_redirects=False)
    assert sent.status_code == 303
    result = client.get(sent.headers["location"])
    assert "Registration refused" in result.text
    assert "The passport number does not match the one on the work permit" in result.text
    queue = client.get("/agency/insurance")
    assert "1 registration was refused" in queue.text
    assert client.get("/agency/insurance?state=refused&sort=name&page=99").status_code == 200
    assert client.get("/agency/insurance/abc").status_code == 404


def test_other_employer_gets_404_and_form_error(db: Database, client: TestClient) -> None:
    employer_id, user_id = employer_with_user(db, email="hr-a@example.com")
    info = file_and_approve(db, employer_id=employer_id, user_id=user_id)
    page_login(client, "hr-a@example.com")
    token = csrf(client)
    sent = client.post("/employer/insurance", data={**_fields(info), "declaration": "yes", "csrf_token": token},
                       follow_redirects=False)
    detail = sent.headers["location"].split("?")[0]
    employer_with_user(db, email="hr-b@example.com")
    client.cookies.clear()
    page_login(client, "hr-b@example.com")
    assert client.get(detail).status_code == 404
    token = csrf(client)
    r = client.post("/employer/insurance", data={**_fields(info), "declaration": "yes", "csrf_token": token})
    assert r.status_code == 422 and "do not match a work permit of one of your company" in r.text


def test_applicant_page(db: Database, client: TestClient) -> None:
    info = file_and_approve(db)
    make_user(db, Role.APPLICANT, "me-page@example.com")
    page_login(client, "me-page@example.com")
    assert "Connect your work permit" in client.get("/my/insurance").text
    token = csrf(client)
    client.post("/my/link", data={"family_name": info.family_name, "given_names": info.given_names,
                                  "permit_number": info.permit_number, "passport_number": info.passport_number,
                                  "csrf_token": token})
    page = client.get("/my/insurance")
    assert page.status_code == 200 and f'value="{info.family_name}"' in page.text  # prefilled from the permit
    sent = client.post("/my/insurance", data={**_fields(info), "declaration": "yes", "csrf_token": token},
                       follow_redirects=False)
    assert sent.status_code == 303
    assert "Your social security number" in client.get("/my/insurance").text
    assert client.get("/employer/insurance").status_code == 403


def test_errors_name_only_fields_the_form_shows(db: Database, client: TestClient) -> None:
    """The employer who typed a notice number that is not registered gets the one answer for any permit
    that is not one of its employees' (no oracle), which names the fields its form shows; the applicant's
    form (no permit number field) never asks for a permit number."""
    employer_id, user_id = employer_with_user(db, email="hr-msg@example.com")
    info = file_and_approve(db, employer_id=employer_id, user_id=user_id)
    page_login(client, "hr-msg@example.com")
    token = csrf(client)
    sent = client.post("/employer/insurance", data={**_fields(info, notice_number="FN20990000001"),
                                                    "declaration": "yes", "csrf_token": token})
    assert "These details do not match a work permit of one of your company&#39;s employees" in sent.text
    assert "No work permit with this number" not in sent.text
    client.cookies.clear()
    make_user(db, Role.APPLICANT, "me-msg@example.com")
    page_login(client, "me-msg@example.com")
    client.post("/my/link", data={"family_name": info.family_name, "given_names": info.given_names,
                                  "permit_number": info.permit_number, "passport_number": info.passport_number,
                                  "csrf_token": csrf(client)})
    bad = client.post("/my/insurance/new", data={**_fields(info, notice_number=""), "csrf_token": csrf(client)})
    assert bad.status_code == 422
    assert "Enter the notice number from your Foreign Work Permit Notice" in bad.text
    assert "work permit number" not in bad.text.split('id="main"', 1)[1].lower()


def test_a_search_past_the_cap_says_what_the_list_shows(db: Database, client: TestClient,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    employer_id, _ = employer_with_user(db, email="hr-cap@example.com")
    with db.uow() as s:
        s.add_all([InsuranceRegistration(
            reference=f"SI-CP{n:06d}", permit_number=f"WPCP{n:08d}", family_name="Kim", given_names="Minjun",
            channel="employer", credential="notice", state="submitted" if n else "registered",
            employer_id=employer_id, created_at=datetime(2026, 11, 2, 3, n, tzinfo=UTC)) for n in range(3)])
        s.commit()
    page_login(client, "hr-cap@example.com")
    every = client.get("/employer/insurance?q=kim")
    assert "3 registrations" in every.text and "records match this search" not in every.text
    monkeypatch.setattr(search, "SEARCH_CAP", 2)  # three Kims: more than the search reads
    en = client.get("/employer/insurance?q=kim")
    assert "2 registrations" in en.text and "Submitted (2+)" in en.text and "Registered (0+)" in en.text
    assert "More than 2 records match this search: the list shows those among the 2 most recent." in en.text
    client.cookies.set("lang", "zh_Hans")
    assert "与此搜索匹配的记录超过 2 条" in client.get("/employer/insurance?q=kim").text
    api = client.get("/api/v1/insurance-registrations", params={"q": "kim"}).json()
    assert api["search_capped"] is True and api["total"] == 2 and len(api["items"]) == 2
