"""A branch's daily fee report (reads only): the fees paid at its counter on one business day, the
replacement cards it handed over that day, totals per payment method that add up to the payments;
and the same as one table for the shared CSV writer (``shared.csvexport``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from permitcard.banks import service as banks
from permitcard.banks.service import Branch
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


def csv_table(report: FeeReport) -> tuple[list[str], list[list[object]]]:
    """The report as one table for the shared CSV writer, in the reader's language: each payment, the
    totals per method and of all payments, then each replacement card handed over."""
    t = i18n.gettext
    header = [t(N_("Line")), t(N_("Receipt")), t(N_("Time")), t(N_("Application")), t(N_("Name")),
              t(N_("Method or reason")), t(N_("Amount (CNY)")), t(N_("New card"))]
    rows: list[list[object]] = []
    for p, a in report.payments:
        rows.append([t(N_("Payment")), p.reference, p.paid_at, a.reference, f"{a.given_names} {a.family_name}".strip(),
                     t(METHOD_LABELS.get(p.method, p.method)), money.from_fen(p.amount_fen), ""])
    for method, fen in report.by_method.items():
        rows.append([t(N_("Total by %(method)s"), method=t(METHOD_LABELS[method])), "", "", "", "", "",
                     money.from_fen(fen), ""])
    rows.append([t(N_("Total of payments")), "", "", "", "", "", money.from_fen(report.total_fen), ""])
    for a, c in report.replacements:
        rows.append([t(N_("Replacement card handed over")), "", a.collected_at, a.reference,
                     f"{a.given_names} {a.family_name}".strip(), t(REASON_LABELS.get(a.replacement_reason, "")), "",
                     c.card_number])
    return header, rows
