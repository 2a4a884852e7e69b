"""ORM classes of the photos context: card photos uploaded by accredited studios."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from permitcard.db import Base
from permitcard.shared.crypto import EncryptedBytes


class Photo(Base):
    """One card photo and its receipt. The passport number itself is not kept, only its blind index."""

    __tablename__ = "photo"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    receipt_number: Mapped[str] = mapped_column(String(16), unique=True)
    # auth_user.id of the studio; no foreign key across contexts.
    studio_user_id: Mapped[int] = mapped_column(Integer, index=True)
    family_name: Mapped[str] = mapped_column(String(100))
    given_names: Mapped[str] = mapped_column(String(200), default="")
    passport_hash: Mapped[str] = mapped_column(String(64), index=True)
    # A fresh JPEG re-encoded from the pixels: no EXIF, GPS, ICC profile or comment survives. A face is
    # biometric data: stored encrypted like passports (AES-256-GCM), decrypted only when a role that
    # sees photos asks for it.
    image: Mapped[bytes] = mapped_column(EncryptedBytes)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    used_for: Mapped[str | None] = mapped_column(String(64))


class PhotoStudio(Base):
    """An accredited photo studio, kept by an administrator. Its accounts upload photos only while
    its accreditation runs (from/to are Asia/Shanghai business dates, both days included)."""

    __tablename__ = "photo_studio"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(500), default="")
    accredited_from_date: Mapped[date] = mapped_column(Date)
    accredited_to_date: Mapped[date] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
