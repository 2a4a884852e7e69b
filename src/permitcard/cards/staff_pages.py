"""HTML for staff: the agency's card queue (with SLA view, CSV) and decision page; the branch queue,
paper intake, hand-over and activation. Included by ``cards.pages``."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from fastapi import Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from permitcard.auth.deps import acting, acting_any, get_db
from permitcard.cards import service, views
from permitcard.cards.domain import STATE_LABELS, AppState, Channel
from permitcard.cards.drafts import BRANCH_COOKIE, BRANCH_PATH, clear_draft, read_draft, write_draft
from permitcard.cards.repository import SORTS, QueueFilter
from permitcard.db import Database
from permitcard.shared import csvexport, forms, i18n
from permitcard.shared.audit import Actor
from permitcard.shared.errors import N_, DomainError, FieldError
from permitcard.shared.routes import Routes
from permitcard.shared.web import check_csrf, claim_form_token, draft_owner, form_data, form_errors, redirect, render

router = Routes(include_in_schema=False)

SORT_LABELS = {
    "-created": N_("Newest first"), "created": N_("Oldest first"), "promised": N_("Promised date"),
    "reference": N_("Reference"), "name": N_("Family name"), "state": N_("Status"),
}


def label(table: dict[str, str], key: str) -> str:
    return i18n.gettext(table.get(key, key))


def _int(raw: str | None) -> int:
    try:
        return int(raw or "")
    except ValueError:
        return -1


def _filter(state: str, channel: str, branch_id: str, q: str) -> QueueFilter:
    states = {s.value for s in AppState}
    bid = _int(branch_id) if branch_id else None
    return QueueFilter(state=state if state in states else "",
                       channel=channel if channel in (Channel.STANDARD, Channel.INSTANT) else "",
                       branch_id=bid if bid and bid > 0 else None, q=q.strip()[:100])


# --- agency ------------------------------------------------------------------------------------------

@router.get("/agency/cards", response_class=HTMLResponse)
def agency_queue(request: Request, db: Database = Depends(get_db),
                 actor: Actor = Depends(acting_any("card.decide", "card.read_all")),
                 state: str = "", channel: str = "", branch_id: str = "", q: str = "",
                 sort: str = "-created", page: int = Query(1, ge=1, le=100000)) -> Response:
    f = _filter(state, channel, branch_id, q)
    sort = sort if sort in SORTS else "-created"
    result = views.queue(db, actor=actor, f=f, sort=sort, page=page, after=request.query_params.get("after"),
                         before=request.query_params.get("before"))
    params = {"state": f.state, "channel": f.channel, "branch_id": f.branch_id or "", "q": f.q, "sort": sort}
    return render(request, "cards/agency_queue.html", {
        "r": result, "f": f, "sort": sort, "sla": views.sla_rows(db, actor=actor),
        "branch_options": [(str(b.id), b.name) for b in views.branch_choices(db)],
        "states_options": [(s.value, label(STATE_LABELS, s.value)) for s in AppState],
        "sort_options": [(k, label(SORT_LABELS, k)) for k in SORT_LABELS],
        "qs": lambda **kw: urlencode({k: v for k, v in (params | kw).items() if v not in ("", None)}),
        "link": lambda **kw: "/agency/cards?" + urlencode({k: v for k, v in (params | kw).items()
                                                           if v not in ("", None)}),
    })


@router.get("/agency/cards.csv")
def agency_export(db: Database = Depends(get_db),
                  actor: Actor = Depends(acting_any("card.decide", "card.read_all")),
                  state: str = "", channel: str = "", branch_id: str = "", q: str = "",
                  sort: str = "-created") -> Response:
    header, rows = views.export_table(db, actor=actor, f=_filter(state, channel, branch_id, q),
                                      sort=sort if sort in SORTS else "-created")
    return csvexport.export(db, actor=actor, what="card_applications", header=header, rows=rows,
                            filename="card-applications.csv",
                            filters={"state": state, "channel": channel, "branch_id": branch_id, "q": q})


def _agency_detail(request: Request, db: Database, actor: Actor, application_id: int, *,
                   values: dict[str, Any] | None = None, errors: Any = None, status_code: int = 200) -> Response:
    d = views.application_detail(db, actor=actor, application_id=application_id)
    return render(request, "cards/agency_detail.html", {"d": d, "values": values or {},
                  "can_decide": views.may_decide(actor)}, errors=errors, status_code=status_code)


@router.get("/agency/cards/{application_id}", response_class=HTMLResponse)
def agency_detail(application_id: int, request: Request, db: Database = Depends(get_db),
                  actor: Actor = Depends(acting_any("card.decide", "card.read_all"))) -> Response:
    return _agency_detail(request, db, actor, application_id)



@router.post("/agency/cards/{application_id}/decision", response_class=HTMLResponse)
async def agency_decide(application_id: int, request: Request, db: Database = Depends(get_db),
                        actor: Actor = Depends(acting("card.decide"))) -> Response:
    data = await form_data(request)
    try:
        service.decide(db, actor=actor, application_id=application_id,
                       version=_int(data.get("version")), action=data.get("action", ""), reason=data.get("reason", ""))
    except DomainError as exc:
        return _agency_detail(request, db, actor, application_id, values=data,
                              errors=form_errors(exc, "action"), status_code=exc.status)
    return redirect(f"/agency/cards/{application_id}")


@router.post("/agency/cards/{application_id}/start-production", response_class=HTMLResponse)
async def agency_start(application_id: int, request: Request, db: Database = Depends(get_db),
                       actor: Actor = Depends(acting("card.decide"))) -> Response:
    data = await form_data(request)
    try:
        service.start_production(db, actor=actor, application_id=application_id,
                                 version=_int(data.get("version")))
    except DomainError as exc:
        return _agency_detail(request, db, actor, application_id, errors=form_errors(exc, "start"),
                              status_code=exc.status)
    return redirect(f"/agency/cards/{application_id}")


# --- branch ------------------------------------------------------------------------------------------

@router.get("/branch", response_class=HTMLResponse)
def branch_home(request: Request, db: Database = Depends(get_db),
                actor: Actor = Depends(acting("card.branch_work"))) -> Response:
    return render(request, "cards/branch_queue.html", {"b": views.branch_queue(db, actor=actor),
                                                       "sla": views.sla_rows(db, actor=actor)})


async def _branch_action(request: Request, db: Database, actor: Actor, application_id: int,
                         action: str) -> Response:
    data = await form_data(request)
    version = _int(data.get("version"))
    try:
        if action == "confirm":
            service.confirm_receipt(db, actor=actor, application_id=application_id, version=version)
        elif action == "instant":
            service.produce_instant(db, actor=actor, application_id=application_id, version=version)
        elif action == "hand_over":
            service.hand_over(db, actor=actor, application_id=application_id, version=version,
                              passport_number=data.get("passport_number", ""))
        else:
            service.cancel(db, actor=actor, application_id=application_id, version=version)
    except DomainError as exc:
        field = "passport_number" if action == "hand_over" else action
        return _branch_detail(request, db, actor, application_id, values=data, errors=form_errors(exc, field),
                              status_code=exc.status)
    return redirect(f"/branch/applications/{application_id}")


@router.post("/branch/applications/{application_id}/confirm-receipt", response_class=HTMLResponse)
async def branch_confirm(application_id: int, request: Request, db: Database = Depends(get_db),
                         actor: Actor = Depends(acting("card.branch_work"))) -> Response:
    return await _branch_action(request, db, actor, application_id, "confirm")


@router.post("/branch/applications/{application_id}/produce-instant", response_class=HTMLResponse)
async def branch_instant(application_id: int, request: Request, db: Database = Depends(get_db),
                         actor: Actor = Depends(acting("card.branch_work"))) -> Response:
    return await _branch_action(request, db, actor, application_id, "instant")


@router.post("/branch/applications/{application_id}/hand-over", response_class=HTMLResponse)
async def branch_hand_over(application_id: int, request: Request, db: Database = Depends(get_db),
                           actor: Actor = Depends(acting("card.branch_work"))) -> Response:
    return await _branch_action(request, db, actor, application_id, "hand_over")


@router.post("/branch/applications/{application_id}/cancel", response_class=HTMLResponse)
async def branch_cancel(application_id: int, request: Request, db: Database = Depends(get_db),
                        actor: Actor = Depends(acting("card.branch_work"))) -> Response:
    return await _branch_action(request, db, actor, application_id, "cancel")


@router.post("/branch/cards/{card_id}/activate", response_class=HTMLResponse)
async def branch_activate(card_id: int, request: Request, db: Database = Depends(get_db),
                          actor: Actor = Depends(acting("card.branch_work"))) -> Response:
    data = await form_data(request)
    card = views.card_detail(db, actor=actor, card_id=card_id)
    app_id = card.card.application_id or 0
    try:
        service.activate(db, actor=actor, card_id=card_id, version=_int(data.get("version")),
                         passport_number=data.get("activate_passport_number", ""))
    except DomainError as exc:
        return _branch_detail(request, db, actor, app_id, values=data,
                              errors=form_errors(exc, "activate_passport_number"), status_code=exc.status)
    return redirect(f"/branch/applications/{app_id}")


def _branch_detail(request: Request, db: Database, actor: Actor, application_id: int, *,
                   values: dict[str, Any] | None = None, errors: Any = None, status_code: int = 200) -> Response:
    d = views.application_detail(db, actor=actor, application_id=application_id)
    if errors:
        errors = [e if e.field != "passport_number" or "activate_passport_number" not in (values or {})
                  else type(e)("activate_passport_number", e.message, e.params) for e in errors]
    return render(request, "cards/branch_detail.html", {"d": d, "values": values or {}}, errors=errors,
                  status_code=status_code)


@router.get("/branch/applications/new", response_class=HTMLResponse)
def branch_new(request: Request, db: Database = Depends(get_db),
               actor: Actor = Depends(acting("card.apply_at_branch"))) -> Response:
    branch = views.own_branch(db, actor=actor)
    values = read_draft(request, BRANCH_COOKIE) if request.query_params.get("change") == "1" else {}
    return render(request, "cards/branch_new.html", {"branch": branch, "values": values})


@router.post("/branch/applications/new", response_class=HTMLResponse)
async def branch_new_post(request: Request, db: Database = Depends(get_db),
                          actor: Actor = Depends(acting("card.apply_at_branch"))) -> Response:
    data = await form_data(request)
    data["permit_number"] = data.get("permit_number", "").upper()
    data["passport_number"] = data.get("passport_number", "").upper()
    data["photo_receipt"] = data.get("photo_receipt", "").upper()
    try:
        service.check_branch_form(db, actor=actor, **_branch_args(data))
    except DomainError as exc:
        return render(request, "cards/branch_new.html", {"branch": views.own_branch(db, actor=actor),
                      "values": data}, errors=form_errors(exc, "permit_number"), status_code=exc.status)
    return write_draft(redirect("/branch/applications/new/check"), data, cookie=BRANCH_COOKIE,
                       path=BRANCH_PATH)


def _branch_args(data: dict[str, str]) -> dict[str, Any]:
    return {"permit_number": data.get("permit_number", ""), "family_name": data.get("family_name", ""),
            "given_names": data.get("given_names", ""), "passport_number": data.get("passport_number", ""),
            "passport_checked": data.get("passport_checked") == "yes",
            "photo_receipt": data.get("photo_receipt", ""), "channel": data.get("channel", "")}


@router.get("/branch/applications/new/check", response_class=HTMLResponse)
def branch_check(request: Request, db: Database = Depends(get_db),
                 actor: Actor = Depends(acting("card.apply_at_branch"))) -> Response:
    draft = read_draft(request, BRANCH_COOKIE)
    if not draft.get("permit_number"):
        return redirect("/branch/applications/new")
    return render(request, "cards/branch_check.html", {
        "draft": draft, "branch": views.own_branch(db, actor=actor)})


@router.post("/branch/applications/new/check", response_class=HTMLResponse)
async def branch_send(request: Request, db: Database = Depends(get_db),
                      actor: Actor = Depends(acting("card.apply_at_branch"))) -> Response:
    await form_data(request)
    draft = read_draft(request, BRANCH_COOKIE)
    if not draft.get("permit_number"):
        return redirect("/branch/applications/new")
    try:
        app = service.apply_at_branch(db, actor=actor, **_branch_args(draft),
                                      locale=draft.get("language") or i18n.DEFAULT)
    except DomainError as exc:
        return render(request, "cards/branch_new.html", {"branch": views.own_branch(db, actor=actor),
                      "values": draft}, errors=form_errors(exc, "permit_number"), status_code=exc.status)
    return clear_draft(redirect(f"/branch/applications/{app.id}/confirmation"), cookie=BRANCH_COOKIE,
                       path=BRANCH_PATH)


@router.get("/branch/applications/{application_id}/confirmation", response_class=HTMLResponse)
def branch_confirmation(application_id: int, request: Request, db: Database = Depends(get_db),
                        actor: Actor = Depends(acting("card.branch_work"))) -> Response:
    d = views.application_detail(db, actor=actor, application_id=application_id)
    return render(request, "cards/branch_confirmation.html", {"d": d})


@router.get("/branch/applications/{application_id}", response_class=HTMLResponse)
def branch_detail(application_id: int, request: Request, db: Database = Depends(get_db),
                  actor: Actor = Depends(acting("card.branch_work"))) -> Response:
    return _branch_detail(request, db, actor, application_id)


# --- branch: bulk receipt of a delivery from the card vendor ----------------------------------------

def _selected(values: list[str]) -> list[tuple[int, int]]:
    """``"<application id>:<version>"`` pairs from the checkboxes; anything else is ignored."""
    out = []
    for raw in values[:200]:
        app_id, _, version = str(raw).partition(":")
        if app_id.isdigit() and version.isdigit():
            out.append((int(app_id), int(version)))
    return out


@router.post("/branch/receipts", response_class=HTMLResponse)
async def branch_receipts(request: Request, db: Database = Depends(get_db),
                          actor: Actor = Depends(acting("card.branch_work"))) -> Response:
    """Confirm the receipt of several cards at once: select, confirm on a second page, then each
    card is confirmed in its own unit of work (one that someone else moved meanwhile is reported)."""
    form = await request.form()
    check_csrf(request, str(form.get("csrf_token") or ""))
    if form.get("step") == "confirm":
        await claim_form_token(request, str(form.get("form_token") or ""))
    chosen = _selected([str(v) for v in form.getlist("application")])
    queue = views.branch_queue(db, actor=actor)
    waiting = {a.id: a for a in queue.to_confirm}
    chosen = [(i, v) for i, v in chosen if i in waiting]
    if not chosen:
        error = FieldError("receipts", N_("Select the cards that have arrived"))
        return render(request, "cards/branch_queue.html", {"b": queue, "sla": views.sla_rows(db, actor=actor)},
                      errors=[error], status_code=422)
    if form.get("step") != "confirm":
        return render(request, "cards/branch_receipts.html", {"chosen": [(waiting[i], v) for i, v in chosen]})
    done, failed = [], []
    for app_id, version in chosen:
        try:
            done.append(service.confirm_receipt(db, actor=actor, application_id=app_id, version=version))
        except DomainError as exc:
            failed.append((waiting[app_id], i18n.translate(exc.message, exc.params)))
    result = {"done": json.dumps([[a.id, a.reference, f"{a.given_names} {a.family_name}"] for a in done]),
              "failed": json.dumps([[a.id, a.reference, message] for a, message in failed])}
    draft = await run_in_threadpool(forms.save_draft, db, path=RECEIPTS_DONE, values=result, errors=[],
                                    owner=draft_owner(request))
    return redirect(f"{RECEIPTS_DONE}?draft={draft}")


RECEIPTS_DONE = "/branch/receipts/done"


@router.get(RECEIPTS_DONE, response_class=HTMLResponse)
def branch_receipts_done(request: Request, draft: str = "", db: Database = Depends(get_db),
                         actor: Actor = Depends(acting("card.branch_work"))) -> Response:
    """What the bulk confirmation did (a GET page: reload and Back change nothing)."""
    found = forms.load_draft(db, draft, path=RECEIPTS_DONE, owner=draft_owner(request)) if draft else None
    if found is None:
        return redirect("/branch")
    values = found[0]
    return render(request, "cards/branch_receipts_done.html",
                  {"done": json.loads(values.get("done", "[]")), "failed": json.loads(values.get("failed", "[]"))})
