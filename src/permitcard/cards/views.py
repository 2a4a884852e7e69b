"""Reads of the cards context for pages and the API: overviews, detail, queues, SLA, CSV.

Every read goes through the same ownership loaders as the commands (``service.load_*``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from permitcard.banks import service as banks
from permitcard.banks.service import Branch
from permitcard.cards import domain, service
from permitcard.cards import repository as repo
from permitcard.cards.domain import AppState, Eligibility
from permitcard.cards.models import Card, CardApplication, CardPayment
from permitcard.cards.repository import QueueFilter
from permitcard.db import Database
from permitcard.insurance import service as insurance
from permitcard.photos import service as photos
from permitcard.shared import audit, clock, i18n, search
from permitcard.shared.audit import Actor
from permitcard.shared.calendar_store import calendar_data
from permitcard.shared.crypto import blind_index, mask
from permitcard.shared.errors import N_, CalendarUnknown, Forbidden, NotFound
from permitcard.shared.pagination import COUNT_CAP, Page
from permitcard.shared.registry import PermitInfo, registry_for

EVENT_TITLES = {
    "card_application.submitted": N_("Application received"),
    "card_application.return": N_("Returned for correction"),
    "card_application.resubmit": N_("Application sent again"),
    "card_application.approve": N_("Application approved"),
    "card_application.reject": N_("Application rejected"),
    "card_application.cancel": N_("Application cancelled"),
    "card_application.start_production": N_("Card production started"),
    "card_application.mark_ready": N_("Card ready for collection at the branch"),
    "card_application.hand_over": N_("Card collected"),
    "card.produced": N_("Card produced"),
    "card.issue": N_("Card handed over"),
    "card.activate": N_("Card activated"),
    "card.suspend": N_("Card suspended"),
    "card.restore": N_("Card restored"),
    "card.invalidate": N_("Card invalidated"),
    "card.permit_refreshed": N_("Work permit information on the card updated"),
    "card_payment.recorded": N_("Fee paid at the branch"),
}


@dataclass(frozen=True)
class TimelineItem:
    at: datetime
    title: str
    detail: str = ""


@dataclass
class ApplicationDetail:
    app: CardApplication
    branch: Branch
    card: Card | None
    waiting: str | None
    timeline: list[TimelineItem]
    permit: PermitInfo | None
    actions: list[str]
    show_full_ssn: bool = False
    payment: CardPayment | None = None
    replaces: Card | None = None  # the lost or damaged card a replacement replaces

    @property
    def name(self) -> str:
        return f"{self.app.given_names} {self.app.family_name}".strip()


@dataclass
class CardDetail:
    card: Card
    branch: Branch
    ssn: str
    bank_account: str
    application: CardApplication | None


@dataclass
class Overview:
    linked: bool
    permit: PermitInfo | None = None
    ssn_masked: str = ""
    eligibility: Eligibility | None = None
    applications: list[tuple[CardApplication, Branch]] = field(default_factory=list)
    cards: list[Card] = field(default_factory=list)


def _timeline(s: Session, app: CardApplication, card: Card | None) -> list[TimelineItem]:
    rows = audit.history(s, target_type="card_application", target_id=app.id)
    if card is not None:
        rows += audit.history(s, target_type="card", target_id=card.id)
    rows.sort(key=lambda r: r.seq, reverse=True)
    items = []
    for r in rows:
        title = i18n.gettext(EVENT_TITLES.get(r.action, r.action))
        items.append(TimelineItem(at=r.at, title=title, detail=r.note))
    return items


def branch_of(s: Session, branch_id: int) -> Branch:
    return banks.get_branch(s, branch_id)


def application_detail(db: Database, *, actor: Actor, application_id: int) -> ApplicationDetail:
    with db.uow(write=False) as s:
        app = service.load_application(s, actor, application_id)
        card = repo.card_for_application(s, app.id)
        return ApplicationDetail(
            app=app, branch=branch_of(s, app.branch_id), card=card, waiting=service.waiting_reason(s, app),
            timeline=_timeline(s, app, card), permit=registry_for(s).get(app.permit_number),
            actions=domain.APPLICATION.allowed(app.state),
            show_full_ssn=actor.role != service.AUDITOR, payment=repo.payment_for(s, app.id),
            replaces=repo.card(s, app.replaces_card_id) if app.replaces_card_id else None)


def _card_detail(s: Session, actor: Actor, card: Card) -> CardDetail:
    issuing_clerk = actor.role == service.BANK and actor.branch_id == card.branch_id
    app = repo.application(s, card.application_id) if card.application_id else None
    return CardDetail(
        card=card, branch=branch_of(s, card.branch_id),
        ssn=mask(card.ssn) if actor.role == service.AUDITOR else card.ssn,
        bank_account=card.bank_account if issuing_clerk else mask(card.bank_account), application=app)


def card_detail(db: Database, *, actor: Actor, card_id: int) -> CardDetail:
    with db.uow(write=False) as s:
        return _card_detail(s, actor, service.load_card(s, actor, card_id))


def card_photo(db: Database, *, actor: Actor, card_id: int) -> bytes:
    with db.uow(write=False) as s:
        card = service.load_card(s, actor, card_id)
        if card.photo_id is None:
            raise NotFound(N_("This card has no photo"))
        return photos.photo_jpeg(s, photo_id=card.photo_id)


def application_photo(db: Database, *, actor: Actor, application_id: int) -> bytes:
    with db.uow(write=False) as s:
        app = service.load_application(s, actor, application_id)
        return photos.photo_jpeg(s, photo_id=app.photo_id)


def eligibility(db: Database, *, actor: Actor) -> tuple[PermitInfo | None, Eligibility]:
    if actor.role != service.APPLICANT:
        raise Forbidden()
    with db.uow(write=False) as s:
        return service.eligibility_in(s, actor.permit_number)


def my_overview(db: Database, *, actor: Actor) -> Overview:
    if not actor.permit_number:
        return Overview(linked=False)
    with db.uow(write=False) as s:
        permit, elig = service.eligibility_in(s, actor.permit_number)
        ssn = insurance.ssn_for(s, permit_number=actor.permit_number)
        apps = [(a, branch_of(s, a.branch_id)) for a in repo.applications_for_permit(s, actor.permit_number)]
        # A card issued before the integration carries no permit: it is found by the SSN.
        cards = [c for c in repo.cards_for_person(s, permit_number=actor.permit_number,
                                                  ssn_hash=blind_index(ssn) if ssn else None)
                 if c.state != domain.CardState.INVALIDATED]
        return Overview(linked=True, permit=permit, ssn_masked=mask(ssn) if ssn else "", eligibility=elig,
                        applications=apps, cards=cards)


def my_applications(db: Database, *, actor: Actor) -> list[CardApplication]:
    if not actor.permit_number:
        return []
    with db.uow(write=False) as s:
        return repo.applications_for_permit(s, actor.permit_number)


# --- staff queues -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class QueuePage(Page[CardApplication]):
    """A page of the card queue, with the branches its rows name."""

    branches: dict[int, Branch] = field(default_factory=dict)
    card_ids: dict[int, int] = field(default_factory=dict)  # application id -> the card it produced


def scoped_filter(actor: Actor, f: QueueFilter) -> QueueFilter:
    """What this actor may list: applicants their own, bank clerks their branch, staff everything."""
    if actor.role == service.APPLICANT:
        return QueueFilter(state=f.state, channel=f.channel, q=f.q, permit_number=actor.permit_number or "-")
    if actor.role == service.BANK:
        return QueueFilter(state=f.state, channel=f.channel, q=f.q, branch_id=actor.branch_id or -1)
    if actor.role in (service.AGENCY, service.AUDITOR):
        return f
    raise Forbidden()


def _branch_map(s: Session) -> dict[int, Branch]:
    return {b.id: b for b in banks.issuing_branches(s)}


def queue(db: Database, *, actor: Actor, f: QueueFilter, sort: str = "-created", page: int = 1,
          per_page: int = 25, after: str | None = None, before: str | None = None) -> QueuePage:
    f = scoped_filter(actor, f)
    page, per_page = max(1, page), min(max(1, per_page), 200)
    order = repo.SORTS.get(sort, repo.SORTS["-created"])
    with db.uow(write=False) as s:
        found, total = repo.queue(s, f, sort=sort, offset=(page - 1) * per_page, limit=per_page, after=after,
                                  before=before)
        return QueuePage(items=found.items, total=total, page=page, per_page=per_page,
                         counts=repo.counts_by_state(s, f), total_exact=total <= COUNT_CAP,
                         next_after=found.next_after, prev_before=found.prev_before, keyset=order.keyset,
                         search_capped=search.capped(repo.search_hits(s, f)),
                         branches=_branch_map(s), card_ids=repo.card_ids_of(s, [a.id for a in found.items]))


def export_table(db: Database, *, actor: Actor, f: QueueFilter,
                 sort: str = "-created") -> tuple[list[str], list[list[Any]]]:
    """The filtered queue as a header and rows, for the one CSV writer (shared.csvexport)."""
    f = scoped_filter(actor, f)
    with db.uow(write=False) as s:
        items = repo.queue_all(s, f, sort=sort)
        branches = _branch_map(s)
    header = [i18n.gettext(h) for h in (N_("Reference"), N_("Family name"), N_("Given names"),
                                       N_("Work permit number"), N_("Kind"), N_("Channel"), N_("Submitted via"),
                                       N_("Branch"), N_("Status"), N_("Submitted"), N_("Promised date"))]
    rows = []
    for a in items:
        b = branches.get(a.branch_id)
        rows.append([a.reference, a.family_name, a.given_names, a.permit_number, a.kind, a.channel, a.submitted_via,
                     b.name if b else a.branch_id, a.state, a.created_at, a.promised_date])
    return header, rows


@dataclass(frozen=True)
class SlaRow:
    app: CardApplication
    branch: Branch | None
    status: str  # due | due_today | overdue | unknown | waiting_calendar (no promised date yet)
    working_days: int


def sla_rows(db: Database, *, actor: Actor) -> list[SlaRow]:
    """Approved and in-production applications against their promised date."""
    if actor.role not in (service.AGENCY, service.AUDITOR, service.BANK):
        raise Forbidden()
    branch_id = actor.branch_id if actor.role == service.BANK else None
    with db.uow(write=False) as s:
        cal, today, branches = calendar_data(s), clock.today(), _branch_map(s)
        # Approved while the official calendar of the promised date's year was unknown: listed first.
        rows = [SlaRow(a, branches.get(a.branch_id), "waiting_calendar", 0)
                for a in repo.waiting_for_calendar(s, branch_id=branch_id, limit=repo.SECTION_LIMIT)]
        for a in repo.in_progress_with_promise(s, branch_id=branch_id):
            assert a.promised_date is not None
            try:
                due = domain.sla(a.promised_date, today, cal)
                rows.append(SlaRow(a, branches.get(a.branch_id), due.status, due.working_days))
            except CalendarUnknown:
                rows.append(SlaRow(a, branches.get(a.branch_id), "unknown", 0))
        return rows


def waiting_for_calendar_count(db: Database) -> int:
    """Approved applications whose promised date waits for an official calendar year not entered yet."""
    with db.uow(write=False) as s:
        return len(repo.waiting_for_calendar(s, limit=COUNT_CAP + 1))


@dataclass
class BranchQueue:
    branch: Branch
    to_confirm: list[repo.SectionRow]
    ready: list[repo.SectionRow]
    instant: list[repo.SectionRow]
    to_activate: list[repo.SectionRow]  # the applications of the cards handed over
    count_cap: int  # the headings count up to this ("1,000+" above)
    # How many each section holds (up to count_cap + 1); a section shows its SECTION_LIMIT oldest.
    counts: dict[str, int] = field(default_factory=dict)


def branch_queue(db: Database, *, actor: Actor) -> BranchQueue:
    if actor.role != service.BANK or actor.branch_id is None:
        raise Forbidden()
    with db.uow(write=False) as s:
        bid = actor.branch_id
        sections = {
            "to_confirm": ([AppState.IN_PRODUCTION.value], domain.Channel.STANDARD.value),
            "ready": ([AppState.READY_FOR_COLLECTION.value], None),
            "instant": ([AppState.SUBMITTED.value, AppState.RESUBMITTED.value], domain.Channel.INSTANT.value),
        }
        rows = {name: repo.branch_section(s, bid, states=states, channel=channel)
                for name, (states, channel) in sections.items()}
        counts = {name: repo.branch_section_count(s, bid, states=states, channel=channel)
                  for name, (states, channel) in sections.items()}
        counts["to_activate"] = repo.issued_count(s, bid)
        return BranchQueue(branch=branch_of(s, bid), to_confirm=rows["to_confirm"], ready=rows["ready"],
                           instant=rows["instant"], to_activate=repo.issued_at_branch(s, bid), counts=counts,
                           count_cap=repo.SECTION_COUNT_CAP)


def may_decide(actor: Actor) -> bool:
    """Whether this reader decides card applications (the agency; ``service.decide`` checks it again)."""
    return actor.role == service.AGENCY


def branch_choices(db: Database) -> list[Branch]:
    return banks.list_branches(db)


def own_branch(db: Database, *, actor: Actor) -> Branch:
    if actor.branch_id is None:
        raise Forbidden()
    with db.uow(write=False) as s:
        return branch_of(s, actor.branch_id)


def today() -> date:
    return clock.today()


def as_dict(card: CardDetail) -> dict[str, Any]:
    c = card.card
    return {"id": c.id, "card_number": c.card_number, "state": c.state, "version": c.version,
            "family_name": c.family_name, "given_names": c.given_names, "chinese_name": c.chinese_name,
            "ssn": card.ssn,
            "bank_account": card.bank_account, "branch_id": c.branch_id, "branch_name": card.branch.name,
            "application_id": c.application_id, "produced_at": c.produced_at, "issued_at": c.issued_at,
            "activated_at": c.activated_at, "suspended_at": c.suspended_at, "loss_reported_via": c.loss_reported_via,
            "permit": as_dict_permit(c)}


def as_dict_permit(c: Card) -> dict[str, Any]:
    """The permit information printed on a card (its snapshot)."""
    return {"permit_number": c.permit_number, "category": c.permit_category, "employer_name_en": c.employer_name_en,
            "employer_name_zh": c.employer_name_zh, "position": c.position, "valid_from": c.permit_valid_from,
            "valid_to": c.permit_valid_to, "status": c.permit_status}


@dataclass
class MyCard:
    card: Card
    ssn_masked: str
    replacement: CardApplication | None  # the live replacement application of this card, if any
    fee_fen: int  # what a replacement costs today
    branches: list[Branch]


def my_card(db: Database, *, actor: Actor, card_id: int) -> MyCard:
    """A worker's own card with what they can do about it (report loss, restore, replace)."""
    if actor.role != service.APPLICANT:
        raise Forbidden()
    with db.uow(write=False) as s:
        card = service.load_card(s, actor, card_id)
        return MyCard(card=card, ssn_masked=mask(card.ssn), replacement=repo.live_replacement_for(s, card.id),
                      fee_fen=service.card_fee_fen(s, kind=domain.Kind.REPLACEMENT, on=clock.today()),
                      branches=banks.issuing_branches(s))


# --- for other contexts, inside their unit of work ------------------------------------------------


@dataclass(frozen=True)
class CardStatus:
    """The person's current physical card and latest application, as values (the e-card follows it)."""

    card_id: int | None
    card_state: str | None
    card_version: int
    application_state: str | None
    promised_date: date | None
    promised_calendar_year: int | None = None  # approved; the date waits for this year's official calendar


def card_status_for(s: Session, *, permit_number: str) -> CardStatus:
    """The newest card that is not invalidated, and the newest application, of this work permit's holder."""
    cards = [c for c in repo.cards_for_person(s, permit_number=permit_number)
             if c.state != domain.CardState.INVALIDATED]
    card = max(cards, key=lambda c: c.id) if cards else None
    apps = repo.applications_for_permit(s, permit_number)
    app = max(apps, key=lambda a: a.id) if apps else None
    return CardStatus(card_id=card.id if card else None, card_state=card.state if card else None,
                      card_version=card.version if card else 0, application_state=app.state if app else None,
                      promised_date=app.promised_date if app else None,
                      promised_calendar_year=app.promised_calendar_year if app else None)
