"""HTML: the employer's applications (file, check, send, correct), the officers' queue and decision.
The printable Foreign Work Permit Notice and its public verification page: ``notice_pages``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from permitcard.auth.deps import acting, acting_any, get_db
from permitcard.db import Database
from permitcard.permits import change_pages, domain, notice_pages, service, views
from permitcard.permits.domain import CATEGORY_LABELS, ApplicationInput
from permitcard.permits.queue_pages import export_csv, int_param, queue_page, state_label
from permitcard.shared import forms, i18n
from permitcard.shared.audit import Actor
from permitcard.shared.crypto import mask
from permitcard.shared.errors import N_, Conflict, DomainError, FieldError, NotFound, ValidationFailed
from permitcard.shared.i18n import gettext as _
from permitcard.shared.routes import Routes
from permitcard.shared.web import Form, date_parts, draft_owner, form_data, form_errors, redirect, render

router = Routes(include_in_schema=False)
router.include(notice_pages.router)
router.include(change_pages.router)

_employer_read = acting("permit.read_employer")
_employer_write = acting("permit.apply")
_officer_read = acting_any("permit.decide", "permit.read_all")
_decider = acting("permit.decide")

TEXT_FIELDS = ("given_names", "family_name", "chinese_name", "nationality", "sex", "passport_number", "position",
               "category")
DATE_MESSAGES = {
    "birth_date": N_("Enter the date of birth"),
    "passport_expiry_date": N_("Enter the date the passport expires"),
    "contract_start_date": N_("Enter the date the contract starts"),
    "contract_end_date": N_("Enter the date the contract ends"),
    "requested_end_date": N_("Enter the date the permit should be valid until"),
}
FORM_KEYS = TEXT_FIELDS + tuple(f"{p}-{part}" for p in DATE_MESSAGES for part in ("day", "month", "year"))
TIMELINE_TITLES = {
    "filed": N_("Application sent"),
    "resubmitted": N_("Corrected application sent"),
    "returned": N_("Returned for correction"),
    "approved": N_("Approved: work permit issued"),
    "rejected": N_("Rejected"),
    "withdrawn": N_("Withdrawn by the employer"),
}
# A change to an issued permit (extension, modification, ...) issues no permit: its approval makes a new version.
CHANGE_APPROVED = N_("Approved: the change is in a new version of the permit")


@dataclass(frozen=True)
class TimelineItem:
    at: datetime
    title: str
    detail: str


# ------------------------------------------------------------------ helpers


def _parse(values: dict[str, str]) -> tuple[dict[str, Any], list[FieldError]]:
    """The form's answers as service data, and the errors in its date fields."""
    form = Form({k: values.get(k, "") for k in FORM_KEYS})
    data: dict[str, Any] = {k: form.get(k) for k in TEXT_FIELDS}
    for prefix, message in DATE_MESSAGES.items():
        data[prefix] = form.date(prefix, required_message=message)
    return data, form.errors


# The order of the fields on the form (_fields.html): the error summary lists errors in this order.
FIELD_ORDER = ("given_names", "family_name", "chinese_name", "nationality", "birth_date", "sex", "passport_number",
               "passport_expiry_date", "position", "category", "contract_start_date", "contract_end_date",
               "requested_end_date")


def _merge(first: list[FieldError], more: list[FieldError]) -> list[FieldError]:
    seen = {e.field for e in first}
    merged = first + [e for e in more if e.field not in seen]
    rank = {name: i for i, name in enumerate(FIELD_ORDER)}
    return sorted(merged, key=lambda e: rank.get(e.field, len(rank)))


def _raw_values(data: dict[str, Any]) -> dict[str, str]:
    """Service data back into form fields (to prefill a correction)."""
    values = {k: str(data.get(k) or "") for k in TEXT_FIELDS}
    for prefix in DATE_MESSAGES:
        value = data.get(prefix)
        for part, text in date_parts(value if isinstance(value, date) else None).items():
            values[f"{prefix}-{part}"] = text
    return values


def _form_context(values: dict[str, str]) -> dict[str, Any]:
    return {"values": values, "countries": i18n.country_choices(), "form_keys": FORM_KEYS,
            "categories": [(c.value, _(label), _(CATEGORY_HINTS[c.value])) for c, label in CATEGORY_LABELS.items()],
            "sexes": [("F", _("Female")), ("M", _("Male"))]}


CATEGORY_HINTS = {
    "A": N_("Scientists, leading talent, senior managers; valid for up to 5 years"),
    "B": N_("Professionals with a degree and work experience; valid for up to 2 years"),
    "C": N_("Other foreign workers, seasonal and quota positions; valid for up to 1 year"),
}


def _sex(code: str) -> str:
    return {"F": _("Female"), "M": _("Male")}.get(code, code)


def summary_rows(
    d: ApplicationInput | service.ApplicationView, *, full_passport: bool = True
) -> list[tuple[str, str, str]]:
    """(label, value, field) for summary lists."""
    return [
        (_("Given names"), d.given_names or "—", "given_names"),
        (_("Family name"), d.family_name, "family_name"),
        (_("Chinese name"), d.chinese_name or "—", "chinese_name"),
        (_("Nationality"), i18n.country_name(d.nationality), "nationality"),
        (_("Date of birth"), i18n.format_date(d.birth_date), "birth_date"),
        (_("Sex"), _sex(d.sex), "sex"),
        (_("Passport number"), d.passport_number if full_passport else mask(d.passport_number), "passport_number"),
        (_("Passport expiry date"), i18n.format_date(d.passport_expiry_date), "passport_expiry_date"),
        (_("Position"), d.position, "position"),
        (_("Permit category"), _(CATEGORY_LABELS[domain.Category(d.category)]), "category"),
        (_("Contract start date"), i18n.format_date(d.contract_start_date), "contract_start_date"),
        (_("Contract end date"), i18n.format_date(d.contract_end_date), "contract_end_date"),
        (_("Permit valid until"), i18n.format_date(d.requested_end_date), "requested_end_date"),
    ]


def _timeline(db: Database, actor: Actor, application_id: int, kind: str = "new") -> list[TimelineItem]:
    items = []
    for e in views.timeline(db, actor=actor, application_id=application_id):
        detail = ""
        if e.reason and e.action == "returned":
            detail = _("What to correct: %(reason)s", reason=e.reason)
        elif e.reason:
            detail = _("Reason: %(reason)s", reason=e.reason)
        title = CHANGE_APPROVED if e.action == "approved" and kind != "new" else TIMELINE_TITLES[e.action]
        items.append(TimelineItem(e.at, _(title), detail))
    return items


# ------------------------------------------------------------------ employer: list and new application


@router.get("/employer/permits", response_class=HTMLResponse)
def employer_list(request: Request, db: Database = Depends(get_db),
                  actor: Actor = Depends(_employer_read)) -> Response:
    return queue_page(request, db, actor, base="/employer/permits", default_state="all",
                  heading=_("Work permit applications"))


@router.get("/employer/permits.csv")
def employer_export(request: Request, db: Database = Depends(get_db),
                    actor: Actor = Depends(_employer_read)) -> Response:
    return export_csv(request, db, actor, "all", "permit-applications.csv")


@router.get("/employer/permits/new", response_class=HTMLResponse)
def new_form(request: Request, actor: Actor = Depends(_employer_write)) -> Response:
    return render(request, "permits/new.html", _form_context({}))


@router.post("/employer/permits/new", response_class=HTMLResponse)
async def change_answers(request: Request, db: Database = Depends(get_db),
                         actor: Actor = Depends(_employer_write)) -> Response:
    """'Change' on the check page: the form again (a GET page), with every answer kept in a draft."""
    values = await form_data(request)
    draft = await run_in_threadpool(forms.save_draft, db, path="/employer/permits/new", values=values, errors=[],
                                    owner=draft_owner(request))
    return redirect(f"/employer/permits/new?draft={draft}")


@router.post("/employer/permits/new/check", response_class=HTMLResponse)
async def check_answers(request: Request, db: Database = Depends(get_db),
                        actor: Actor = Depends(_employer_write)) -> Response:
    values = await form_data(request)
    data, errors = _parse(values)
    try:
        service.check_application(db, actor=actor, data=data)
    except DomainError as exc:
        return render(request, "permits/new.html", _form_context(values),
                      errors=_merge(errors, form_errors(exc, "family_name")), status_code=422)
    if errors:
        return render(request, "permits/new.html", _form_context(values), errors=_merge(errors, []), status_code=422)
    draft = await run_in_threadpool(forms.save_draft, db, path=CHECK_PAGE, values=values, errors=[],
                                    owner=draft_owner(request))
    return redirect(f"{CHECK_PAGE}?draft={draft}")


CHECK_PAGE = "/employer/permits/new/check"


@router.get(CHECK_PAGE, response_class=HTMLResponse)
def check_page(request: Request, draft: str = "", db: Database = Depends(get_db),
               actor: Actor = Depends(_employer_write)) -> Response:
    """Check your answers (a GET page: reload and Back are safe). Once sent, its draft is gone."""
    found = forms.load_draft(db, draft, path=CHECK_PAGE, owner=draft_owner(request)) if draft else None
    if found is None:
        return redirect("/employer/permits/new")
    values = found[0]
    data, errors = _parse(values)
    try:
        checked = service.check_application(db, actor=actor, data=data)
    except DomainError as exc:
        errors = _merge(errors, form_errors(exc, "family_name"))
    if errors:
        return render(request, "permits/new.html", _form_context(values), errors=errors, status_code=422)
    return render(request, "permits/check.html", {"rows": summary_rows(checked), "values": values,
                                                  "form_keys": FORM_KEYS, "draft_id": draft})


@router.post("/employer/permits", response_class=HTMLResponse)
async def send(request: Request, db: Database = Depends(get_db),
               actor: Actor = Depends(_employer_write)) -> Response:
    """'Send application' on the check page: validated again, then filed."""
    values = await form_data(request)
    data, errors = _parse(values)
    try:
        checked = service.check_application(db, actor=actor, data=data)
        if errors:
            raise ValidationFailed(errors)
        if values.get("declaration") != "yes":
            errs = [FieldError("declaration", N_("Confirm that the information is correct and complete"))]
            return render(request, "permits/check.html", {"rows": summary_rows(checked), "values": values,
                                                          "form_keys": FORM_KEYS, "draft_id": values.get("draft", "")},
                          errors=errs, status_code=422)
        view = service.file_application(db, actor=actor, data=data)
        if values.get("draft"):  # Back to the check page now starts a new application
            await run_in_threadpool(forms.drop_draft, db, values["draft"])
    except DomainError as exc:
        return render(request, "permits/new.html", _form_context(values),
                      errors=_merge(errors, form_errors(exc, "family_name")), status_code=422)
    return redirect(f"/employer/permits/{view.id}/sent")


@router.get("/employer/permits/{application_id}/sent", response_class=HTMLResponse)
def sent(application_id: int, request: Request, db: Database = Depends(get_db),
         actor: Actor = Depends(_employer_read)) -> Response:
    view = views.get_application(db, actor=actor, application_id=application_id)
    return render(request, "permits/sent.html", {"app": view})


# ------------------------------------------------------------------ employer: status, correct, withdraw


def _status_page(request: Request, db: Database, actor: Actor, application_id: int, *,
                 values: dict[str, str] | None = None, errors: list[FieldError] | None = None,
                 status_code: int = 200, message: str = "") -> Response:
    view = views.get_application(db, actor=actor, application_id=application_id)
    if view.kind != "new":  # a change of a permit has its own page
        return redirect(f"/employer/permit-changes/{view.id}")
    ctx = _form_context(values if values is not None else _raw_values(view.data()))
    ctx.update({"app": view, "rows": summary_rows(view), "timeline": _timeline(db, actor, view.id),
                "state_label": state_label, "message": message,
                "can_withdraw": "withdraw" in domain.APPLICATION.allowed(view.state)})
    return render(request, "permits/status.html", ctx, errors=errors, status_code=status_code)


@router.get("/employer/permits/{application_id}", response_class=HTMLResponse)
def status(application_id: int, request: Request, db: Database = Depends(get_db),
           actor: Actor = Depends(_employer_read)) -> Response:
    return _status_page(request, db, actor, application_id)


@router.post("/employer/permits/{application_id}/resubmit", response_class=HTMLResponse)
async def resubmit(application_id: int, request: Request, db: Database = Depends(get_db),
                   actor: Actor = Depends(_employer_write)) -> Response:
    values = await form_data(request)
    data, errors = _parse(values)
    try:
        if not errors:
            service.resubmit(db, actor=actor, application_id=application_id,
                             version=int_param(values.get("version"), 0), data=data)
            return redirect(f"/employer/permits/{application_id}")
        service.check_application(db, actor=actor, data=data)
    except Conflict as exc:
        return _status_page(request, db, actor, application_id, status_code=409, message=_(exc.title))
    except NotFound:
        raise
    except DomainError as exc:
        errors = _merge(errors, form_errors(exc, "family_name"))
    return _status_page(request, db, actor, application_id, values=values, errors=errors, status_code=422)


@router.post("/employer/permits/{application_id}/withdraw", response_class=HTMLResponse)
async def withdraw(application_id: int, request: Request, db: Database = Depends(get_db),
                   actor: Actor = Depends(_employer_write)) -> Response:
    values = await form_data(request)
    try:
        service.withdraw(db, actor=actor, application_id=application_id,
                         version=int_param(values.get("version"), 0))
    except Conflict as exc:
        return _status_page(request, db, actor, application_id, status_code=409, message=_(exc.title))
    return redirect(f"/employer/permits/{application_id}")


# ------------------------------------------------------------------ officers


@router.get("/officer/permits", response_class=HTMLResponse)
def officer_queue(request: Request, db: Database = Depends(get_db),
                  actor: Actor = Depends(_officer_read)) -> Response:
    return queue_page(request, db, actor, base="/officer/permits", default_state="waiting",
                  heading=_("Permit applications"))


@router.get("/officer/permits.csv")
def officer_export(request: Request, db: Database = Depends(get_db),
                   actor: Actor = Depends(_officer_read)) -> Response:
    return export_csv(request, db, actor, "waiting", "permit-applications.csv")


def _decision_page(request: Request, db: Database, actor: Actor, application_id: int, *,
                   values: dict[str, str] | None = None, errors: list[FieldError] | None = None,
                   status_code: int = 200, message: str = "") -> Response:
    view = views.get_application(db, actor=actor, application_id=application_id)
    return render(request, "permits/officer_detail.html", {
        "app": view, "values": values or {},
        "rows": summary_rows(view, full_passport=service.can_see_passport(actor, view.employer_id)),
        "timeline": _timeline(db, actor, view.id, view.kind), "state_label": state_label,
        "can_decide": views.may_decide(actor, view), "message": message,
        "actions": [("approve", _("Approve: issue the work permit") if view.kind == "new"
                     else _("Approve: make the change (a new version of the permit)")),
                    ("return", _("Return for correction")),
                    ("reject", _("Reject"))],
    }, errors=errors, status_code=status_code)


@router.get("/officer/permits/{application_id}", response_class=HTMLResponse)
def officer_detail(application_id: int, request: Request, db: Database = Depends(get_db),
                   actor: Actor = Depends(_officer_read)) -> Response:
    return _decision_page(request, db, actor, application_id)


@router.post("/officer/permits/{application_id}/decision", response_class=HTMLResponse)
async def officer_decide(application_id: int, request: Request, db: Database = Depends(get_db),
                         actor: Actor = Depends(_decider)) -> Response:
    values = await form_data(request)
    try:
        service.decide(db, actor=actor, application_id=application_id,
                       version=int_param(values.get("version"), 0), action=values.get("action", ""),
                       reason=values.get("reason", ""))
    except Conflict:
        msg = _("Someone else decided or changed this application first. Its current state is shown below; "
                "nothing you entered was saved.")
        return _decision_page(request, db, actor, application_id, status_code=409, message=msg)
    except NotFound:
        raise
    except DomainError as exc:
        return _decision_page(request, db, actor, application_id, values=values,
                              errors=form_errors(exc, "action"), status_code=exc.status)
    return redirect(f"/officer/permits/{application_id}")
