"""Accredited photo studios: data an administrator keeps (name, address, accreditation from/to).
A studio account uploads new photos only while its studio's accreditation runs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from permitcard.auth.views import has_permission
from permitcard.db import Database
from permitcard.photos.errors import StudioNotAccredited
from permitcard.photos.models import PhotoStudio
from permitcard.shared import audit, clock
from permitcard.shared.audit import Actor
from permitcard.shared.errors import N_, TOO_LONG, Conflict, Forbidden, NotFound
from permitcard.shared.web import Form


@dataclass(frozen=True)
class Studio:
    id: int
    name: str
    address: str
    accredited_from_date: date
    accredited_to_date: date
    version: int
    created_at: datetime

    def accredited_on(self, day: date) -> bool:
        return self.accredited_from_date <= day <= self.accredited_to_date


def _value(p: PhotoStudio) -> Studio:
    return Studio(p.id, p.name, p.address, p.accredited_from_date, p.accredited_to_date, p.version, p.created_at)


def studio_by_id(s: Session, studio_id: int) -> Studio | None:
    found = s.get(PhotoStudio, studio_id) if studio_id else None
    return _value(found) if found is not None else None


def list_studios(db: Database) -> list[Studio]:
    with db.uow(write=False) as s:
        return [_value(p) for p in s.execute(select(PhotoStudio).order_by(PhotoStudio.name)).scalars()]


def get_studio(db: Database, *, studio_id: int) -> Studio:
    with db.uow(write=False) as s:
        found = studio_by_id(s, studio_id)
        if found is None:
            raise NotFound()
        return found


def _validated(values: dict[str, str]) -> tuple[str, str, date, date]:
    form = Form(values)
    name = " ".join(form.require("name", N_("Enter the studio's name")).split())
    address = form.require("address", N_("Enter the studio's address"))
    start = form.date("accredited_from", required_message=N_("Enter the date the accreditation starts"))
    end = form.date("accredited_to", required_message=N_("Enter the date the accreditation ends"))
    if len(name) > 200:
        form.error("name", TOO_LONG, max_length=200)
    if len(address) > 500:
        form.error("address", TOO_LONG, max_length=500)
    if start and end and end < start:
        form.error("accredited_to", N_("The accreditation must end on or after the day it starts"))
    form.raise_if_errors()
    assert start is not None and end is not None
    return name, address, start, end


def save_studio(db: Database, *, actor: Actor, values: dict[str, str], studio_id: int | None = None,
                version: int | None = None) -> Studio:
    """Add a studio, or change one (its accreditation dates too) seen at ``version``."""
    if not has_permission(actor.role, "studio.manage"):
        raise Forbidden()
    name, address, start, end = _validated(values)
    fields = {"name": name, "address": address, "accredited_from_date": start, "accredited_to_date": end}
    with db.uow() as s:
        if studio_id is None:
            studio = PhotoStudio(version=1, created_at=clock.now(), **fields)
            s.add(studio)
            s.flush()
            audit.record(s, actor=actor, action="photo_studio.added", target_type="photo_studio",
                         target_id=studio.id, after=fields)
        else:
            found = s.get(PhotoStudio, studio_id)
            if found is None:
                raise NotFound()
            if found.version != version:
                raise Conflict()
            before = {k: getattr(found, k) for k in fields}
            done = s.execute(update(PhotoStudio).where(PhotoStudio.id == studio_id, PhotoStudio.version == version)
                             .values(version=found.version + 1, **fields).execution_options(synchronize_session=False))
            if getattr(done, "rowcount", 0) != 1:
                raise Conflict()
            s.refresh(found)
            studio = found
            audit.record(s, actor=actor, action="photo_studio.changed", target_type="photo_studio",
                         target_id=studio.id, before=before, after=fields)
        result = _value(studio)
        s.commit()
        return result


def check_accredited(s: Session, studio_id: int | None) -> Studio:
    """The studio, if its accreditation runs today; else ``StudioNotAccredited``."""
    studio = studio_by_id(s, studio_id or 0)
    if studio is None or not studio.accredited_on(clock.today()):
        raise StudioNotAccredited()
    return studio


def studio_of_account(db: Database, *, actor: Actor) -> Studio | None:
    """The studio a studio account acts for (its pages show the accreditation)."""
    from permitcard.auth import service as auth

    with db.uow(write=False) as s:
        return studio_by_id(s, auth.studio_of(s, actor.user_id) or 0)
