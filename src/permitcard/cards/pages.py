"""HTML for applicants: home (/my), the online application, status; the card face and photo.

The online application is a row of question pages. Answers so far live in a server-sealed draft
cookie (AES-GCM, HttpOnly, only under /my/card), so every page is POST-redirect-GET, the browser's
back button works and no personal data ever appears in a URL. Staff pages: ``staff_pages``.
"""

from __future__ import annotations

from typing import Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, Response

from permitcard.auth.deps import acting, acting_any, get_db
from permitcard.cards import loss_pages, service, staff_pages, views
from permitcard.cards.card_name import card_name
from permitcard.cards.domain import CHANNEL_LABELS, KIND_LABELS, STATE_LABELS, VIA_LABELS
from permitcard.cards.drafts import clear_draft, read_draft, write_draft
from permitcard.db import Database
from permitcard.shared import i18n
from permitcard.shared.audit import Actor
from permitcard.shared.errors import N_, DomainError, FieldError
from permitcard.shared.routes import Routes
from permitcard.shared.web import form_data, form_errors, redirect, render, templates

router = Routes(include_in_schema=False)
router.include(staff_pages.router)
router.include(loss_pages.router)

READ = ("card.read_own", "card.read_all", "card.read_branch")


def label(table: dict[str, str], key: str | None) -> str:
    return i18n.gettext(table.get(key or "", key or ""))


def promised_text(app: Any, default: str = "—") -> str:
    """The promised date of an application as a reader sees it: the date, the official calendar it
    waits for (approved while that year was unknown), or ``default`` (not approved yet)."""
    if app.promised_date is not None:
        return i18n.format_date(app.promised_date)
    if getattr(app, "promised_calendar_year", None):
        return i18n.gettext("The promised date is set as soon as the official %(year)s calendar is entered.",
                            year=str(app.promised_calendar_year))
    return default


templates.globals.update(
    promised_text=promised_text,
    card_state_label=lambda k: label(STATE_LABELS, k), card_kind_label=lambda k: label(KIND_LABELS, k),
    card_channel_label=lambda k: label(CHANNEL_LABELS, k), card_via_label=lambda k: label(VIA_LABELS, k),
    card_name=card_name,
)


def _next(request: Request, default: str) -> str:
    return "/my/card/apply/check" if request.query_params.get("change") == "1" else default


# --- home -------------------------------------------------------------------------------------------

@router.get("/my", response_class=HTMLResponse)
def my_home(request: Request, db: Database = Depends(get_db),
            actor: Actor = Depends(acting("card.read_own"))) -> Response:
    overview = views.my_overview(db, actor=actor)
    return render(request, "cards/my.html", {"o": overview})


# --- the online application ---------------------------------------------------------------------

@router.get("/my/card/apply", response_class=HTMLResponse)
def apply_start(request: Request, db: Database = Depends(get_db),
                actor: Actor = Depends(acting("card.apply_online"))) -> Response:
    if not actor.permit_number:
        return redirect("/my/link")
    permit, elig = views.eligibility(db, actor=actor)
    return render(request, "cards/apply_start.html", {"permit": permit, "e": elig})


def _branch_options(db: Database) -> list[tuple[str, str, str]]:
    out = []
    for b in views.branch_choices(db):
        hint = b.address + (" · " + i18n.gettext("Same-day cards only in person at the counter, not online")
                            if b.instant_production else "")
        out.append((str(b.id), b.name, hint))
    return out


@router.get("/my/card/apply/branch", response_class=HTMLResponse)
def apply_branch(request: Request, db: Database = Depends(get_db),
                 actor: Actor = Depends(acting("card.apply_online"))) -> Response:
    return render(request, "cards/apply_branch.html", {"options": _branch_options(db), "values": read_draft(request),
                                                       "change": request.query_params.get("change")})


@router.post("/my/card/apply/branch", response_class=HTMLResponse)
async def apply_branch_post(request: Request, db: Database = Depends(get_db),
                            actor: Actor = Depends(acting("card.apply_online"))) -> Response:
    data = await form_data(request)
    choice = data.get("branch_id", "")
    valid = {o[0] for o in _branch_options(db)}
    if choice not in valid:
        errors = [FieldError("branch_id", N_("Choose the branch where you want to collect your card"))]
        return render(request, "cards/apply_branch.html", {"options": _branch_options(db), "values": data,
                      "change": request.query_params.get("change")}, errors=errors, status_code=422)
    draft = read_draft(request) | {"branch_id": choice}
    return write_draft(redirect(_next(request, "/my/card/apply/photo")), draft)


@router.get("/my/card/apply/photo", response_class=HTMLResponse)
def apply_photo(request: Request, actor: Actor = Depends(acting("card.apply_online"))) -> Response:
    return render(request, "cards/apply_photo.html", {"values": read_draft(request),
                                                       "change": request.query_params.get("change")})


@router.post("/my/card/apply/photo", response_class=HTMLResponse)
async def apply_photo_post(request: Request, db: Database = Depends(get_db),
                           actor: Actor = Depends(acting("card.apply_online"))) -> Response:
    data = await form_data(request)
    receipt = data.get("photo_receipt", "").upper()
    try:
        service.check_online_photo(db, actor=actor, photo_receipt=receipt)
    except DomainError as exc:
        return render(request, "cards/apply_photo.html", {"values": data, "change": request.query_params.get("change")},
                      errors=form_errors(exc, "photo_receipt"), status_code=exc.status)
    draft = read_draft(request) | {"photo_receipt": receipt}
    return write_draft(redirect(_next(request, "/my/card/apply/passport")), draft)


@router.get("/my/card/apply/passport", response_class=HTMLResponse)
def apply_passport(request: Request, actor: Actor = Depends(acting("card.apply_online"))) -> Response:
    return render(request, "cards/apply_passport.html", {"values": read_draft(request),
                                                          "change": request.query_params.get("change")})


@router.post("/my/card/apply/passport", response_class=HTMLResponse)
async def apply_passport_post(request: Request, db: Database = Depends(get_db),
                              actor: Actor = Depends(acting("card.apply_online"))) -> Response:
    data = await form_data(request)
    passport = data.get("passport_number", "").upper()
    try:
        service.check_online_passport(db, actor=actor, passport_number=passport)
    except DomainError as exc:
        return render(request, "cards/apply_passport.html",
                      {"values": data, "change": request.query_params.get("change")},
                      errors=form_errors(exc, "passport_number"), status_code=exc.status)
    draft = read_draft(request) | {"passport_number": passport}
    return write_draft(redirect("/my/card/apply/check"), draft)


def _check_context(request: Request, db: Database, actor: Actor) -> dict[str, Any] | None:
    draft = read_draft(request)
    if not all(draft.get(k) for k in ("branch_id", "photo_receipt", "passport_number")):
        return None
    branches = {o[0]: o for o in _branch_options(db)}
    permit, elig = views.eligibility(db, actor=actor)
    return {"draft": draft, "branch": branches.get(draft["branch_id"]), "permit": permit, "e": elig}


@router.get("/my/card/apply/check", response_class=HTMLResponse)
def apply_check(request: Request, db: Database = Depends(get_db),
                actor: Actor = Depends(acting("card.apply_online"))) -> Response:
    ctx = _check_context(request, db, actor)
    if ctx is None:
        return redirect("/my/card/apply/branch")
    return render(request, "cards/apply_check.html", ctx)


@router.post("/my/card/apply/check", response_class=HTMLResponse)
async def apply_send(request: Request, db: Database = Depends(get_db),
                     actor: Actor = Depends(acting("card.apply_online"))) -> Response:
    data = await form_data(request)
    ctx = _check_context(request, db, actor)
    if ctx is None:
        return redirect("/my/card/apply/branch")
    if data.get("declaration") != "yes":
        return render(request, "cards/apply_check.html", ctx, status_code=422, errors=[
            FieldError("declaration", N_("Confirm that the information is correct"))])
    draft = ctx["draft"]
    try:
        app = service.apply_online(db, actor=actor, branch_id=int(draft["branch_id"]),
                                   photo_receipt=draft["photo_receipt"], passport_number=draft["passport_number"])
    except DomainError as exc:
        return render(request, "cards/apply_check.html", ctx, errors=form_errors(exc, "declaration"),
                      status_code=exc.status)
    return clear_draft(redirect(f"/my/applications/{app.id}/confirmation"))


# --- after sending ----------------------------------------------------------------------------------

@router.get("/my/applications/{application_id}/confirmation", response_class=HTMLResponse)
def confirmation(application_id: int, request: Request, db: Database = Depends(get_db),
                 actor: Actor = Depends(acting("card.read_own"))) -> Response:
    d = views.application_detail(db, actor=actor, application_id=application_id)
    return render(request, "cards/confirmation.html", {"d": d})


@router.get("/my/applications/{application_id}", response_class=HTMLResponse)
def status(application_id: int, request: Request, db: Database = Depends(get_db),
           actor: Actor = Depends(acting("card.read_own"))) -> Response:
    d = views.application_detail(db, actor=actor, application_id=application_id)
    return render(request, "cards/application.html", {"d": d})


@router.post("/my/applications/{application_id}/resubmit", response_class=HTMLResponse)
async def resubmit(application_id: int, request: Request, db: Database = Depends(get_db),
                   actor: Actor = Depends(acting("card.apply_online"))) -> Response:
    data = await form_data(request)
    try:
        service.resubmit(db, actor=actor, application_id=application_id, version=_int(data.get("version")),
                         photo_receipt=data.get("photo_receipt", "").upper())
    except DomainError as exc:
        d = views.application_detail(db, actor=actor, application_id=application_id)
        return render(request, "cards/application.html", {"d": d, "values": data},
                      errors=form_errors(exc, "photo_receipt"), status_code=exc.status)
    return redirect(f"/my/applications/{application_id}")


@router.post("/my/applications/{application_id}/cancel", response_class=HTMLResponse)
async def cancel(application_id: int, request: Request, db: Database = Depends(get_db),
                 actor: Actor = Depends(acting("card.apply_online"))) -> Response:
    data = await form_data(request)
    try:
        service.cancel(db, actor=actor, application_id=application_id, version=_int(data.get("version")))
    except DomainError as exc:
        d = views.application_detail(db, actor=actor, application_id=application_id)
        return render(request, "cards/application.html", {"d": d, "values": data},
                      errors=form_errors(exc, "cancel"), status_code=exc.status)
    return redirect(f"/my/applications/{application_id}")


def _int(raw: str | None) -> int:
    try:
        return int(raw or "")
    except ValueError:
        return -1


# --- the card face ----------------------------------------------------------------------------------

@router.get("/cards/{card_id}/face", response_class=HTMLResponse)
def card_face(card_id: int, request: Request, db: Database = Depends(get_db),
              actor: Actor = Depends(acting_any(*READ))) -> Response:
    c = views.card_detail(db, actor=actor, card_id=card_id)
    return render(request, "cards/card_face.html", {"cd": c})


@router.get("/cards/{card_id}/photo.jpg")
def card_photo(card_id: int, db: Database = Depends(get_db),
               actor: Actor = Depends(acting_any(*READ))) -> Response:
    jpeg = views.card_photo(db, actor=actor, card_id=card_id)
    return Response(jpeg, media_type="image/jpeg")  # the middleware adds no-store


@router.get("/card-applications/{application_id}/photo.jpg")
def application_photo(application_id: int, db: Database = Depends(get_db),
                      actor: Actor = Depends(acting_any(*READ))) -> Response:
    jpeg = views.application_photo(db, actor=actor, application_id=application_id)
    return Response(jpeg, media_type="image/jpeg")  # the middleware adds no-store
