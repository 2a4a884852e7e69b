"""HTML: the queue of permit applications (employer's own, officers' all) and its CSV export."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import Response

from permitcard.db import Database
from permitcard.permits import change_pages, views
from permitcard.permits.domain import STATE_LABELS, WAITING, State
from permitcard.shared import csvexport, i18n
from permitcard.shared.audit import Actor
from permitcard.shared.crypto import mask
from permitcard.shared.errors import N_
from permitcard.shared.i18n import gettext as _
from permitcard.shared.web import render

SORTS = (("newest", N_("Newest first")), ("oldest", N_("Oldest first")), ("name", N_("Family name")),
         ("state", N_("Status")))

def state_label(state: str) -> str:
    return _(STATE_LABELS.get(State(state), state)) if state in State.__members__.values() else state


def int_param(raw: str | None, default: int = 1) -> int:
    try:
        return max(1, min(int(raw or default), 100_000))
    except ValueError:
        return default


def _queue_args(request: Request, default_state: str) -> tuple[str, tuple[str, ...], str, str, int]:
    p = request.query_params
    state = p.get("state", default_state)
    if state == "waiting":
        states: tuple[str, ...] = tuple(s.value for s in WAITING)
    elif state in {s.value for s in State}:
        states = (state,)
    else:
        state, states = "all", ()
    sort = p.get("sort", "newest")
    sort = sort if sort in dict(SORTS) else "newest"
    return state, states, p.get("q", "")[:100], sort, int_param(p.get("page"))


def queue_page(request: Request, db: Database, actor: Actor, *, base: str, default_state: str,
           heading: str) -> Response:
    state, states, q, sort, page = _queue_args(request, default_state)
    result = views.list_applications(db, actor=actor, states=states, q=q, sort=sort,
                                       page=page, after=request.query_params.get("after"),
                                       before=request.query_params.get("before"))

    def link(**change: Any) -> str:
        params = {"state": state, "q": q, "sort": sort, **change}
        return base + "?" + urlencode({k: v for k, v in params.items() if v not in ("", None)})

    counts = result.counts
    filters = [("all", _("All"), sum(counts.values())),
               ("waiting", _("Waiting for a decision"), sum(counts.get(s.value, 0) for s in WAITING))]
    filters += [(s.value, state_label(s.value), counts.get(s.value, 0)) for s in State]
    return render(request, "permits/queue.html", {
        "heading": heading, "base": base, "result": result, "state": state, "q": q, "sort": sort,
        "filters": filters, "sorts": [(k, _(v)) for k, v in SORTS], "state_label": state_label,
        "mask": mask, "is_employer": base.startswith("/employer"), "link": link})


def export_csv(request: Request, db: Database, actor: Actor, default_state: str, filename: str) -> Response:
    state, states, q, sort, _page = _queue_args(request, default_state)
    rows = views.export_applications(db, actor=actor, states=states, q=q, sort=sort)
    header = [_("Reference"), _("Kind"), _("Days late"), _("Family name"), _("Given names"), _("Nationality"),
              _("Position"), _("Category"), _("Status"), _("Sent"), _("Decided"), _("Work permit number"),
              _("Employer")]
    return csvexport.export(db, actor=actor, what="permit_applications", header=header, rows=[(
        v.reference, change_pages.kind_label(v.kind), v.days_late, v.family_name, v.given_names, v.nationality,
        v.position, v.category, state_label(v.state), v.submitted_at, v.decided_at, v.permit_number or "",
        v.employer_name_zh if i18n.get_locale() == "zh_Hans" else v.employer_name_en) for v in rows],
        filename=filename, filters={"state": state, "q": q, "sort": sort})
