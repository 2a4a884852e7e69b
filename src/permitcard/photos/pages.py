"""HTML: a photo studio's uploads (/studio/photos), the upload form and the printable receipt; the
accredited studios an administrator keeps (/admin/studios)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from permitcard.auth.deps import acting, get_db
from permitcard.db import Database
from permitcard.photos import domain, service, studios
from permitcard.shared import clock
from permitcard.shared.audit import Actor
from permitcard.shared.errors import DomainError, FieldError
from permitcard.shared.limits import allow_body
from permitcard.shared.routes import Routes
from permitcard.shared.web import date_parts, form_data, form_errors, redirect, render

router = Routes(include_in_schema=False)

allow_body("POST", "/studio/photos/new", "photo_upload_max_bytes")
_read = acting("photo.read_own")
_upload = acting("photo.upload")


def _int(raw: str | None) -> int:
    try:
        return max(1, min(int(raw or 1), 100_000))
    except ValueError:
        return 1


@router.get("/studio/photos", response_class=HTMLResponse)
def uploads(request: Request, db: Database = Depends(get_db), actor: Actor = Depends(_read)) -> Response:
    p = request.query_params
    q, used = p.get("q", "")[:100], p.get("used", "")
    used = used if used in ("yes", "no") else ""
    result = service.list_uploads(db, actor=actor, q=q, used=used,
                                  page=_int(p.get("page")))

    def link(page: int) -> str:
        return "/studio/photos?" + urlencode({k: v for k, v in {"q": q, "used": used, "page": page}.items() if v})

    studio = studios.studio_of_account(db, actor=actor)
    return render(request, "photos/list.html", {"result": result, "q": q, "used": used, "link": link,
                                                "studio": studio, "today": clock.today()})


@router.get("/studio/photos/new", response_class=HTMLResponse)
def new(request: Request, actor: Actor = Depends(_upload)) -> Response:
    return render(request, "photos/new.html")


async def _file_bytes(value: Any) -> bytes:
    if isinstance(value, UploadFile):
        return await value.read(domain.MAX_BYTES + 1)
    return b""


@router.post("/studio/photos/new", response_class=HTMLResponse)
async def upload(request: Request, db: Database = Depends(get_db), actor: Actor = Depends(_upload)) -> Response:
    data: dict[str, Any] = dict(await form_data(request))
    image = await _file_bytes(data.pop("file", None))
    values = {k: str(data.get(k) or "") for k in ("family_name", "given_names", "passport_number")}
    try:
        receipt = await run_in_threadpool(
            service.upload, db, actor=actor, family_name=values["family_name"], given_names=values["given_names"],
            passport_number=values["passport_number"], image=image)
    except DomainError as exc:
        return render(request, "photos/new.html", {"values": values}, errors=form_errors(exc, "file"),
                      status_code=exc.status)
    return redirect(f"/studio/photos/{receipt.receipt_number}?done=1")


@router.get("/studio/photos/{receipt_number}", response_class=HTMLResponse)
def receipt(receipt_number: str, request: Request, db: Database = Depends(get_db),
            actor: Actor = Depends(_read)) -> Response:
    r = service.get_receipt(db, actor=actor, receipt_number=receipt_number)
    return render(request, "photos/receipt.html", {"r": r, "done": request.query_params.get("done") == "1"})


@router.get("/studio/photos/{receipt_number}/photo.jpg")
def photo(receipt_number: str, db: Database = Depends(get_db),
          actor: Actor = Depends(_read)) -> Response:
    jpeg = service.studio_photo(db, actor=actor, receipt_number=receipt_number)
    return Response(jpeg, media_type="image/jpeg")


# --- accredited studios, kept by an administrator -------------------------------------------------

_studios = acting("studio.manage")


@router.get("/admin/studios", response_class=HTMLResponse)
def studio_list(request: Request, db: Database = Depends(get_db), actor: Actor = Depends(_studios)) -> Response:
    return render(request, "photos/studios.html", {"studios": studios.list_studios(db), "today": clock.today()})


def _studio_form(request: Request, studio: studios.Studio | None, values: dict[str, str],
                 errors: list[FieldError] | None = None, status_code: int = 200) -> Response:
    return render(request, "photos/studio_form.html", {"studio": studio, "values": values}, errors=errors,
                  status_code=status_code)


def _values(studio: studios.Studio) -> dict[str, str]:
    values = {"name": studio.name, "address": studio.address}
    for prefix, day in (("accredited_from", studio.accredited_from_date), ("accredited_to", studio.accredited_to_date)):
        values.update({f"{prefix}-{k}": v for k, v in date_parts(day).items()})
    return values


@router.get("/admin/studios/new", response_class=HTMLResponse)
def studio_new(request: Request, actor: Actor = Depends(_studios)) -> Response:
    return _studio_form(request, None, {})


@router.post("/admin/studios/new", response_class=HTMLResponse)
async def studio_add(request: Request, db: Database = Depends(get_db),
                     actor: Actor = Depends(_studios)) -> Response:
    data = await form_data(request)
    try:
        studios.save_studio(db, actor=actor, values=data)
    except DomainError as exc:
        return _studio_form(request, None, data, form_errors(exc, "name"), exc.status)
    return redirect("/admin/studios?saved=1")


@router.get("/admin/studios/{studio_id}", response_class=HTMLResponse)
def studio_edit(studio_id: int, request: Request, db: Database = Depends(get_db),
                actor: Actor = Depends(_studios)) -> Response:
    studio = studios.get_studio(db, studio_id=studio_id)
    return _studio_form(request, studio, _values(studio))


@router.post("/admin/studios/{studio_id}", response_class=HTMLResponse)
async def studio_save(studio_id: int, request: Request, db: Database = Depends(get_db),
                      actor: Actor = Depends(_studios)) -> Response:
    data = await form_data(request)
    studio = studios.get_studio(db, studio_id=studio_id)
    try:
        studios.save_studio(db, actor=actor, values=data, studio_id=studio_id,
                            version=int(data.get("version") or 0))
    except DomainError as exc:
        return _studio_form(request, studio, data, form_errors(exc, "name"), exc.status)
    return redirect("/admin/studios?saved=1")
