"""Card photos: a studio uploads a checked photo and hands out its receipt number; the card side
checks the receipt against the applicant and uses it once (SPEC §4, documents)."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from permitcard.auth import service as auth
from permitcard.auth.views import has_permission
from permitcard.config import get_settings
from permitcard.db import Database
from permitcard.photos import domain, studios
from permitcard.photos.models import Photo
from permitcard.photos.studios import list_studios, studio_by_id  # noqa: F401 - the studios' public face
from permitcard.shared import audit, clock
from permitcard.shared.audit import Actor
from permitcard.shared.crypto import blind_index
from permitcard.shared.errors import N_, TOO_LONG, FieldError, Forbidden, NotFound, ValidationFailed

RECEIPT_FIELD = "photo_receipt"
_PASSPORT_RE = re.compile(r"^[A-Z0-9<]{3,32}$")


@dataclass(frozen=True)
class PhotoReceipt:
    id: int
    receipt_number: str
    family_name: str
    given_names: str
    width: int
    height: int
    size_bytes: int
    created_at: datetime
    used_at: datetime | None
    used_for: str | None

    @property
    def full_name(self) -> str:
        return f"{self.given_names} {self.family_name}".strip()


@dataclass(frozen=True)
class PhotoPage:
    items: list[PhotoReceipt]
    total: int
    page: int
    per_page: int
    used: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def _receipt(p: Photo) -> PhotoReceipt:
    return PhotoReceipt(id=p.id, receipt_number=p.receipt_number, family_name=p.family_name,
                        given_names=p.given_names, width=p.width, height=p.height, size_bytes=len(p.image),
                        created_at=p.created_at, used_at=p.used_at, used_for=p.used_for)


@lru_cache
def _decode_slots(n: int) -> threading.BoundedSemaphore:
    return threading.BoundedSemaphore(max(1, n))


def decode_photo(image: bytes) -> domain.CheckedPhoto:
    """Check and re-encode a photo, at most ``photo_decode_concurrency`` at a time in the process (the
    others wait their turn in their thread). Called in a worker thread, never on the event loop."""
    settings = get_settings()
    with _decode_slots(settings.photo_decode_concurrency):
        return domain.check_photo(image, max_pixels=settings.photo_max_pixels)


def upload(db: Database, *, actor: Actor, family_name: str, given_names: str, passport_number: str,
           image: bytes) -> PhotoReceipt:
    """A studio uploads a photo for one person; it is checked, re-encoded and given a receipt number."""
    if actor.role != "photo_studio" or actor.user_id is None:
        raise Forbidden()
    errors: list[FieldError] = []
    family, given = " ".join(family_name.split()), " ".join(given_names.split())
    passport = re.sub(r"\s+", "", passport_number or "").upper()
    if not family:
        errors.append(FieldError("family_name", N_("Enter the family name as it is in the passport")))
    elif len(family) > 100:
        errors.append(FieldError("family_name", TOO_LONG, {"max_length": 100}))
    if len(given) > 200:
        errors.append(FieldError("given_names", TOO_LONG, {"max_length": 200}))
    if not passport:
        errors.append(FieldError("passport_number", N_("Enter the passport number")))
    elif not _PASSPORT_RE.match(passport):
        errors.append(FieldError("passport_number", N_(
            "Enter the passport number exactly as in the passport: letters and digits only")))
    checked = None
    try:
        checked = decode_photo(image)
    except ValidationFailed as exc:
        errors.extend(exc.errors)
    if errors or checked is None:
        raise ValidationFailed(errors)
    with db.uow() as s:
        studios.check_accredited(s, auth.studio_of(s, actor.user_id))
        number = domain.new_receipt_number()
        while s.execute(select(Photo.id).where(Photo.receipt_number == number)).first() is not None:
            number = domain.new_receipt_number()
        photo = Photo(receipt_number=number, studio_user_id=actor.user_id, family_name=family, given_names=given,
                      passport_hash=blind_index(passport), image=checked.jpeg, width=checked.width,
                      height=checked.height, created_at=clock.now())
        s.add(photo)
        s.flush()
        audit.record(s, actor=actor, action="photo.uploaded", target_type="photo", target_id=photo.id,
                     after={"receipt_number": number, "family_name": family, "width": checked.width,
                            "height": checked.height, "bytes": len(checked.jpeg)})
        s.commit()
        return _receipt(photo)


# --- the card side, inside its unit of work ------------------------------------------------------


def _matching(s: Session, *, receipt_number: str, family_name: str, passport_number: str,
              lock: bool = False) -> Photo:
    number = domain.normalise_receipt(receipt_number)
    if number is None:
        raise ValidationFailed.one(RECEIPT_FIELD, N_(
            "This is not a photo receipt number. Check it: it looks like PR-7K3M9Q2TX"))
    query = select(Photo).where(Photo.receipt_number == number)
    if lock:
        query = query.with_for_update()
    photo = s.execute(query).scalar_one_or_none()
    if photo is None:
        raise ValidationFailed.one(RECEIPT_FIELD, N_(
            "No photo has this receipt number. Check the number on the photo studio's receipt"))
    if photo.used_at is not None:
        raise ValidationFailed.one(RECEIPT_FIELD, N_(
            "This photo receipt has already been used. Ask the photo studio for a new photo"))
    same_passport = bool(passport_number.strip()) and blind_index(passport_number) == photo.passport_hash
    if not same_passport or not domain.names_equal(family_name, photo.family_name):
        raise ValidationFailed.one(RECEIPT_FIELD, N_(
            "This photo receipt belongs to someone else: the family name or passport number does not match"))
    return photo


def check_receipt(s: Session, *, receipt_number: str, family_name: str, passport_number: str) -> int:
    """The photo id if this receipt is unused and belongs to this person; else ValidationFailed."""
    return _matching(s, receipt_number=receipt_number, family_name=family_name,
                     passport_number=passport_number).id


def use_receipt(s: Session, *, receipt_number: str, family_name: str, passport_number: str, used_for: str,
                actor: Actor | None = None) -> int:
    """Check the receipt, then mark it used for ``used_for`` (e.g. a card application reference). Once."""
    photo = _matching(s, receipt_number=receipt_number, family_name=family_name, passport_number=passport_number,
                      lock=True)
    now = clock.now()
    done = s.execute(
        update(Photo).where(Photo.id == photo.id, Photo.used_at.is_(None))
        .values(used_at=now, used_for=used_for[:64]).execution_options(synchronize_session=False)
    )
    if getattr(done, "rowcount", 0) != 1:
        raise ValidationFailed.one(RECEIPT_FIELD, N_(
            "This photo receipt has already been used. Ask the photo studio for a new photo"))
    s.refresh(photo)
    audit.record(s, actor=actor or Actor.system("photos"), action="photo.used", target_type="photo",
                 target_id=photo.id, before={"used_at": None},
                 after={"used_at": now, "used_for": used_for[:64], "receipt_number": photo.receipt_number})
    return photo.id


def photo_jpeg(s: Session, *, photo_id: int) -> bytes:
    photo = s.get(Photo, photo_id)
    if photo is None:
        raise NotFound(N_("No photo with this reference"))
    return bytes(photo.image)


# --- the studio's own pages ----------------------------------------------------------------------


def _scope(actor: Actor) -> int | None:
    """The studio whose photos this reader sees; 0 for every studio (auditors)."""
    if has_permission(actor.role, "photo.read_all"):
        return 0
    if has_permission(actor.role, "photo.read_own") and actor.user_id is not None:
        return actor.user_id
    raise Forbidden()


def list_uploads(db: Database, *, actor: Actor, q: str = "", used: str = "", page: int = 1,
                 per_page: int = 25) -> PhotoPage:
    studio = _scope(actor)
    query = select(Photo)
    if studio:
        query = query.where(Photo.studio_user_id == studio)
    text = q.strip()[:100]
    if text:
        like = f"%{text.replace('%', '').replace('_', '')}%".upper()
        query = query.where(func.upper(Photo.receipt_number).like(like) | func.upper(Photo.family_name).like(like)
                            | func.upper(Photo.given_names).like(like))
    if used == "yes":
        query = query.where(Photo.used_at.is_not(None))
    elif used == "no":
        query = query.where(Photo.used_at.is_(None))
    per_page = min(max(per_page, 1), 200)
    with db.uow(write=False) as s:
        sub = query.subquery()
        total = int(s.execute(select(func.count()).select_from(sub)).scalar_one())
        used_count = int(s.execute(select(func.count()).select_from(sub).where(sub.c.used_at.is_not(None)))
                         .scalar_one())
        pages = max(1, -(-total // per_page))
        page = min(max(page, 1), pages)
        rows = s.execute(query.order_by(Photo.created_at.desc(), Photo.id.desc())
                         .offset((page - 1) * per_page).limit(per_page)).scalars()
        return PhotoPage(items=[_receipt(p) for p in rows], total=total, page=page, per_page=per_page,
                         used=used_count)


def _own(s: Session, actor: Actor, receipt_number: str) -> Photo:
    studio = _scope(actor)
    number = domain.normalise_receipt(receipt_number)
    photo = s.execute(select(Photo).where(Photo.receipt_number == number)).scalar_one_or_none() if number else None
    if photo is None or (studio and photo.studio_user_id != studio):
        raise NotFound(N_("No photo with this receipt number"))
    return photo


def get_receipt(db: Database, *, actor: Actor, receipt_number: str) -> PhotoReceipt:
    with db.uow(write=False) as s:
        return _receipt(_own(s, actor, receipt_number))


def studio_photo(db: Database, *, actor: Actor, receipt_number: str) -> bytes:
    with db.uow(write=False) as s:
        return bytes(_own(s, actor, receipt_number).image)
