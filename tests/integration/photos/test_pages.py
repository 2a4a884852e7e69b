"""The studio pages: upload with errors beside the file field, printable receipt, own photos only."""

from __future__ import annotations

from fastapi.testclient import TestClient

from permitcard.db import Database
from tests.factories import csrf, page_login
from tests.insurance_factories import jpeg_bytes, make_studio


def _post(client: TestClient, data: bytes, **fields: str):  # type: ignore[no-untyped-def]
    form = {"family_name": "Garcia", "given_names": "Maria", "passport_number": "PA1234567",
            "csrf_token": csrf(client)}
    form.update(fields)
    return client.post("/studio/photos/new", data=form, files={"file": ("p.jpg", data, "image/jpeg")},
                       follow_redirects=False)


def test_upload_journey(db: Database, client: TestClient) -> None:
    page_login(client, make_studio(db))
    form = client.get("/studio/photos/new")
    assert 'enctype="multipart/form-data"' in form.text
    bad = _post(client, jpeg_bytes(640, 480), family_name="")
    assert bad.status_code == 422 and "There is a problem" in bad.text
    assert "The photo must be portrait" in bad.text and 'id="file-error-1"' in bad.text
    assert 'value="PA1234567"' in bad.text
    ok = _post(client, jpeg_bytes())
    assert ok.status_code == 303
    page = client.get(ok.headers["location"])
    assert page.status_code == 200 and "Give this number to the applicant." in page.text
    number = ok.headers["location"].split("/")[-1].split("?")[0]
    assert number in page.text
    img = client.get(f"/studio/photos/{number}/photo.jpg")
    assert img.status_code == 200 and img.headers["content-type"] == "image/jpeg"
    assert img.content[:2] == b"\xff\xd8"
    listing = client.get("/studio/photos?used=no")
    assert "1 photo" in listing.text and number in listing.text
    client.cookies.clear()
    page_login(client, make_studio(db))
    assert client.get(f"/studio/photos/{number}").status_code == 404
    assert client.get(f"/studio/photos/{number}/photo.jpg").status_code == 404
    assert number not in client.get("/studio/photos").text


def test_missing_file_is_a_form_error(db: Database, client: TestClient) -> None:
    page_login(client, make_studio(db))
    r = client.post("/studio/photos/new", data={"family_name": "Garcia", "passport_number": "PA1234567",
                                                "csrf_token": csrf(client)})
    assert r.status_code == 422 and "Choose a photo file to upload" in r.text
