"""JSON: a photo studio uploads card photos and lists its own uploads (tag "photos")."""

from __future__ import annotations

from datetime import date
from typing import Literal

from fastapi import Depends, File, Form, Query, UploadFile
from pydantic import Field
from starlette.concurrency import run_in_threadpool

from permitcard.auth.deps import acting, get_db
from permitcard.db import Database
from permitcard.photos import domain, service, studios
from permitcard.photos.schemas import PhotoList, PhotoOut
from permitcard.shared import clock
from permitcard.shared.audit import Actor
from permitcard.shared.limits import allow_body
from permitcard.shared.openapi import errors
from permitcard.shared.routes import Routes
from permitcard.shared.schemas import ApiModel

router = Routes(prefix="/api/v1", tags=["photos"])
allow_body("POST", "/api/v1/photos", "photo_upload_max_bytes")


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
    return _out(await run_in_threadpool(service.upload, db, actor=actor, family_name=family_name,
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


# --- accredited studios, kept by an administrator -------------------------------------------------


class StudioIn(ApiModel):
    name: str = Field(max_length=200)
    address: str = Field(max_length=500)
    accredited_from_date: date = Field(description="First day the studio may upload (Asia/Shanghai)")
    accredited_to_date: date = Field(description="Last day the studio may upload (Asia/Shanghai)")


class StudioChange(StudioIn):
    version: int


class StudioOut(StudioIn):
    id: int
    version: int
    accredited_today: bool


def _studio(v: studios.Studio) -> StudioOut:
    return StudioOut(id=v.id, version=v.version, name=v.name, address=v.address,
                     accredited_from_date=v.accredited_from_date, accredited_to_date=v.accredited_to_date,
                     accredited_today=v.accredited_on(clock.today()))


def _form(body: StudioIn) -> dict[str, str]:
    values = {"name": body.name, "address": body.address}
    for prefix, day in (("accredited_from", body.accredited_from_date), ("accredited_to", body.accredited_to_date)):
        values.update({f"{prefix}-day": str(day.day), f"{prefix}-month": str(day.month),
                       f"{prefix}-year": str(day.year)})
    return values


@router.get("/studios", response_model=list[StudioOut], tags=["onboarding"], responses=errors(401, 403))
def list_studios(db: Database = Depends(get_db), _actor: Actor = Depends(acting("studio.manage"))
                 ) -> list[StudioOut]:
    return [_studio(v) for v in studios.list_studios(db)]


@router.post("/studios", response_model=StudioOut, status_code=201, tags=["onboarding"],
             responses=errors(401, 403, 422))
def add_studio(body: StudioIn, db: Database = Depends(get_db),
               actor: Actor = Depends(acting("studio.manage"))) -> StudioOut:
    """Add an accredited photo studio; studio accounts are then invited for it."""
    return _studio(studios.save_studio(db, actor=actor, values=_form(body)))


@router.put("/studios/{studio_id}", response_model=StudioOut, tags=["onboarding"],
            responses=errors(401, 403, 404, 409, 422))
def change_studio(studio_id: int, body: StudioChange, db: Database = Depends(get_db),
                  actor: Actor = Depends(acting("studio.manage"))) -> StudioOut:
    """Change a studio, e.g. renew its accreditation (an expired one stops new uploads)."""
    return _studio(studios.save_studio(db, actor=actor, values=_form(body),
                                       studio_id=studio_id, version=body.version))
