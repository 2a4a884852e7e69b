"""HTML: an employer changes its permits (extension, modification, cancellation, electronic permit of a
paper permit), follows and corrects the change; everyone allowed reads a permit's history. Officers
decide changes on the same page as new applications (``pages``). Included by ``pages``."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, Response

from permitcard.auth.deps import acting, get_db
from permitcard.db import Database
from permitcard.permits import change_service, change_views, domain, service, views
from permitcard.permits.changes_domain import CHANGE_KINDS, KIND_LABELS, Kind
from permitcard.permits.domain import CATEGORY_LABELS, STATE_LABELS, State
from permitcard.shared import i18n
from permitcard.shared.audit import Actor
from permitcard.shared.errors import N_, Conflict, DomainError, FieldError, NotFound
from permitcard.shared.i18n import gettext as _
from permitcard.shared.routes import Routes
from permitcard.shared.web import Form, date_parts, form_data, form_errors, redirect, render, templates

router = Routes(include_in_schema=False)
_read = acting("permit.read_employer")
_write = acting("permit.apply")

DATES = {
    "requested_end_date": N_("Enter the date the permit should be valid until"),
    "contract_end_date": N_("Enter the date the contract ends"),
    "passport_expiry_date": N_("Enter the date the passport expires"),
    "change_date": N_("Enter the date of the change"),
}
KIND_DATES: dict[str, tuple[str, ...]] = {
    Kind.EXTENSION: ("requested_end_date", "contract_end_date", "passport_expiry_date"),
    Kind.MODIFICATION: ("change_date", "passport_expiry_date"),
    Kind.CANCELLATION: ("change_date",),
    Kind.ELECTRONIC: (),
}
OPTIONAL_DATES = {(Kind.MODIFICATION, "passport_expiry_date")}
TEXTS = ("permit_number", "family_name", "given_names", "passport_number", "position", "category", "employer_uscc")
HISTORY_LABELS = {
    "family_name": N_("Family name"), "given_names": N_("Given names"), "passport": N_("Passport number"),
    "employer_id": N_("Employer"), "category": N_("Permit category"), "position": N_("Position"),
    "valid_from": N_("Valid from"), "valid_to": N_("Permit valid until"), "status": N_("Status"),
    "origin": N_("Form of the permit"),
}
VERSION_TITLES: dict[str, str] = {"issued": N_("Permit issued"), "expired": N_("Permit expired"),
                                  "imported_paper": N_("Paper work permit, issued before 1 December 2024"),
                                  **{k.value: v for k, v in KIND_LABELS.items()}}
VALUE_LABELS = {"valid": N_("Valid"), "cancelled": N_("Cancelled"), "expired": N_("Expired"),
                "paper": N_("Paper permit"), "electronic": N_("Electronic permit")}


def kind_label(kind: str) -> str:
    return _(KIND_LABELS[Kind(kind)]) if kind in {k.value for k in Kind} else kind


templates.globals["permit_kind_label"] = kind_label


def _state_label(state: str) -> str:
    return _(STATE_LABELS[State(state)]) if state in {s.value for s in State} else state


def _parse(kind: Kind, values: dict[str, str]) -> tuple[dict[str, Any], list[FieldError]]:
    form = Form(values)
    data: dict[str, Any] = {k: form.get(k) for k in TEXTS if k in values}
    for prefix in KIND_DATES[kind]:
        if (kind, prefix) in OPTIONAL_DATES and not any(form.get(f"{prefix}-{p}") for p in ("day", "month", "year")):
            data[prefix] = None
            continue
        data[prefix] = form.date(prefix, required_message=DATES[prefix])
    return data, form.errors


def _merge(parse_errors: list[FieldError], errors: list[FieldError]) -> list[FieldError]:
    seen = {e.field for e in errors}
    return errors + [e for e in parse_errors if e.field not in seen]


def _form_context(kind: Kind, values: dict[str, str]) -> dict[str, Any]:
    categories = [("", _("No change"), "")] + [(c.value, _(label), "") for c, label in CATEGORY_LABELS.items()]
    return {"kind": kind.value, "kind_title": kind_label(kind), "values": values, "dates": KIND_DATES[kind],
            "categories": categories}


def _kind(raw: str) -> Kind:
    if raw not in {k.value for k in CHANGE_KINDS}:
        raise NotFound()
    return Kind(raw)


# ------------------------------------------------------------------ employer: start, file


@router.get("/employer/permit-changes", response_class=HTMLResponse)
def start(request: Request, actor: Actor = Depends(_write)) -> Response:
    kinds = [(k.value, kind_label(k)) for k in CHANGE_KINDS]
    return render(request, "permits/change_start.html", {"kinds": kinds,
                                                          "permit": request.query_params.get("permit", "")[:32]})


@router.get("/employer/permit-changes/{application_id:int}", response_class=HTMLResponse)
def status(application_id: int, request: Request, db: Database = Depends(get_db),
           actor: Actor = Depends(_read)) -> Response:
    return _status_page(request, db, actor, application_id)


@router.get("/employer/permit-changes/{kind}", response_class=HTMLResponse)
def change_form(kind: str, request: Request, actor: Actor = Depends(_write)) -> Response:
    chosen = _kind(kind)
    return render(request, "permits/change_form.html",
                  _form_context(chosen, {"permit_number": request.query_params.get("permit", "")[:32]}))


@router.post("/employer/permit-changes/{kind}", response_class=HTMLResponse)
async def file_change(kind: str, request: Request, db: Database = Depends(get_db),
                      actor: Actor = Depends(_write)) -> Response:
    chosen = _kind(kind)
    values = await form_data(request)
    data, errors = _parse(chosen, values)
    status_code = 422
    try:
        if not data.get("permit_number"):
            errors.insert(0, FieldError("permit_number", N_("Enter the work permit number")))
        elif errors:  # check the permit too, so its refusal shows beside its field
            change_service.current_data(db, actor=actor, permit_number=data["permit_number"])
        else:
            view = change_service.file_change(db, actor=actor, kind=chosen.value, data=data)
            return redirect(f"/employer/permit-changes/{view.id}")
    except DomainError as exc:
        errors = _merge(errors, form_errors(exc, "permit_number"))
        status_code = exc.status if exc.status in (409, 422) else 422
    return render(request, "permits/change_form.html", _form_context(chosen, values), errors=errors,
                  status_code=status_code)


# ------------------------------------------------------------------ employer: status, correct, withdraw


def _raw(view: service.ApplicationView) -> dict[str, str]:
    values: dict[str, str] = {"permit_number": view.permit_number or ""}
    if view.kind == Kind.MODIFICATION:
        values |= {"family_name": view.family_name, "given_names": view.given_names,
                   "passport_number": view.passport_number, "position": view.position, "category": view.category}
    for prefix in KIND_DATES.get(view.kind, ()):
        value = {"requested_end_date": view.requested_end_date, "contract_end_date": view.contract_end_date,
                 "passport_expiry_date": view.passport_expiry_date, "change_date": view.change_date}[prefix]
        values |= {f"{prefix}-{part}": text for part, text in date_parts(value).items()}
    return values


def _status_page(request: Request, db: Database, actor: Actor, application_id: int, *,
                 values: dict[str, str] | None = None, errors: list[FieldError] | None = None,
                 status_code: int = 200, message: str = "") -> Response:
    view = views.get_application(db, actor=actor, application_id=application_id)
    if view.kind == Kind.NEW:
        return redirect(f"/employer/permits/{view.id}")
    kind = Kind(view.kind)
    ctx = _form_context(kind, values if values is not None else _raw(view))
    timeline = [(e.at, _state_label({"filed": "submitted", "withdrawn": "cancelled"}.get(e.action, e.action)),
                 e.reason) for e in views.timeline(db, actor=actor, application_id=view.id)]
    ctx |= {"app": view, "state_label": _state_label, "message": message, "timeline": timeline,
            "can_withdraw": "withdraw" in domain.APPLICATION.allowed(view.state),
            "category_label": lambda c: _(CATEGORY_LABELS[domain.Category(c)]),
            "format_date": i18n.format_date}
    return render(request, "permits/change_status.html", ctx, errors=errors, status_code=status_code)


@router.post("/employer/permit-changes/{application_id:int}/resubmit", response_class=HTMLResponse)
async def resubmit(application_id: int, request: Request, db: Database = Depends(get_db),
                   actor: Actor = Depends(_write)) -> Response:
    view = views.get_application(db, actor=actor, application_id=application_id)
    kind = _kind(view.kind)
    values = await form_data(request)
    values["permit_number"] = view.permit_number or ""
    data, errors = _parse(kind, values)
    try:
        if not errors:
            version = int(values.get("version") or 0) if (values.get("version") or "").isdigit() else 0
            change_service.resubmit_change(db, actor=actor, application_id=application_id, version=version,
                                           data=data)
            return redirect(f"/employer/permit-changes/{application_id}")
    except Conflict as exc:
        return _status_page(request, db, actor, application_id, status_code=409, message=_(exc.title))
    except NotFound:
        raise
    except DomainError as exc:
        errors = _merge(errors, form_errors(exc, "permit_number"))
    return _status_page(request, db, actor, application_id, values=values, errors=errors, status_code=422)


@router.post("/employer/permit-changes/{application_id:int}/withdraw", response_class=HTMLResponse)
async def withdraw(application_id: int, request: Request, db: Database = Depends(get_db),
                   actor: Actor = Depends(_write)) -> Response:
    values = await form_data(request)
    version = values.get("version") or ""
    try:
        service.withdraw(db, actor=actor, application_id=application_id,
                         version=int(version) if version.isdigit() else 0)
    except Conflict as exc:
        return _status_page(request, db, actor, application_id, status_code=409, message=_(exc.title))
    return redirect(f"/employer/permit-changes/{application_id}")


# ------------------------------------------------------------------ history


def _value(field: str, value: str) -> str:
    if field in ("valid_from", "valid_to") and value:
        try:
            return i18n.format_date(date.fromisoformat(value))
        except ValueError:
            return value
    if field == "category" and value in {c.value for c in domain.Category}:
        return _(CATEGORY_LABELS[domain.Category(value)])
    return _(VALUE_LABELS[value]) if value in VALUE_LABELS else (value or "—")


@router.get("/permits/{permit_number}/history", response_class=HTMLResponse)
def history(permit_number: str, request: Request, db: Database = Depends(get_db),
            actor: Actor = Depends(acting())) -> Response:
    h = change_views.history(db, actor=actor, permit_number=permit_number)
    who = {"employer": _("The employer"), "permit_officer": _("A permit officer"), "system": _("The system")}
    versions = [{
        "v": v, "title": _(VERSION_TITLES[v.kind]) if v.kind in VERSION_TITLES else v.kind,
        "changes": [(_(HISTORY_LABELS.get(c.field, c.field)), _value(c.field, c.before), _value(c.field, c.after))
                    for c in v.changes],
        "filed_by": who.get(v.filed_by, v.filed_by), "decided_by": who.get(v.decided_by, v.decided_by),
    } for v in h.versions]
    back = _HISTORY_BACK.get(actor.role, "/")
    return render(request, "permits/history.html", {"history": h, "versions": versions, "back": back,
                                                    "format_date": i18n.format_date})


# Where the history page's Back link leads: the list the reader came from (others: their start page).
_HISTORY_BACK = {"employer": "/employer/permits", "permit_officer": "/officer/permits", "applicant": "/my"}
