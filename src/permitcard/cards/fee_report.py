"""A branch's daily fee report (reads only): the fees paid at its counter on one business day, the
replacement cards it handed over that day, totals per payment method that add up to the payments;
and the same as CSV (UTF-8 with BOM, cells that a spreadsheet would run as a formula neutralised)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from permitcard.banks import service as banks
from permitcard.banks.domain import Branch
from permitcard.cards import repository as repo
from permitcard.cards import service
from permitcard.cards.domain import METHOD_LABELS, REASON_LABELS
from permitcard.cards.models import Card, CardApplication, CardPayment
from permitcard.db import Database
from permitcard.shared import clock, i18n, money
from permitcard.shared.audit import Actor
from permitcard.shared.errors import N_, Forbidden


@dataclass
class FeeReport:
    branch: Branch
    day: date
    payments: list[tuple[CardPayment, CardApplication]]
    replacements: list[tuple[CardApplication, Card]]
    by_method: dict[str, int] = field(default_factory=dict)  # method -> fen, every method listed

    @property
    def total_fen(self) -> int:
        return sum(p.amount_fen for p, _ in self.payments)


def fee_report(db: Database, *, actor: Actor, day: date) -> FeeReport:
    """The report of the clerk's own branch for ``day`` (Asia/Shanghai business date)."""
    if actor.role != service.BANK or actor.branch_id is None:
        raise Forbidden()
    start = datetime.combine(day, time(0), tzinfo=clock.SHANGHAI)
    with db.uow(write=False) as s:
        payments = repo.payments_on(s, branch_id=actor.branch_id, day=day)
        replacements = repo.replacements_collected(s, branch_id=actor.branch_id, start=start,
                                                   end=start + timedelta(days=1))
        by_method = {m: 0 for m in METHOD_LABELS}
        for p, _ in payments:
            by_method[p.method] = by_method.get(p.method, 0) + p.amount_fen
        return FeeReport(branch=banks.get_branch(s, actor.branch_id), day=day, payments=payments,
                         replacements=replacements, by_method=by_method)


FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")


def csv_cell(value: object) -> str:
    """A cell a spreadsheet shows as text: one that begins like a formula (= + - @, their full-width
    forms, tab, carriage return) gets a leading apostrophe (OWASP "CSV injection")."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def fee_report_csv(report: FeeReport) -> bytes:
    """The report in the reader's language, UTF-8 with a BOM so spreadsheet programs show Chinese."""
    buf = io.StringIO()
    w = csv.writer(buf)

    def row(*cells: object) -> None:
        w.writerow([csv_cell(c) for c in cells])

    t = i18n.gettext
    row(t(N_("Daily fee report")), report.branch.name, report.day.isoformat())
    row()
    row(t(N_("Payments")))
    row(t(N_("Receipt")), t(N_("Time")), t(N_("Application")), t(N_("Name")), t(N_("Method")),
        t(N_("Amount (CNY)")))
    for p, a in report.payments:
        row(p.reference, clock.local(p.paid_at).strftime("%H:%M"), a.reference,
            f"{a.given_names} {a.family_name}".strip(), t(METHOD_LABELS.get(p.method, p.method)),
            money.from_fen(p.amount_fen))
    for method, fen in report.by_method.items():
        row("", "", "", "", t(N_("Total by %(method)s"), method=t(METHOD_LABELS[method])), money.from_fen(fen))
    row("", "", "", "", t(N_("Total of payments")), money.from_fen(report.total_fen))
    row()
    row(t(N_("Replacement cards handed over")))
    row(t(N_("Application")), t(N_("Time")), t(N_("New card")), t(N_("Name")), t(N_("Reason")))
    for a, c in report.replacements:
        row(a.reference, clock.local(a.collected_at).strftime("%H:%M") if a.collected_at else "", c.card_number,
            f"{a.given_names} {a.family_name}".strip(), t(REASON_LABELS.get(a.replacement_reason, "")))
    row("", "", "", t(N_("Replacement cards handed over")), len(report.replacements))
    return ("\ufeff" + buf.getvalue()).encode("utf-8")
