"""HTML for lost and damaged cards: the worker's card page (report loss, restore, replacement), the
branch counter (find a holder's cards by passport, report, restore, enter a replacement), the fee at
the counter and its receipt, and the branch's daily fee report (page and CSV). Included by ``cards.pages``.

Every form is POST-redirect-GET. The counter keeps the permit and passport numbers it was given in a
sealed cookie (never in a URL), so after an action it shows the holder's cards again.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, Response

from permitcard.auth.deps import acting, acting_any, get_db
from permitcard.cards import fee_report, service, views
from permitcard.cards.domain import METHOD_LABELS, REASON_LABELS, LossChannel
from permitcard.cards.drafts import clear_draft, read_draft, write_draft
from permitcard.db import Database
from permitcard.shared import csvexport, i18n, money
from permitcard.shared.audit import Actor
from permitcard.shared.errors import N_, DomainError, FieldError
from permitcard.shared.routes import Routes
from permitcard.shared.web import form_data, form_errors, redirect, render, templates

router = Routes(include_in_schema=False)

COUNTER_COOKIE, COUNTER_PATH = "pc_counter", "/branch/counter"
READ = ("card.read_own", "card.read_all", "card.read_branch")

DONE_MESSAGES = {
    "lost": N_("The loss is recorded: the card is suspended and the holder has been told."),
    "restored": N_("The card is active again."),
}

templates.globals.update(
    card_reason_label=lambda k: i18n.gettext(REASON_LABELS.get(k or "", k or "")),
    card_method_label=lambda k: i18n.gettext(METHOD_LABELS.get(k or "", k or "")),
    format_fen=lambda fen: money.format_fen(fen, i18n.babel_locale().language),
    card_method_options=lambda: [(k, i18n.gettext(v)) for k, v in METHOD_LABELS.items()],
)


def _int(raw: str | None) -> int:
    try:
        return int(raw or "")
    except ValueError:
        return -1


def reason_options() -> list[tuple[str, str]]:
    return [(k, i18n.gettext(v)) for k, v in REASON_LABELS.items()]


# --- the worker's card -------------------------------------------------------------------------------------

def _my_card(request: Request, db: Database, actor: Actor, card_id: int, *, values: dict[str, str] | None = None,
             errors: Any = None, status_code: int = 200, template: str = "cards/my_card.html") -> Response:
    mc = views.my_card(db, actor=actor, card_id=card_id)
    return render(request, template, {"mc": mc, "values": values or {}, "reasons": reason_options(),
                                      "branch_options": [(str(b.id), b.name) for b in mc.branches]},
                  errors=errors, status_code=status_code)


@router.get("/my/cards/{card_id}", response_class=HTMLResponse)
def my_card(card_id: int, request: Request, db: Database = Depends(get_db),
            actor: Actor = Depends(acting("card.report_loss"))) -> Response:
    return _my_card(request, db, actor, card_id)


@router.post("/my/cards/{card_id}/report-loss", response_class=HTMLResponse)
async def my_report_loss(card_id: int, request: Request, db: Database = Depends(get_db),
                         actor: Actor = Depends(acting("card.report_loss"))) -> Response:
    data = await form_data(request)
    if data.get("confirm") != "yes":
        return _my_card(request, db, actor, card_id, values=data, status_code=422, errors=[
            FieldError("confirm", N_("Tick the box to confirm that the card is lost"))])
    try:
        service.report_loss(db, actor=actor, card_id=card_id,
                            version=_int(data.get("version")), channel=LossChannel.ONLINE)
    except DomainError as exc:
        return _my_card(request, db, actor, card_id, values=data, errors=form_errors(exc, "confirm"),
                        status_code=exc.status)
    return redirect(f"/my/cards/{card_id}")


@router.post("/my/cards/{card_id}/restore", response_class=HTMLResponse)
async def my_restore(card_id: int, request: Request, db: Database = Depends(get_db),
                     actor: Actor = Depends(acting("card.report_loss"))) -> Response:
    data = await form_data(request)
    try:
        service.restore(db, actor=actor, card_id=card_id, version=_int(data.get("version")))
    except DomainError as exc:
        return _my_card(request, db, actor, card_id, values=data, errors=form_errors(exc, "restore"),
                        status_code=exc.status)
    return redirect(f"/my/cards/{card_id}")


@router.get("/my/cards/{card_id}/replace", response_class=HTMLResponse)
def my_replace(card_id: int, request: Request, db: Database = Depends(get_db),
               actor: Actor = Depends(acting("card.report_loss"))) -> Response:
    return _my_card(request, db, actor, card_id, template="cards/replace.html")


@router.post("/my/cards/{card_id}/replace", response_class=HTMLResponse)
async def my_replace_post(card_id: int, request: Request, db: Database = Depends(get_db),
                          actor: Actor = Depends(acting("card.report_loss"))) -> Response:
    data = await form_data(request)
    errors = []
    if data.get("reason") not in REASON_LABELS:
        errors.append(FieldError("reason", N_("Choose whether the card was lost or damaged")))
    if _int(data.get("branch_id")) < 1:
        errors.append(FieldError("branch_id", N_("Choose the branch where you want to collect your card")))
    if data.get("declaration") != "yes":
        errors.append(FieldError("declaration", N_("Confirm that you will pay the fee at the branch")))
    if errors:
        return _my_card(request, db, actor, card_id, values=data, errors=errors, status_code=422,
                        template="cards/replace.html")
    try:
        app = service.apply_replacement(db, actor=actor, card_id=card_id,
                                        reason=data["reason"], branch_id=_int(data.get("branch_id")))
    except DomainError as exc:
        return _my_card(request, db, actor, card_id, values=data, errors=form_errors(exc, "reason"),
                        status_code=exc.status, template="cards/replace.html")
    return redirect(f"/my/applications/{app.id}/confirmation")


# --- receipts -----------------------------------------------------------------------------------------------

@router.get("/my/applications/{application_id}/receipt", response_class=HTMLResponse)
def my_receipt(application_id: int, request: Request, db: Database = Depends(get_db),
               actor: Actor = Depends(acting_any(*READ))) -> Response:
    d = views.application_detail(db, actor=actor, application_id=application_id)
    return render(request, "cards/receipt.html", {"d": d, "back": f"/my/applications/{application_id}"})


@router.get("/branch/applications/{application_id}/receipt", response_class=HTMLResponse)
def branch_receipt(application_id: int, request: Request, db: Database = Depends(get_db),
                   actor: Actor = Depends(acting("card.collect_fee"))) -> Response:
    d = views.application_detail(db, actor=actor, application_id=application_id)
    return render(request, "cards/receipt.html", {"d": d, "back": f"/branch/applications/{application_id}"})


@router.post("/branch/applications/{application_id}/payment", response_class=HTMLResponse)
async def branch_payment(application_id: int, request: Request, db: Database = Depends(get_db),
                         actor: Actor = Depends(acting("card.collect_fee"))) -> Response:
    data = await form_data(request)
    try:
        service.record_payment(db, actor=actor, application_id=application_id, amount=data.get("amount", ""),
                               method=data.get("method", ""))
    except DomainError as exc:
        d = views.application_detail(db, actor=actor, application_id=application_id)
        return render(request, "cards/branch_detail.html", {"d": d, "values": data},
                      errors=form_errors(exc, "amount"), status_code=exc.status)
    return redirect(f"/branch/applications/{application_id}/receipt")


# --- the counter: any issuing branch, with the passport in hand ---------------------------------------------

def _counter(request: Request, db: Database, actor: Actor, values: dict[str, str], *, errors: Any = None,
             status_code: int = 200, done: str = "") -> Response:
    found = None
    if values.get("permit_number") and not errors:
        try:
            found = service.find_at_counter(db, actor=actor, permit_number=values.get("permit_number", ""),
                                            passport_number=values.get("passport_number", ""),
                                            passport_checked=values.get("passport_checked") == "yes")
        except DomainError as exc:
            errors, status_code = form_errors(exc, "permit_number"), exc.status
    return render(request, "cards/counter.html", {
        "found": found, "values": values, "done": DONE_MESSAGES.get(done, ""), "reasons": reason_options(),
        "branch": views.own_branch(db, actor=actor)}, errors=errors, status_code=status_code)


@router.get("/branch/counter", response_class=HTMLResponse)
def counter(request: Request, db: Database = Depends(get_db),
            actor: Actor = Depends(acting("card.report_loss"))) -> Response:
    draft = read_draft(request, COUNTER_COOKIE)
    return _counter(request, db, actor, draft, done=draft.pop("done", ""))


@router.post("/branch/counter", response_class=HTMLResponse)
async def counter_find(request: Request, db: Database = Depends(get_db),
                       actor: Actor = Depends(acting("card.report_loss"))) -> Response:
    data = await form_data(request)
    values = {"permit_number": data.get("permit_number", "").upper(),
              "passport_number": data.get("passport_number", "").upper(),
              "passport_checked": data.get("passport_checked", "")}
    try:
        service.find_at_counter(db, actor=actor, permit_number=values["permit_number"],
                                passport_number=values["passport_number"],
                                passport_checked=values["passport_checked"] == "yes")
    except DomainError as exc:
        return _counter(request, db, actor, values, errors=form_errors(exc, "permit_number"), status_code=exc.status)
    return write_draft(redirect(COUNTER_PATH), values, cookie=COUNTER_COOKIE, path=COUNTER_PATH)


@router.post("/branch/counter/new", response_class=HTMLResponse)
async def counter_clear(request: Request, actor: Actor = Depends(acting("card.report_loss"))) -> Response:
    await form_data(request)
    return clear_draft(redirect(COUNTER_PATH), cookie=COUNTER_COOKIE, path=COUNTER_PATH)


@router.post("/branch/counter/cards/{card_id}/{action}", response_class=HTMLResponse)
async def counter_action(card_id: int, action: str, request: Request, db: Database = Depends(get_db),
                         actor: Actor = Depends(acting("card.report_loss"))) -> Response:
    data = await form_data(request)
    draft = read_draft(request, COUNTER_COOKIE)
    passport, version = draft.get("passport_number", ""), _int(data.get("version"))
    if not draft.get("permit_number"):
        return redirect(COUNTER_PATH)
    try:
        if action == "report-loss":
            service.report_loss(db, actor=actor, card_id=card_id, version=version, channel=LossChannel.BRANCH,
                                passport_number=passport)
            done = "lost"
        elif action == "restore":
            service.restore(db, actor=actor, card_id=card_id, version=version, channel=LossChannel.BRANCH,
                            passport_number=passport)
            done = "restored"
        elif action == "replace":
            app = service.apply_replacement(db, actor=actor, card_id=card_id, reason=data.get("reason", ""),
                                            channel=data.get("channel", "standard"), passport_number=passport)
            return clear_draft(redirect(f"/branch/applications/{app.id}"), cookie=COUNTER_COOKIE, path=COUNTER_PATH)
        else:
            return redirect(COUNTER_PATH)
    except DomainError as exc:
        field = f"{action}-{card_id}"
        return _counter(request, db, actor, {**draft, **data}, status_code=exc.status,
                        errors=[FieldError(field, e.message, e.params) for e in form_errors(exc, field)])
    return write_draft(redirect(COUNTER_PATH), {**draft, "done": done}, cookie=COUNTER_COOKIE, path=COUNTER_PATH)


# --- the daily fee report -----------------------------------------------------------------------------------

def _day(raw: str) -> date:
    try:
        return date.fromisoformat(raw)
    except ValueError:
        return views.today()


@router.get("/branch/fees", response_class=HTMLResponse)
def fees(request: Request, day: str = "", db: Database = Depends(get_db),
         actor: Actor = Depends(acting("card.collect_fee"))) -> Response:
    d = _day(day)
    report = fee_report.fee_report(db, actor=actor, day=d)
    return render(request, "cards/fee_report.html", {
        "r": report, "previous": (d - timedelta(days=1)).isoformat(), "next": (d + timedelta(days=1)).isoformat(),
        "is_today": d >= views.today()})


@router.get("/branch/fees.csv")
def fees_csv(day: str = "", db: Database = Depends(get_db),
             actor: Actor = Depends(acting("card.collect_fee"))) -> Response:
    d = _day(day)
    header, rows = fee_report.csv_table(fee_report.fee_report(db, actor=actor, day=d))
    return csvexport.export(db, actor=actor, what="card_fee_report", header=header, rows=rows,
                            filename=f"fees-{d.isoformat()}.csv", filters={"day": d.isoformat()})
