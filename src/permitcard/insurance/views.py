"""Reads of social insurance registrations for pages and the API, with ownership: an employer sees
its own employees' registrations, an applicant their own, the agency and auditors all. SSNs are shown
in full only to the roles that need them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from permitcard.auth.views import has_permission
from permitcard.db import Database
from permitcard.insurance import domain
from permitcard.insurance import repository as repo
from permitcard.insurance.models import InsurancePerson, InsuranceRegistration
from permitcard.insurance.service import InsuredPerson, RegistrationResult, person_summary
from permitcard.shared import audit, search
from permitcard.shared.audit import Actor
from permitcard.shared.crypto import mask
from permitcard.shared.errors import N_, Forbidden, NotFound
from permitcard.shared.pagination import COUNT_CAP, Page
from permitcard.shared.registry import REFUSAL_MESSAGES, PermitInfo, registry_for


@dataclass(frozen=True)
class RegistrationView:
    id: int
    reference: str
    state: str
    channel: str
    credential: str
    permit_number: str
    notice_number: str
    family_name: str
    given_names: str
    employer_id: int | None
    refusal_reason: str | None
    ssn: str | None  # as this reader may see it: in full or masked
    created_at: datetime
    decided_at: datetime | None
    version: int

    @property
    def refusal_message(self) -> str | None:
        return REFUSAL_MESSAGES.get(self.refusal_reason or "") if self.refusal_reason else None

    @property
    def full_name(self) -> str:
        return f"{self.given_names} {self.family_name}".strip()


RegistrationPage = Page[RegistrationView]


# --- reading, with ownership -------------------------------------------------------------------


def _scope(actor: Actor) -> repo.RegistrationFilter | None:
    """What this reader may see; None: nothing at all."""
    if has_permission(actor.role, "insurance.read_all"):
        return repo.RegistrationFilter()
    if has_permission(actor.role, "insurance.read_employer") and actor.employer_id is not None:
        return repo.RegistrationFilter(employer_id=actor.employer_id)
    if has_permission(actor.role, "insurance.read_own") and actor.permit_number:
        return repo.RegistrationFilter(permit_number=actor.permit_number)
    return None


def may_register_others(actor: Actor) -> bool:
    """Employers (their employees) and the agency (anyone) register people; auditors only read."""
    return (has_permission(actor.role, "insurance.register_employee")
            or has_permission(actor.role, "insurance.register_any"))


def sees_full_ssn(actor: Actor) -> bool:
    """The person themself, the agency, and the employer who filed (it pays the contributions).

    Readers only ever reach registrations they own, so the role decides; auditors see it masked.
    """
    return actor.role in ("applicant", "agency_clerk", "employer")


def _view(reg: InsuranceRegistration, person: InsurancePerson | None, actor: Actor) -> RegistrationView:
    ssn = person.ssn if person is not None and reg.state == domain.REGISTERED else None
    if ssn and not sees_full_ssn(actor):
        ssn = mask(ssn)
    return RegistrationView(
        id=reg.id, reference=reg.reference, state=reg.state, channel=reg.channel, credential=reg.credential,
        permit_number=reg.permit_number, notice_number=reg.notice_number, family_name=reg.family_name,
        given_names=reg.given_names, employer_id=reg.employer_id, refusal_reason=reg.refusal_reason, ssn=ssn,
        created_at=reg.created_at, decided_at=reg.decided_at, version=reg.version,
    )


def view_of_result(result: RegistrationResult, actor: Actor) -> RegistrationView:
    """The answer to the registering request from what the write already has (no read-back)."""
    ssn = result.ssn if result.state == domain.REGISTERED else None
    if ssn and not sees_full_ssn(actor):
        ssn = mask(ssn)
    assert result.created_at is not None
    return RegistrationView(
        id=result.id, reference=result.reference, state=result.state, channel=result.channel,
        credential=result.credential, permit_number=result.permit_number, notice_number=result.notice_number,
        family_name=result.family_name, given_names=result.given_names, employer_id=result.employer_id,
        refusal_reason=result.refusal_reason, ssn=ssn, created_at=result.created_at, decided_at=result.decided_at,
        version=result.version,
    )


def _owned(s: Session, actor: Actor, registration_id: int) -> InsuranceRegistration:
    scope = _scope(actor)
    reg = repo.registration(s, registration_id)
    if scope is None or reg is None:
        raise NotFound(N_("No registration with this reference"))
    if scope.employer_id is not None and reg.employer_id != scope.employer_id:
        raise NotFound(N_("No registration with this reference"))
    if scope.permit_number is not None and reg.permit_number != scope.permit_number:
        raise NotFound(N_("No registration with this reference"))
    return reg


def get_registration(db: Database, *, actor: Actor, registration_id: int) -> RegistrationView:
    with db.uow(write=False) as s:
        reg = _owned(s, actor, registration_id)
        person = repo.person(s, reg.person_id) if reg.person_id else None
        return _view(reg, person, actor)


def registration_history(db: Database, *, actor: Actor, registration_id: int) -> list[audit.AuditLog]:
    with db.uow(write=False) as s:
        _owned(s, actor, registration_id)
        return audit.history(s, target_type="insurance_registration", target_id=registration_id)


def _filter(actor: Actor, *, state: str | None, channel: str | None, q: str, sort: str) -> repo.RegistrationFilter:
    scope = _scope(actor)
    if scope is None:
        raise Forbidden()
    return repo.RegistrationFilter(
        employer_id=scope.employer_id, permit_number=scope.permit_number,
        state=state if state in domain.STATES else None, channel=channel if channel in domain.CHANNELS else None,
        q=q.strip()[:100], sort=sort if sort in repo.SORTS else "newest",
    )


def list_registrations(db: Database, *, actor: Actor, state: str | None = None, channel: str | None = None,
                       q: str = "", sort: str = "newest", page: int = 1, per_page: int = 25,
                       after: str | None = None, before: str | None = None) -> RegistrationPage:
    f = _filter(actor, state=state, channel=channel, q=q, sort=sort)
    per_page = min(max(per_page, 1), 200)
    with db.uow(write=False) as s:
        total = repo.count_registrations(s, f)  # up to COUNT_CAP + 1
        exact = total <= COUNT_CAP
        if exact and not (after or before):
            page = min(max(page, 1), max(1, -(-total // per_page)))
        page = max(page, 1)
        found = repo.list_registrations(s, f, offset=(page - 1) * per_page, limit=per_page, after=after,
                                        before=before)
        rows = found.items
        people = repo.people(s, {r.person_id for r in rows if r.person_id})
        items = [_view(r, people.get(r.person_id or 0), actor) for r in rows]
        return RegistrationPage(items=items, total=total, page=page, per_page=per_page,
                                counts=repo.count_by_state(s, f), total_exact=exact, next_after=found.next_after,
                                prev_before=found.prev_before, keyset=True,
                                search_capped=search.capped(repo.search_hits(s, f)))


def export_registrations(db: Database, *, actor: Actor, state: str | None = None, channel: str | None = None,
                         q: str = "", sort: str = "newest") -> list[RegistrationView]:
    """Every registration matching the filters (for CSV), as this reader may see them."""
    f = _filter(actor, state=state, channel=channel, q=q, sort=sort)
    with db.uow(write=False) as s:
        rows = repo.all_registrations(s, f)
        people = repo.people(s, {r.person_id for r in rows if r.person_id})
        return [_view(r, people.get(r.person_id or 0), actor) for r in rows]


def my_registration(db: Database, *, actor: Actor) -> tuple[InsuredPerson | None, list[RegistrationView]]:
    """The applicant's own status: their SSN if they have one, and every registration made for them."""
    if not actor.permit_number:
        return None, []
    with db.uow(write=False) as s:
        summary = person_summary(s, permit_number=actor.permit_number)
        rows = repo.latest_for_permit(s, actor.permit_number)
        people = repo.people(s, {r.person_id for r in rows if r.person_id})
        return summary, [_view(r, people.get(r.person_id or 0), actor) for r in rows]


def permit_for_applicant(db: Database, *, actor: Actor) -> PermitInfo | None:
    """The applicant's linked permit (to prefill their own registration form)."""
    if not actor.permit_number:
        return None
    with db.uow(write=False) as s:
        return registry_for(s).get(actor.permit_number)
