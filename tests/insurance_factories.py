"""Builders for tests that need an SSN or a card photo (insurance, photos, cards, e-card, e2e).

Everything goes through the real services.
"""

from __future__ import annotations

import io
import uuid

from PIL import Image

from permitcard.auth.domain import Role
from permitcard.auth.repository import user_by_email
from permitcard.db import Database
from permitcard.insurance import service as insurance
from permitcard.photos import service as photos
from permitcard.shared.audit import Actor
from permitcard.shared.registry import PermitInfo
from tests.factories import PASSWORD, SYSTEM, create_account


def jpeg_bytes(width: int = 413, height: int = 531, *, color: tuple[int, int, int] = (205, 185, 165),
               exif: bytes | None = None, fmt: str = "JPEG") -> bytes:
    """A plain photo made by Pillow (413×531 px is 35×45 mm at 300 dpi)."""
    img = Image.new("RGB", (width, height), color)
    for y in range(height // 4, height // 2):  # a darker "face" so the picture is not uniform
        for x in range(width // 3, 2 * width // 3, 4):
            img.putpixel((x, y), (120, 90, 70))
    buf = io.BytesIO()
    kwargs: dict[str, object] = {"quality": 90} if fmt == "JPEG" else {}
    if exif is not None:
        kwargs["exif"] = exif
    img.save(buf, format=fmt, **kwargs)
    return buf.getvalue()


def user_actor(db: Database, email: str) -> Actor:
    with db.uow(write=False) as s:
        u = user_by_email(s, email)
        assert u is not None, email
        return Actor(user_id=u.id, role=u.role, label=u.email, employer_id=u.employer_id, branch_id=u.branch_id,
                     permit_number=u.permit_number)


def make_studio(db: Database, *, email: str | None = None) -> str:
    """A photo studio account (password factories.PASSWORD); returns its e-mail."""
    email = email or f"studio-{uuid.uuid4().hex[:8]}@example.com"
    with db.uow() as s:
        create_account(s, email=email, password=PASSWORD, role=Role.PHOTO_STUDIO, display_name="Studio", actor=SYSTEM)
        s.commit()
    return email


def make_agency_clerk(db: Database, *, email: str | None = None) -> str:
    email = email or f"agency-{uuid.uuid4().hex[:8]}@example.com"
    with db.uow() as s:
        create_account(s, email=email, password=PASSWORD, role=Role.AGENCY_CLERK, display_name="Agency clerk",
                    actor=SYSTEM)
        s.commit()
    return email


def upload_photo(db: Database, *, studio_email: str | None = None, family_name: str, given_names: str,
                 passport_number: str, image: bytes | None = None) -> str:
    """Upload a good photo for this person; returns the receipt number."""
    studio_email = studio_email or make_studio(db)
    receipt = photos.upload(db, actor=user_actor(db, studio_email), family_name=family_name,
                            given_names=given_names, passport_number=passport_number,
                            image=image if image is not None else jpeg_bytes())
    return receipt.receipt_number


def photo_for(db: Database, permit_info: PermitInfo, *, studio_email: str | None = None) -> str:
    """A receipt number for the holder of this permit."""
    return upload_photo(db, studio_email=studio_email, family_name=permit_info.family_name,
                        given_names=permit_info.given_names, passport_number=permit_info.passport_number)


def agency_actor(label: str = "agency-test@example.com") -> Actor:
    return Actor(user_id=None, role=Role.AGENCY_CLERK.value, label=label)


def register_for_ssn(db: Database, permit_info: PermitInfo, *, actor: Actor | None = None) -> str:
    """Register the holder of this (valid) permit at the agency counter; returns their SSN."""
    result = insurance.register(db, actor=actor or agency_actor(), notice_number=permit_info.notice_number,
                                permit_number=permit_info.permit_number, family_name=permit_info.family_name,
                                given_names=permit_info.given_names, passport_number=permit_info.passport_number)
    assert result.ssn is not None, result
    return result.ssn
