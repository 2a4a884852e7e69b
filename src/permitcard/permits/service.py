"""Use cases of the Work-in-China registry: file, correct, withdraw and decide new applications.

Each use case is one unit of work with exactly one commit. Commands carry the ``version`` the
user saw; the UPDATE checks it again, so of two officers deciding at once one wins and the other
gets Conflict (409). Loaders enforce ownership: an employer sees only its own applications.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from permitcard.auth import service as auth_service
from permitcard.auth import views as accounts
from permitcard.auth.views import Role, has_permission
from permitcard.config import get_settings
from permitcard.db import Database
from permitcard.notifications.service import notify
from permitcard.permits import change_approval, domain, duplicates
from permitcard.permits import repository as repo
from permitcard.permits.domain import Action, ApplicationInput, State
from permitcard.permits.errors import AlreadyHoldsPermit
from permitcard.permits.events import PermitApproved
from permitcard.permits.models import Permit, PermitApplication, PermitDecision, PermitPerson, PermitVersion
from permitcard.policy import service as policy
from permitcard.shared import audit, clock, i18n, outbox, state
from permitcard.shared.audit import Actor
from permitcard.shared.crypto import blind_index
from permitcard.shared.errors import N_, NP_, Conflict, Forbidden, NotFound, RuleViolation
from permitcard.shared.pagination import Page
from permitcard.shared.registry import PermitInfo

__all__ = [
    "check_application",
    "decide",
    "file_application",
    "resubmit",
    "withdraw",
]

NOTICE_ROLES = {Role.PERMIT_OFFICER, Role.AGENCY_CLERK, Role.AUDITOR}
EXPORT_LIMIT = 10_000


@dataclass(frozen=True)
class ApplicationView:
    id: int
    reference: str
    kind: str
    state: str
    version: int
    employer_id: int
    employer_name_en: str
    employer_name_zh: str
    family_name: str
    given_names: str
    chinese_name: str
    nationality: str
    birth_date: date
    sex: str
    passport_number: str
    passport_expiry_date: date
    position: str
    category: str
    contract_start_date: date
    contract_end_date: date
    requested_end_date: date
    officer_note: str
    created_by_user_id: int | None
    submitted_at: datetime
    decided_at: datetime | None
    permit_number: str | None
    notice_number: str | None
    change_date: date | None = None  # changes: the day of the change (or the contract's end)
    days_late: int = 0  # changes: days after the last on-time day (10 working days)

    @property
    def full_name(self) -> str:
        return f"{self.given_names} {self.family_name}".strip()

    def data(self) -> dict[str, Any]:
        """The answers as filed, to prefill a correction."""
        return {k: getattr(self, k) for k in ApplicationInput.__dataclass_fields__}


ApplicationPage = Page[ApplicationView]


@dataclass(frozen=True)
class TimelineEvent:
    at: datetime
    action: str  # filed | resubmitted | returned | approved | rejected | withdrawn
    reason: str
    actor_role: str


@dataclass(frozen=True)
class Notice:
    info: PermitInfo
    issued_at: datetime
    verify_url: str


@dataclass(frozen=True)
class PublicCheck:
    """All the public verification page may show."""

    name: str
    status: str
    valid_from: date
    valid_to: date
    notice_number: str = ""


# ------------------------------------------------------------------ helpers


def can_read_all(actor: Actor) -> bool:
    return has_permission(actor.role, "permit.read_all")


def can_see_passport(actor: Actor, employer_id: int) -> bool:
    """Full passport numbers: the officers, and the employer that filed."""
    return actor.role == Role.PERMIT_OFFICER or (actor.role == Role.EMPLOYER and actor.employer_id == employer_id)


def _employer_names(s: Session, employer_id: int, cache: dict[int, tuple[str, str]]) -> tuple[str, str]:
    if employer_id not in cache:
        e = accounts.employer(s, employer_id)
        cache[employer_id] = (e.name_en, e.name_zh) if e else ("", "")
    return cache[employer_id]


def application_view(s: Session, a: PermitApplication, cache: dict[int, tuple[str, str]] | None = None,
                     numbers: dict[int, tuple[str, str]] | None = None) -> ApplicationView:
    """What pages and the API show of an application (``cache``: employer names; ``numbers``: a page's
    (notice number, permit number) by permit, ``repo.permit_numbers``)."""
    name_en, name_zh = _employer_names(s, a.employer_id, cache if cache is not None else {})
    notice_number, permit_number = (numbers or {}).get(a.permit_id or 0, (None, None))
    if a.permit_id is not None and notice_number is None:  # one application: its session already holds them
        p = repo.permit(s, a.permit_id)
        person = repo.person(s, p.person_id) if p else None
        notice_number, permit_number = (p.notice_number if p else None), (person.permit_number if person else None)
    return ApplicationView(
        id=a.id, reference=a.reference, kind=a.kind, state=a.state, version=a.version, employer_id=a.employer_id,
        employer_name_en=name_en, employer_name_zh=name_zh, family_name=a.family_name, given_names=a.given_names,
        chinese_name=a.chinese_name, nationality=a.nationality, birth_date=a.birth_date, sex=a.sex,
        passport_number=a.passport_number,
        passport_expiry_date=a.passport_expiry_date, position=a.position, category=a.category,
        contract_start_date=a.contract_start_date, contract_end_date=a.contract_end_date,
        requested_end_date=a.requested_end_date, officer_note=a.officer_note,
        created_by_user_id=a.created_by_user_id, submitted_at=a.submitted_at, decided_at=a.decided_at,
        permit_number=permit_number, notice_number=notice_number, change_date=a.change_date,
        days_late=a.days_late or 0)


def _summary(a: PermitApplication) -> dict[str, Any]:
    return {"reference": a.reference, "state": a.state, "version": a.version, "family_name": a.family_name,
            "nationality": a.nationality, "passport_number": a.passport_number, "category": a.category,
            "position": a.position, "requested_end_date": a.requested_end_date}


def load_application(s: Session, actor: Actor, application_id: int) -> PermitApplication:
    """The application if this actor may see it; anything else is NotFound (404)."""
    a = repo.application(s, application_id)
    if a is None:
        raise NotFound()
    if can_read_all(actor):
        return a
    if actor.role == Role.EMPLOYER and actor.employer_id is not None and a.employer_id == actor.employer_id:
        return a
    raise NotFound()


def _employer(s: Session, actor: Actor) -> tuple[str, str | None]:
    """The acting employer's (USCC, city code)."""
    if not has_permission(actor.role, "permit.apply") or actor.employer_id is None:
        raise Forbidden()
    uscc = auth_service.approved_uscc(s, actor.employer_id)
    return uscc, auth_service.employer_city(s, employer_id=actor.employer_id)


def _validated(s: Session, data: Mapping[str, Any] | ApplicationInput,
               employer: tuple[str, str | None]) -> ApplicationInput:
    d = data if isinstance(data, ApplicationInput) else ApplicationInput.from_mapping(data)
    uscc, city = employer
    today = clock.today()
    limits = policy.policy_for(s, city=city, on=today).permit_limits
    return domain.validate_application(d, today=today, limits=limits, employer_uscc=uscc)


def _check_limit_in_force(s: Session, a: PermitApplication) -> None:
    """Approval applies the validity limit of the employer's city in force on the decision day."""
    city = auth_service.employer_city(s, employer_id=a.employer_id)
    limits = policy.policy_for(s, city=city, on=clock.today()).permit_limits
    beyond = domain.beyond_limit(a.category, a.contract_start_date, a.requested_end_date, limits)
    if beyond is not None:
        raise RuleViolation(NP_("A category %(category)s permit is now valid for at most %(years)s year: "
                                "the last possible day is %(last)s. Return the application for correction.",
                                "A category %(category)s permit is now valid for at most %(years)s years: "
                                "the last possible day is %(last)s. Return the application for correction.",
                                "years"),
                            category=a.category, years=beyond[0], last=beyond[1])


def _refuse_duplicate(s: Session, d: ApplicationInput, *, employer_id: int, excluding: int | None = None) -> None:
    assert d.birth_date is not None  # validated
    duplicates.refuse_duplicate(s, employer_id=employer_id, nationality=d.nationality,
                                passport_hash=blind_index(d.passport_number), family_name=d.family_name,
                                given_names=d.given_names, birth_date=d.birth_date, sex=d.sex, excluding=excluding)


def _unique(s: Session, make: Any, taken: Any) -> str:
    for _ in range(50):
        value = make()
        if not taken(s, value):
            return str(value)
    raise Conflict()


# For the other use cases of this context (change_service).
acting_employer = _employer
unique_value = _unique


# ------------------------------------------------------------------ employer commands


def check_application(db: Database, *, actor: Actor, data: Mapping[str, Any]) -> ApplicationInput:
    """Validate without saving (the check-your-answers step)."""
    with db.uow(write=False) as s:
        return _validated(s, data, _employer(s, actor))


def file_application(db: Database, *, actor: Actor, data: Mapping[str, Any] | ApplicationInput) -> ApplicationView:
    """An employer files a new application for a foreign national."""
    with db.uow() as s:
        d = _validated(s, data, _employer(s, actor))
        now = clock.now()
        assert actor.employer_id is not None
        _refuse_duplicate(s, d, employer_id=actor.employer_id)
        a = PermitApplication(
            reference=_unique(s, domain.application_reference, repo.reference_exists), kind="new",
            employer_id=actor.employer_id, passport_hash=blind_index(d.passport_number), state=State.SUBMITTED,
            version=1, officer_note="", locale=i18n.get_locale(), created_by_user_id=actor.user_id,
            created_at=now, submitted_at=now, **d.as_dict())
        s.add(a)
        s.flush()
        audit.record(s, actor=actor, action="permit_application.filed", target_type="permit_application",
                     target_id=a.id, after=_summary(a))
        view = application_view(s, a)
        s.commit()
        return view


def resubmit(db: Database, *, actor: Actor, application_id: int, version: int,
             data: Mapping[str, Any] | ApplicationInput) -> ApplicationView:
    """The employer corrects a returned application and sends it again."""
    with db.uow() as s:
        employer = _employer(s, actor)
        a = load_application(s, actor, application_id)
        if a.kind != "new":
            raise RuleViolation(N_("This is a change of a permit: correct it on the change's own page."))
        domain.APPLICATION.next_state(a.state, Action.RESUBMIT)  # refuse before validating the answers
        d = _validated(s, data, employer)
        _refuse_duplicate(s, d, employer_id=a.employer_id, excluding=a.id)
        values = {**d.as_dict(), "passport_hash": blind_index(d.passport_number), "submitted_at": clock.now()}
        state.change(s, a, machine=domain.APPLICATION, action=Action.RESUBMIT, seen=version, actor=actor,
                     values=values, before=_summary(a))
        view = application_view(s, a)
        s.commit()
        return view


def withdraw(db: Database, *, actor: Actor, application_id: int, version: int) -> ApplicationView:
    with db.uow() as s:
        _employer(s, actor)
        a = load_application(s, actor, application_id)
        state.change(s, a, machine=domain.APPLICATION, action=Action.WITHDRAW, seen=version, actor=actor,
                     values={"decided_at": clock.now()})
        view = application_view(s, a)
        s.commit()
        return view


# ------------------------------------------------------------------ officer decision


def decide(db: Database, *, actor: Actor, application_id: int, version: int, action: str,
           reason: str = "") -> ApplicationView:
    """Approve (issues the permit and its notice), reject (with a reason) or return (with what to fix)."""
    if not has_permission(actor.role, "permit.decide"):
        raise Forbidden()
    chosen, reason = domain.validate_decision(action, reason)
    with db.uow() as s:
        a = load_application(s, actor, application_id)
        if a.version != version:
            raise Conflict()
        domain.APPLICATION.next_state(a.state, chosen)
        if chosen == Action.APPROVE and a.kind in ("new", "extension", "modification"):
            _check_limit_in_force(s, a)
        now = clock.now()
        values: dict[str, Any] = {"officer_note": reason}
        if chosen != Action.RETURN:
            values["decided_at"] = now
        after: dict[str, Any] = {"reason": reason}
        if chosen == Action.APPROVE and a.kind != "new":
            after |= change_approval.apply_change(s, actor, a)
        elif chosen == Action.APPROVE:
            permit, person = _issue_permit(s, actor, a)
            values["permit_id"] = permit.id
            after |= {"permit_number": person.permit_number, "notice_number": permit.notice_number}
        state.change(s, a, machine=domain.APPLICATION, action=chosen, seen=version, actor=actor, values=values,
                     after=after)
        s.add(PermitDecision(application_id=a.id, action=chosen.value, reason=reason, actor_user_id=actor.user_id,
                             at=now))
        view = application_view(s, a)
        _notify_decision(s, a, view)
        s.commit()
        return view


def _find_or_create_person(s: Session, actor: Actor, a: PermitApplication) -> PermitPerson:
    """The same foreign national keeps one permit number for life."""
    person = duplicates.find_person(s, nationality=a.nationality, passport_hash=a.passport_hash,
                                    family_name=a.family_name, given_names=a.given_names, birth_date=a.birth_date,
                                    sex=a.sex)
    if person is None:
        year = clock.today().year
        number = _unique(s, lambda: domain.permit_number(year, secrets.randbelow(10**9)), repo.permit_number_taken)
        person = PermitPerson(permit_number=number, family_name=a.family_name, given_names=a.given_names,
                              chinese_name=a.chinese_name, nationality=a.nationality, birth_date=a.birth_date,
                              sex=a.sex,
                              passport_number=a.passport_number, passport_hash=a.passport_hash,
                              created_at=clock.now())
        s.add(person)
        s.flush()
        audit.record(s, actor=actor, action="permit_person.created", target_type="permit_person", target_id=person.id,
                     after={"permit_number": number, "family_name": a.family_name, "nationality": a.nationality})
        return person
    before = {"family_name": person.family_name, "given_names": person.given_names,
              "passport_number": person.passport_number, "chinese_name": person.chinese_name}
    after = {"family_name": a.family_name, "given_names": a.given_names, "passport_number": a.passport_number,
             "chinese_name": a.chinese_name}
    if before != after:  # a new passport or a corrected name: the registry keeps the latest
        person.family_name, person.given_names, person.chinese_name = a.family_name, a.given_names, a.chinese_name
        person.passport_number, person.passport_hash = a.passport_number, a.passport_hash
        audit.record(s, actor=actor, action="permit_person.updated", target_type="permit_person",
                     target_id=person.id, before=before, after=after)
    return person


def _issue_permit(s: Session, actor: Actor, a: PermitApplication) -> tuple[Permit, PermitPerson]:
    person = _find_or_create_person(s, actor, a)
    today = clock.today()
    if duplicates.held_valid_permit(s, person.id) is not None:
        raise AlreadyHoldsPermit(permit_number=person.permit_number)
    now = clock.now()
    notice = _unique(s, lambda: domain.notice_number(today.year), repo.notice_taken)
    permit = Permit(person_id=person.id, employer_id=a.employer_id, category=a.category, position=a.position,
                    valid_from_date=a.contract_start_date, valid_to_date=a.requested_end_date,
                    status=domain.PermitStatus.VALID.value, notice_number=notice, version=1, issued_at=now)
    s.add(permit)
    s.flush()
    snapshot = {"permit_number": person.permit_number, "notice_number": notice, "family_name": person.family_name,
                "given_names": person.given_names, "nationality": person.nationality,
                "passport_hash": person.passport_hash, "employer_id": a.employer_id, "category": a.category,
                "position": a.position, "valid_from": a.contract_start_date.isoformat(),
                "valid_to": a.requested_end_date.isoformat(), "status": permit.status}
    s.add(PermitVersion(permit_id=permit.id, version=1, application_id=a.id, snapshot=snapshot, reason="issued",
                        created_at=now))
    audit.record(s, actor=actor, action="permit.issued", target_type="permit", target_id=permit.id,
                 after={k: v for k, v in snapshot.items() if k != "passport_hash"})
    outbox.publish(s, PermitApproved(permit_number=person.permit_number, permit_id=permit.id, version=1,
                                     employer_id=a.employer_id, notice_number=notice))
    return permit, person


def _notify_decision(s: Session, a: PermitApplication, view: ApplicationView) -> None:
    user = accounts.account(s, a.created_by_user_id) if a.created_by_user_id else None
    if user is None:
        return
    base = get_settings().base_url.rstrip("/")
    new = a.kind == "new"
    notify(s, to=user.email, template="permit_decided" if new else "permit_change_decided", locale=a.locale,
           dedupe_key=f"permit_application:{a.id}:v{a.version}",
           params={"reference": a.reference, "state": a.state, "reason": a.officer_note, "kind": a.kind,
                   "name": view.full_name, "permit_number": view.permit_number or "",
                   "notice_number": view.notice_number or "",
                   "url": f"{base}/employer/{'permits' if new else 'permit-changes'}/{a.id}"})


# ------------------------------------------------------------------ reading
