"""HTML: social insurance registration for employers (/employer/insurance), the applicant
(/my/insurance) and the agency counter and exception queue (/agency/insurance)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from permitcard.auth.deps import acting, get_db
from permitcard.db import Database
from permitcard.insurance import domain, service, views
from permitcard.shared import csvexport, forms
from permitcard.shared.audit import Actor
from permitcard.shared.errors import N_, DomainError, FieldError, NotFound
from permitcard.shared.i18n import _
from permitcard.shared.routes import Routes
from permitcard.shared.web import draft_owner, form_data, form_errors, redirect, render, templates

router = Routes(include_in_schema=False)

FIELDS = ("notice_number", "permit_number", "given_names", "family_name", "passport_number",
          "permanent_residence_id")
SORTS = (("newest", N_("Newest first")), ("oldest", N_("Oldest first")), ("name", N_("Family name")),
         ("state", N_("Status")))
TAG = {"registered": "approved", "refused": "rejected", "submitted": "returned"}
TIMELINE_TITLES = {
    "insurance_registration.submitted": N_("Registration received"),
    "insurance_registration.registered": N_("Registered: social security number assigned"),
    "insurance_registration.refused": N_("Registration refused"),
}


@dataclass(frozen=True)
class Base:
    """One audience's pages: where they live and what they may do there."""

    path: str
    register_permission: str
    read_permissions: tuple[str, ...]
    counter: bool  # the agency counter also takes a permit number (e-card) or a PR ID


EMPLOYER = Base("/employer/insurance", "insurance.register_employee", ("insurance.read_employer",), False)
AGENCY = Base("/agency/insurance", "insurance.register_any", ("insurance.read_all",), True)
APPLICANT = Base("/my/insurance", "insurance.register_self", ("insurance.read_own",), False)


def state_label(state: str) -> str:
    return _(domain.STATE_LABELS.get(state, state))


def channel_label(channel: str) -> str:
    return _(domain.CHANNEL_LABELS.get(channel, channel))


def _int(raw: str | None, default: int = 1) -> int:
    try:
        return max(1, min(int(raw or default), 100_000))
    except ValueError:
        return default


def _queue_args(request: Request) -> dict[str, Any]:
    p = request.query_params
    state = p.get("state", "")
    channel = p.get("channel", "")
    sort = p.get("sort", "newest")
    return {"state": state if state in domain.STATES else "", "channel": channel if channel in domain.CHANNELS else "",
            "q": p.get("q", "")[:100], "sort": sort if sort in dict(SORTS) else "newest"}


def _queue(request: Request, db: Database, actor: Actor, base: Base, heading: str) -> Response:
    args = _queue_args(request)
    page = _int(request.query_params.get("page"))
    result = views.list_registrations(db, actor=actor, state=args["state"] or None,
                                        channel=args["channel"] or None, q=args["q"], sort=args["sort"], page=page,
                                        after=request.query_params.get("after"),
                                        before=request.query_params.get("before"))
    counts = result.counts
    filters = [("", _("All"), sum(counts.values()))] + [
        (s, state_label(s), counts.get(s, 0)) for s in domain.STATES]

    def link(**change: Any) -> str:
        params = {**args, "page": result.page, **change}
        if params.get("page") == 1:
            params.pop("page")
        return base.path + "?" + urlencode({k: v for k, v in params.items() if v not in ("", None)})

    return render(request, "insurance/queue.html", {
        "heading": heading, "base": base, "result": result, "args": args, "filters": filters,
        "sorts": [(k, _(v)) for k, v in SORTS], "channels": [(c, _(domain.CHANNEL_LABELS[c])) for c in domain.CHANNELS],
        "state_label": state_label, "tag": TAG, "link": link, "refused": counts.get("refused", 0),
        "can_register": views.may_register_others(actor),
        "csv_href": base.path + ".csv?" + urlencode({k: v for k, v in args.items() if v}),
        "channel_label": channel_label,
    })


def _export(request: Request, db: Database, actor: Actor, filename: str) -> Response:
    args = _queue_args(request)
    rows = views.export_registrations(db, actor=actor, state=args["state"] or None,
                                        channel=args["channel"] or None, q=args["q"], sort=args["sort"])
    header = [_("Reference"), _("Submitted"), _("Channel"), _("Credential"), _("Status"), _("Reason for refusal"),
              _("Work permit number"), _("Notice number"), _("Family name"), _("Given names"),
              _("Social security number")]
    return csvexport.export(db, actor=actor, what="insurance_registrations", header=header, rows=[(
        v.reference, v.created_at, _(domain.CHANNEL_LABELS.get(v.channel, v.channel)),
        _(domain.CREDENTIAL_LABELS.get(v.credential, v.credential)), state_label(v.state),
        _(v.refusal_message) if v.refusal_message else "", v.permit_number, v.notice_number, v.family_name,
        v.given_names, v.ssn or "") for v in rows], filename=filename, filters=args)


# --- the registration journey: form -> check answers -> result -----------------------------------


def _values(data: dict[str, Any]) -> dict[str, str]:
    return {k: str(data.get(k) or "") for k in FIELDS}


def _prefill(db: Database, actor: Actor) -> dict[str, str]:
    info = views.permit_for_applicant(db, actor=actor)
    if info is None:
        return {}
    return {"family_name": info.family_name, "given_names": info.given_names, "notice_number": info.notice_number}


def shows_permit_number(base: Base) -> bool:
    """Whether this audience's form has the permit number field (the applicant's has only the notice)."""
    return base is not APPLICANT


templates.globals["shows_permit_number"] = shows_permit_number

# What an error says on a form without the permit number field (it must not name a field not shown).
WITHOUT_PERMIT_FIELD = {
    "Enter the notice number from the Foreign Work Permit Notice, or the work permit number":
        N_("Enter the notice number from your Foreign Work Permit Notice"),
}


def _form(request: Request, base: Base, values: dict[str, str], errors: list[FieldError] | None = None,
          status_code: int = 200) -> Response:
    if errors and not shows_permit_number(base):
        errors = [FieldError("notice_number" if e.field == "permit_number" else e.field,
                             WITHOUT_PERMIT_FIELD.get(e.message, e.message), e.params) for e in errors]
    return render(request, "insurance/new.html", {"base": base, "values": values}, errors=errors,
                  status_code=status_code)


def _check_rows(base: Base, values: dict[str, str]) -> list[tuple[str, str, str]]:
    rows = [(_("Notice number"), values["notice_number"], "notice_number")]
    if base.counter or values["permit_number"]:
        rows.append((_("Work permit number"), values["permit_number"], "permit_number"))
    rows += [(_("Given names"), values["given_names"], "given_names"),
             (_("Family name"), values["family_name"], "family_name"),
             (_("Passport number"), values["passport_number"], "passport_number")]
    if base.counter:
        rows.append((_("Permanent residence ID"), values["permanent_residence_id"], "permanent_residence_id"))
    return rows


def _form_page(base: Base) -> str:
    return "/my/insurance" if base is APPLICANT else f"{base.path}/new"


async def _check(request: Request, db: Database, base: Base) -> Response:
    """The form sent: its answers go to the check page, a GET page (Post/Redirect/Get), as a draft."""
    data = await form_data(request)
    values = _values(data)
    if data.get("change"):  # "Change" on the check page: back to the form (a GET page), as typed
        draft = await run_in_threadpool(forms.save_draft, db, path=_form_page(base), values=values, errors=[],
                                        owner=draft_owner(request))
        return redirect(f"{_form_page(base)}?draft={draft}")
    try:
        service.check_input(notice_number=values["notice_number"], permit_number=values["permit_number"],
                            family_name=values["family_name"], given_names=values["given_names"],
                            passport_number=values["passport_number"],
                            permanent_residence_id=values["permanent_residence_id"])
    except DomainError as exc:
        return _form(request, base, values, form_errors(exc, "notice_number"), exc.status)
    draft = await run_in_threadpool(forms.save_draft, db, path=f"{base.path}/new/check", values=values, errors=[],
                                    owner=draft_owner(request))
    return redirect(f"{base.path}/new/check?draft={draft}")


def _check_page(request: Request, db: Database, base: Base, draft: str) -> Response:
    found = forms.load_draft(db, draft, path=f"{base.path}/new/check", owner=draft_owner(request)) if draft else None
    if found is None:
        return redirect(_form_page(base))
    values = _values(found[0])
    return render(request, "insurance/check.html", {"base": base, "values": values, "form_keys": FIELDS,
                                                    "rows": _check_rows(base, values)})


async def _send(request: Request, db: Database, actor: Actor, base: Base) -> Response:
    data = await form_data(request)
    values = _values(data)
    if data.get("declaration") != "yes":
        return render(request, "insurance/check.html", {
            "base": base, "values": values, "form_keys": FIELDS, "rows": _check_rows(base, values)},
            errors=[FieldError("declaration", N_("Confirm that the details are correct to send the registration"))],
            status_code=422)
    try:
        result = service.register(
            db, actor=actor, notice_number=values["notice_number"] or None,
            permit_number=values["permit_number"] or None, family_name=values["family_name"],
            given_names=values["given_names"], passport_number=values["passport_number"],
            permanent_residence_id=values["permanent_residence_id"] or None)
    except DomainError as exc:
        return _form(request, base, values, form_errors(exc, "notice_number"), exc.status)
    return redirect(f"{base.path}/{result.id}?done=1")


@dataclass(frozen=True)
class TimelineItem:
    at: datetime
    title: str
    detail: str


def _detail(request: Request, db: Database, actor: Actor, base: Base, registration_id: int) -> Response:
    reg = views.get_registration(db, actor=actor, registration_id=registration_id)
    items = []
    for e in views.registration_history(db, actor=actor, registration_id=registration_id):
        detail = ""
        if e.action == "insurance_registration.refused" and reg.refusal_message:
            detail = _("Reason: %(reason)s", reason=_(reg.refusal_message))
        items.append(TimelineItem(e.at, _(TIMELINE_TITLES.get(e.action, e.action)), detail))
    return render(request, "insurance/detail.html", {
        "base": base, "reg": reg, "timeline": items, "done": request.query_params.get("done") == "1",
        "state_label": state_label, "tag": TAG, "channel_label": _(domain.CHANNEL_LABELS.get(reg.channel, "")),
        "credential_label": _(domain.CREDENTIAL_LABELS.get(reg.credential, "")),
    })


def _rid(raw: str) -> int:
    if not raw.isdigit() or len(raw) > 9:
        raise NotFound(N_("No registration with this reference"))
    return int(raw)


# --- employer ------------------------------------------------------------------------------------

_employer_read = acting("insurance.read_employer")
_employer_write = acting("insurance.register_employee")


@router.get("/employer/insurance", response_class=HTMLResponse)
def employer_queue(request: Request, db: Database = Depends(get_db),
                   actor: Actor = Depends(_employer_read)) -> Response:
    return _queue(request, db, actor, EMPLOYER, _("Social insurance registrations"))


@router.get("/employer/insurance.csv")
def employer_csv(request: Request, db: Database = Depends(get_db),
                 actor: Actor = Depends(_employer_read)) -> Response:
    return _export(request, db, actor, "insurance-registrations.csv")


@router.get("/employer/insurance/new", response_class=HTMLResponse)
def employer_new(request: Request, actor: Actor = Depends(_employer_write)) -> Response:
    return _form(request, EMPLOYER, {})


@router.post("/employer/insurance/new", response_class=HTMLResponse)
async def employer_check(request: Request, db: Database = Depends(get_db),
                         actor: Actor = Depends(_employer_write)) -> Response:
    return await _check(request, db, EMPLOYER)


@router.get("/employer/insurance/new/check", response_class=HTMLResponse)
def employer_check_page(request: Request, draft: str = "", db: Database = Depends(get_db),
                        actor: Actor = Depends(_employer_write)) -> Response:
    return _check_page(request, db, EMPLOYER, draft)


@router.post("/employer/insurance", response_class=HTMLResponse)
async def employer_send(request: Request, db: Database = Depends(get_db),
                        actor: Actor = Depends(_employer_write)) -> Response:
    return await _send(request, db, actor, EMPLOYER)


@router.get("/employer/insurance/{registration_id}", response_class=HTMLResponse)
def employer_detail(registration_id: str, request: Request, db: Database = Depends(get_db),
                    actor: Actor = Depends(_employer_read)) -> Response:
    return _detail(request, db, actor, EMPLOYER, _rid(registration_id))


# --- agency --------------------------------------------------------------------------------------

_agency_read = acting("insurance.read_all")
_agency_write = acting("insurance.register_any")


@router.get("/agency/insurance", response_class=HTMLResponse)
def agency_queue(request: Request, db: Database = Depends(get_db),
                 actor: Actor = Depends(_agency_read)) -> Response:
    return _queue(request, db, actor, AGENCY, _("Insurance registrations"))


@router.get("/agency/insurance.csv")
def agency_csv(request: Request, db: Database = Depends(get_db), actor: Actor = Depends(_agency_read)) -> Response:
    return _export(request, db, actor, "insurance-registrations.csv")


@router.get("/agency/insurance/new", response_class=HTMLResponse)
def agency_new(request: Request, actor: Actor = Depends(_agency_write)) -> Response:
    return _form(request, AGENCY, {})


@router.post("/agency/insurance/new", response_class=HTMLResponse)
async def agency_check(request: Request, db: Database = Depends(get_db),
                       actor: Actor = Depends(_agency_write)) -> Response:
    return await _check(request, db, AGENCY)


@router.get("/agency/insurance/new/check", response_class=HTMLResponse)
def agency_check_page(request: Request, draft: str = "", db: Database = Depends(get_db),
                      actor: Actor = Depends(_agency_write)) -> Response:
    return _check_page(request, db, AGENCY, draft)


@router.post("/agency/insurance", response_class=HTMLResponse)
async def agency_send(request: Request, db: Database = Depends(get_db),
                      actor: Actor = Depends(_agency_write)) -> Response:
    return await _send(request, db, actor, AGENCY)


@router.get("/agency/insurance/{registration_id}", response_class=HTMLResponse)
def agency_detail(registration_id: str, request: Request, db: Database = Depends(get_db),
                  actor: Actor = Depends(_agency_read)) -> Response:
    return _detail(request, db, actor, AGENCY, _rid(registration_id))


# --- applicant -----------------------------------------------------------------------------------

_own = acting("insurance.read_own")
_self = acting("insurance.register_self")


@router.get("/my/insurance", response_class=HTMLResponse)
def my_insurance(request: Request, db: Database = Depends(get_db), actor: Actor = Depends(_own)) -> Response:
    summary, registrations = views.my_registration(db, actor=actor)
    return render(request, "insurance/mine.html", {
        "base": APPLICANT, "summary": summary, "registrations": registrations, "linked": bool(actor.permit_number),
        "values": _prefill(db, actor), "state_label": state_label, "tag": TAG,
    })


@router.post("/my/insurance/new", response_class=HTMLResponse)
async def my_check(request: Request, db: Database = Depends(get_db),
                   actor: Actor = Depends(_self)) -> Response:
    return await _check(request, db, APPLICANT)


@router.get("/my/insurance/new/check", response_class=HTMLResponse)
def my_check_page(request: Request, draft: str = "", db: Database = Depends(get_db),
                  actor: Actor = Depends(_self)) -> Response:
    return _check_page(request, db, APPLICANT, draft)


@router.post("/my/insurance", response_class=HTMLResponse)
async def my_send(request: Request, db: Database = Depends(get_db), actor: Actor = Depends(_self)) -> Response:
    return await _send(request, db, actor, APPLICANT)


@router.get("/my/insurance/{registration_id}", response_class=HTMLResponse)
def my_detail(registration_id: str, request: Request, db: Database = Depends(get_db),
              actor: Actor = Depends(_own)) -> Response:
    return _detail(request, db, actor, APPLICANT, _rid(registration_id))

