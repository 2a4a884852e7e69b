"""The photos API: multipart upload, refusals with the reason, the studio's own list."""

from __future__ import annotations

from fastapi.testclient import TestClient

from permitcard.db import Database
from tests.factories import api_login
from tests.insurance_factories import jpeg_bytes, make_studio


def _upload(client: TestClient, data: bytes, name: str = "photo.jpg", **fields: str):  # type: ignore[no-untyped-def]
    form = {"family_name": "Garcia", "given_names": "Maria", "passport_number": "PA1234567"}
    form.update(fields)
    return client.post("/api/v1/photos", data=form, files={"file": (name, data, "image/jpeg")})


def test_upload_and_list(db: Database, client: TestClient) -> None:
    api_login(client, make_studio(db))
    r = _upload(client, jpeg_bytes())
    assert r.status_code == 201, r.text
    assert r.json()["receipt_number"].startswith("PR-") and r.json()["used"] is False
    listing = client.get("/api/v1/photos").json()
    assert listing["total"] == 1 and listing["items"][0]["receipt_number"] == r.json()["receipt_number"]
    api_login(client, make_studio(db))
    assert client.get("/api/v1/photos").json()["total"] == 0


def test_refusals_name_the_problem(db: Database, client: TestClient) -> None:
    api_login(client, make_studio(db))
    r = _upload(client, jpeg_bytes(fmt="PNG"), name="renamed.jpg")
    assert r.status_code == 422
    assert r.json()["errors"] == [
        {"field": "file", "message": "The photo must be a JPEG file. This file is a PNG image"}]
    r = _upload(client, jpeg_bytes(640, 480))
    assert r.json()["errors"][0]["message"] == "The photo must be portrait: higher than it is wide"
    r = _upload(client, b"x" * (1024 * 1024 + 1000))
    messages = [e["message"] for e in r.json()["errors"]]
    assert r.status_code == 422 and any("smaller than 1 MB" in m for m in messages)
    r = _upload(client, b"x" * (2 * 1024 * 1024))  # past the route's body limit: refused while it streams
    assert r.status_code == 413 and "at most 1.1 MB" in r.json()["detail"]
    r = client.post("/api/v1/photos", data={"family_name": "Garcia", "passport_number": "P1"})
    assert r.status_code == 422
    assert client.get("/api/v1/photos").json()["total"] == 0


def test_only_studios(db: Database, client: TestClient) -> None:
    from permitcard.auth.domain import Role
    from tests.factories import make_user

    make_user(db, Role.AGENCY_CLERK, "clerk-photo@example.com")
    api_login(client, "clerk-photo@example.com")
    assert _upload(client, jpeg_bytes()).status_code == 403
    assert client.get("/api/v1/photos").status_code == 403
