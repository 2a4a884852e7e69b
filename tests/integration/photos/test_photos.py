"""Card photos against a real database: re-encoding, receipts used once, mismatches, ownership."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlalchemy import select

from permitcard.db import Database
from permitcard.photos import service as photos
from permitcard.photos.models import Photo
from permitcard.shared.errors import Forbidden, NotFound, ValidationFailed
from permitcard.shared.models import AuditLog
from tests.insurance_factories import jpeg_bytes, make_studio, upload_photo, user_actor


def _exif_with_gps() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0110] = "SecretPhone 9"  # Model
    exif[0x8825] = {1: "N", 2: (22.0, 59.0, 0.0)}  # GPS IFD
    return exif.tobytes()


def test_upload_reencodes_and_strips_every_metadata(db: Database) -> None:
    original = jpeg_bytes(exif=_exif_with_gps())
    assert Image.open(io.BytesIO(original)).getexif()  # the upload does carry EXIF
    assert b"SecretPhone" in original
    number = upload_photo(db, family_name="Garcia", given_names="Maria", passport_number="PA1234567",
                          image=original)
    with db.uow(write=False) as s:
        photo = s.execute(select(Photo).where(Photo.receipt_number == number)).scalar_one()
        stored = photos.photo_jpeg(s, photo_id=photo.id)
    img = Image.open(io.BytesIO(stored))
    assert img.format == "JPEG" and img.size == (413, 531)
    assert not img.getexif()
    assert "exif" not in img.info and "icc_profile" not in img.info and "comment" not in img.info
    assert b"SecretPhone" not in stored and b"Exif" not in stored
    assert stored != original


def test_receipt_is_used_once(db: Database) -> None:
    number = upload_photo(db, family_name="Garcia Lopez", given_names="Maria", passport_number="PA1234567")
    with db.uow() as s:
        photo_id = photos.check_receipt(s, receipt_number=number.lower(), family_name="GARCIA-LOPEZ",
                                        passport_number="pa 1234567")
        assert photos.use_receipt(s, receipt_number=number, family_name="Garcia Lopez",
                                  passport_number="PA1234567", used_for="CA-TEST0001") == photo_id
        s.commit()
    with db.uow() as s, pytest.raises(ValidationFailed) as exc:
        photos.use_receipt(s, receipt_number=number, family_name="Garcia Lopez", passport_number="PA1234567",
                           used_for="CA-TEST0002")
    assert exc.value.errors[0].field == "photo_receipt"
    assert "already been used" in exc.value.errors[0].message
    with db.uow(write=False) as s:
        photo = s.get(Photo, photo_id)
        assert photo is not None and photo.used_for == "CA-TEST0001" and photo.used_at is not None
        assert s.execute(select(AuditLog).where(AuditLog.action == "photo.used")).first()


def test_someone_elses_or_unknown_receipt_is_refused(db: Database) -> None:
    number = upload_photo(db, family_name="Garcia", given_names="Maria", passport_number="PA1234567")
    with db.uow(write=False) as s:
        for family, passport in (("Smith", "PA1234567"), ("Garcia", "PB7654321")):
            with pytest.raises(ValidationFailed) as exc:
                photos.check_receipt(s, receipt_number=number, family_name=family, passport_number=passport)
            assert "belongs to someone else" in exc.value.errors[0].message
        with pytest.raises(ValidationFailed) as exc:
            photos.check_receipt(s, receipt_number="PR-12345", family_name="Garcia", passport_number="PA1234567")
        assert "not a photo receipt number" in exc.value.errors[0].message
    from permitcard.photos.domain import new_receipt_number

    with db.uow(write=False) as s, pytest.raises(ValidationFailed) as exc:
        photos.check_receipt(s, receipt_number=new_receipt_number(), family_name="Garcia",
                             passport_number="PA1234567")
    assert "No photo has this receipt number" in exc.value.errors[0].message


def test_bad_photo_and_fields_are_refused_together(db: Database) -> None:
    studio = user_actor(db, make_studio(db))
    with pytest.raises(ValidationFailed) as exc:
        photos.upload(db, actor=studio, family_name="", given_names="", passport_number="",
                      image=jpeg_bytes(413, 531, fmt="PNG"))
    assert {e.field for e in exc.value.errors} == {"family_name", "passport_number", "file"}
    with db.uow(write=False) as s:
        assert s.execute(select(Photo)).first() is None


def test_only_studios_upload_and_each_sees_its_own(db: Database) -> None:
    a, b = make_studio(db), make_studio(db)
    number = upload_photo(db, studio_email=a, family_name="Garcia", given_names="Maria",
                          passport_number="PA1234567")
    assert photos.get_receipt(db, actor=user_actor(db, a), receipt_number=number).family_name == "Garcia"
    assert photos.list_uploads(db, actor=user_actor(db, a)).total == 1
    assert photos.list_uploads(db, actor=user_actor(db, b)).total == 0
    with pytest.raises(NotFound):
        photos.get_receipt(db, actor=user_actor(db, b), receipt_number=number)
    with pytest.raises(NotFound):
        photos.studio_photo(db, actor=user_actor(db, b), receipt_number=number)
    from tests.insurance_factories import agency_actor

    with pytest.raises(Forbidden):
        photos.upload(db, actor=agency_actor(), family_name="X", given_names="", passport_number="P1234567",
                      image=jpeg_bytes())
