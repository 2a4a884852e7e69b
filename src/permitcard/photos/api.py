"""JSON: a photo studio uploads card photos and lists its own uploads (tag "photos")."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, File, Form, Query, UploadFile

from permitcard.auth.deps import acting, get_db
from permitcard.db import Database
from permitcard.photos import domain, service
from permitcard.photos.schemas import PhotoList, PhotoOut
from permitcard.shared.audit import Actor
from permitcard.shared.openapi import errors

router = APIRouter(prefix="/api/v1", tags=["photos"])


def _out(r: service.PhotoReceipt) -> PhotoOut:
    return PhotoOut(receipt_number=r.receipt_number, family_name=r.family_name, given_names=r.given_names,
                    width=r.width, height=r.height, size_bytes=r.size_bytes, created_at=r.created_at,
                    used=r.used_at is not None, used_at=r.used_at)


async def read_limited(upload: UploadFile | None) -> bytes:
    """The file's bytes, but never more than one byte past the limit (enough to refuse it)."""
    if upload is None:
        return b""
    return await upload.read(domain.MAX_BYTES + 1)


@router.post("/photos", response_model=PhotoOut, status_code=201, responses=errors(401, 403, 422))
async def upload(
    family_name: str = Form(max_length=100), given_names: str = Form(default="", max_length=200),
    passport_number: str = Form(max_length=32), file: UploadFile = File(description="The photo: a JPEG file"),
    db: Database = Depends(get_db), actor: Actor = Depends(acting("photo.upload")),
) -> PhotoOut:
    """Upload a card photo for one person (ICAO 9303: JPEG, at least 354×472 px, portrait, under 1 MB).
    The stored photo is re-encoded without any metadata. Give the returned `receipt_number` to the
    applicant."""
    data = await read_limited(file)
    return _out(service.upload(db, actor=actor, family_name=family_name,
                               given_names=given_names, passport_number=passport_number, image=data))


@router.get("/photos", response_model=PhotoList, responses=errors(401, 403, 422))
def photos(db: Database = Depends(get_db),
           actor: Actor = Depends(acting("photo.read_own")),
           q: str = Query(default="", max_length=100), used: Literal["", "yes", "no"] = "",
           page: int = Query(default=1, ge=1, le=100000), per_page: int = Query(default=25, ge=1, le=200)) -> PhotoList:
    """This studio's own uploads, newest first."""
    result = service.list_uploads(db, actor=actor, q=q, used=used, page=page,
                                  per_page=per_page)
    return PhotoList(items=[_out(r) for r in result.items], total=result.total, used=result.used,
                     page=result.page, per_page=result.per_page, pages=result.pages)
