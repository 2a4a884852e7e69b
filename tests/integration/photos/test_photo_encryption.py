"""Issue 10: card photos are biometric data: stored encrypted like passports (the clear JPEG is never in
the database), shown decrypted to the roles that saw them before; the migration encrypts existing rows."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from alembic.migration import MigrationContext
from alembic.operations import Operations
from fastapi.testclient import TestClient
from sqlalchemy import select, text

from permitcard.db import Database
from permitcard.photos.models import Photo
from permitcard.shared.crypto import BYTES_MARKER
from tests.factories import api_login
from tests.insurance_factories import jpeg_bytes, make_studio

MIGRATION = Path(__file__).resolve().parents[3] / "migrations/versions/20261128_1625_photo_encryption.py"


def _raw_images(db: Database) -> list[bytes]:
    with db.uow(write=False) as s:
        return [bytes(r[0]) for r in s.execute(text("SELECT image FROM photo ORDER BY id"))]


def test_photo_is_stored_encrypted_and_served_decrypted(db: Database, client: TestClient) -> None:
    api_login(client, make_studio(db))
    r = client.post("/api/v1/photos", data={"family_name": "Garcia", "passport_number": "PA1234567"},
                    files={"file": ("p.jpg", jpeg_bytes(), "image/jpeg")})
    assert r.status_code == 201, r.text
    raw = _raw_images(db)[-1]
    assert raw.startswith(BYTES_MARKER) and b"\xff\xd8\xff" not in raw[:64]
    with db.uow(write=False) as s:
        photo = s.execute(select(Photo)).scalars().all()[-1]
        assert photo.image.startswith(b"\xff\xd8")  # the ORM sees the JPEG
    page = client.get(f"/studio/photos/{r.json()['receipt_number']}/photo.jpg")
    assert page.status_code == 200 and page.content.startswith(b"\xff\xd8")  # the studio's own photo, as before


def test_migration_encrypts_existing_clear_photos(db: Database) -> None:
    clear = jpeg_bytes()
    with db.uow() as s:
        s.execute(text("INSERT INTO photo (receipt_number, studio_user_id, family_name, given_names, passport_hash,"
                       " image, width, height, created_at) VALUES ('PR-OLD', 1, 'Old', '', 'x', :img, 413, 531,"
                       " CURRENT_TIMESTAMP)"), {"img": clear})
        s.commit()
    spec = importlib.util.spec_from_file_location("photo_encryption", MIGRATION)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with db.uow() as s:
        ctx = MigrationContext.configure(s.connection())
        with Operations.context(ctx):
            module.upgrade()
            module.upgrade()  # twice: nothing changes the second time
        s.commit()
    raw = _raw_images(db)[-1]
    assert raw.startswith(BYTES_MARKER)
    with db.uow(write=False) as s:
        photo = s.execute(select(Photo).where(Photo.receipt_number == "PR-OLD")).scalar_one()
        assert photo.image == clear
    with db.uow() as s:
        with Operations.context(MigrationContext.configure(s.connection())):
            module.downgrade()
        s.commit()
    assert _raw_images(db)[-1] == clear
