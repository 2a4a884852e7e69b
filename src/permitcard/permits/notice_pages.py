"""HTML: the printable Foreign Work Permit Notice (bilingual, with its signed QR code) and the public
page that verifies a notice from that QR code."""

from __future__ import annotations

from babel import Locale
from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, Response

from permitcard.auth.deps import acting, get_db
from permitcard.db import Database
from permitcard.permits import views
from permitcard.permits.domain import STATE_LABELS, State
from permitcard.shared import audit, clock
from permitcard.shared.audit import Actor
from permitcard.shared.errors import DomainError
from permitcard.shared.i18n import gettext as _
from permitcard.shared.routes import Routes
from permitcard.shared.web import render

router = Routes(include_in_schema=False)


def state_label(state: str) -> str:
    return _(STATE_LABELS.get(State(state), state)) if state in State.__members__.values() else state


# ------------------------------------------------------------------ the notice and its public check


def _both_country_names(code: str) -> tuple[str, str]:
    return (str(Locale.parse("en").territories.get(code, code)),
            str(Locale.parse("zh_Hans").territories.get(code, code)))


@router.get("/permits/notices/{notice_number}", response_class=HTMLResponse)
def notice(notice_number: str, request: Request, db: Database = Depends(get_db),
           actor: Actor = Depends(acting())) -> Response:
    n = views.get_notice(db, actor=actor, notice_number=notice_number[:64])
    # A printable document with the passport number and date of birth: recorded like an export.
    audit.record_security(db, actor=actor, action="export.permit_notice", target_type="permit",
                          target_id=n.info.permit_number)
    zh_labels = {"A": "A类（高端人才）", "B": "B类（专业人才）", "C": "C类（其他人员）"}
    return render(request, "permits/notice.html", {
        "n": n, "info": n.info, "country": _both_country_names(n.info.nationality),
        "category_en": {"A": "A (high-end talent)", "B": "B (professional)", "C": "C (other)"}[n.info.category],
        "category_zh": zh_labels[n.info.category],
        "sex": {"M": ("Male", "男"), "F": ("Female", "女")}.get(n.info.sex, (n.info.sex, n.info.sex)),
        "status": {"valid": ("Valid", "有效"), "cancelled": ("Cancelled", "已注销"),
                   "expired": ("Expired", "已过期")}[n.info.status],
        "issue_date": clock.local(n.issued_at).date().isoformat(),
    })


@router.get("/verify/notices/{notice_number}", response_class=HTMLResponse)
def verify_notice(notice_number: str, request: Request, sig: str = "", db: Database = Depends(get_db)) -> Response:
    try:
        check = views.verify_notice(db, notice_number=notice_number[:64], sig=sig[:200])
    except DomainError:
        return render(request, "permits/verify.html", {"check": None}, status_code=404)
    return render(request, "permits/verify.html", {"check": check, "state_label": state_label})
