"""Reads of the registry for pages and the API: queues, exports, timelines, notices, checks.

The use cases that change something live in ``service``; everything here only reads, each in a
read-only unit of work, with the same ownership rules (``service.load_application`` and
``_may_see_permit``).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from permitcard.auth import views as accounts
from permitcard.auth.views import Role, has_permission
from permitcard.config import get_settings
from permitcard.db import Database
from permitcard.permits import repository as repo
from permitcard.permits.domain import WAITING
from permitcard.permits.errors import NoticeNotConfirmed
from permitcard.permits.models import Permit, PermitApplication, PermitPerson
from permitcard.permits.registry import BuiltinRegistry, permit_info
from permitcard.permits.repository import ApplicationFilter
from permitcard.permits.service import (
    EXPORT_LIMIT,
    NOTICE_ROLES,
    ApplicationPage,
    ApplicationView,
    Notice,
    PublicCheck,
    TimelineEvent,
    application_view,
    can_read_all,
    load_application,
)
from permitcard.shared import audit, search
from permitcard.shared.audit import Actor
from permitcard.shared.crypto import sign, verify_signature
from permitcard.shared.errors import Forbidden, NotFound
from permitcard.shared.pagination import COUNT_CAP, bounds
from permitcard.shared.registry import PermitInfo, registry_for


def get_application(db: Database, *, actor: Actor, application_id: int) -> ApplicationView:
    with db.uow(write=False) as s:
        return application_view(s, load_application(s, actor, application_id))


def _filter_for(actor: Actor, states: tuple[str, ...], q: str, sort: str) -> ApplicationFilter:
    if can_read_all(actor):
        return ApplicationFilter(None, states, q[:100], sort)
    if actor.role == Role.EMPLOYER and actor.employer_id is not None:
        return ApplicationFilter(actor.employer_id, states, q[:100], sort)
    raise Forbidden()


def list_applications(db: Database, *, actor: Actor, states: tuple[str, ...] = (), q: str = "",
                      sort: str = "newest", page: int = 1, per_page: int = 25, after: str | None = None,
                      before: str | None = None) -> ApplicationPage:
    f = _filter_for(actor, states, q, sort)
    page, per_page, offset = bounds(page, per_page)
    with db.uow(write=False) as s:
        found = repo.list_applications(s, f, offset=offset, limit=per_page, after=after, before=before)
        total = repo.count_applications(s, f)
        cache = _employer_cache(s, found.items)
        numbers = repo.permit_numbers(s, {a.permit_id for a in found.items if a.permit_id is not None})
        return ApplicationPage([application_view(s, a, cache, numbers) for a in found.items], total, page, per_page,
                               repo.counts_by_state(s, f), total_exact=total <= COUNT_CAP,
                               next_after=found.next_after, prev_before=found.prev_before,
                               search_capped=search.capped(repo.search_hits(s, f)),
                               keyset=repo.SORTS[f.sort].keyset if f.sort in repo.SORTS else True)


def _employer_cache(s: Session, rows: list[PermitApplication]) -> dict[int, tuple[str, str]]:
    """The employers' names of a page of applications, read in one query (not one per row)."""
    found = accounts.employers(s, {a.employer_id for a in rows})
    return {i: (e.name_en, e.name_zh) for i, e in found.items()}


def export_applications(db: Database, *, actor: Actor, states: tuple[str, ...] = (), q: str = "",
                        sort: str = "newest") -> list[ApplicationView]:
    f = _filter_for(actor, states, q, sort)
    with db.uow(write=False) as s:
        rows = repo.list_applications(s, f, offset=0, limit=EXPORT_LIMIT).items
        cache = _employer_cache(s, rows)
        numbers = repo.permit_numbers(s, {a.permit_id for a in rows if a.permit_id is not None})
        return [application_view(s, a, cache, numbers) for a in rows]


_TIMELINE_ACTIONS = {"filed", "resubmitted", "returned", "approved", "rejected", "withdrawn", "cancelled"}


def timeline(db: Database, *, actor: Actor, application_id: int) -> list[TimelineEvent]:
    """What happened to the application, newest first."""
    with db.uow(write=False) as s:
        a = load_application(s, actor, application_id)
        events = []
        for row in audit.history(s, target_type="permit_application", target_id=a.id):
            action = row.action.removeprefix("permit_application.")
            if action in _TIMELINE_ACTIONS:
                reason = str((row.after or {}).get("reason", "") or "")
                events.append(TimelineEvent(row.at, "withdrawn" if action == "cancelled" else action, reason,
                                            row.actor_role))
        return events


def _may_see_permit(actor: Actor, permit: Permit, person: PermitPerson) -> bool:
    if actor.role in NOTICE_ROLES:
        return True
    if actor.role == Role.EMPLOYER:
        return actor.employer_id is not None and actor.employer_id == permit.employer_id
    if actor.role == Role.APPLICANT:
        return actor.permit_number is not None and actor.permit_number == person.permit_number
    return False


def may_decide(actor: Actor, view: ApplicationView) -> bool:
    """Whether this reader can decide the application now (a permit officer, while it waits)."""
    return has_permission(actor.role, "permit.decide") and view.state in {s.value for s in WAITING}


def shows_full_passport(actor: Actor, info: PermitInfo) -> bool:
    """Whether a permit read through ``get_permit``/``get_notice`` shows the full passport number: to
    permit officers, its employer (who only ever reaches its own permits) and its holder; the agency,
    the banks and auditors see it masked."""
    return (actor.role in (Role.PERMIT_OFFICER, Role.EMPLOYER)
            or (actor.role == Role.APPLICANT and actor.permit_number == info.permit_number))


def notice_verify_url(notice_number: str) -> str:
    """The public verification address printed as the notice's QR code (signed)."""
    base = get_settings().base_url.rstrip("/")
    return f"{base}/verify/notices/{notice_number}?sig={sign(notice_number.encode())}"


def get_notice(db: Database, *, actor: Actor, notice_number: str) -> Notice:
    with db.uow(write=False) as s:
        permit = repo.permit_by_notice(s, notice_number.strip().upper())
        person = repo.person(s, permit.person_id) if permit else None
        if permit is None or person is None or not _may_see_permit(actor, permit, person):
            raise NotFound()
        return Notice(permit_info(s, permit, person), permit.issued_at, notice_verify_url(permit.notice_number))


def get_permit(db: Database, *, actor: Actor, permit_number: str) -> PermitInfo:
    with db.uow(write=False) as s:
        person = repo.person_by_number(s, permit_number.strip().upper())
        permit = repo.latest_permit_of(s, person.id) if person else None
        if permit is None or person is None or not _may_see_permit(actor, permit, person):
            raise NotFound()
        return permit_info(s, permit, person)


def verify_notice(db: Database, *, notice_number: str, sig: str) -> PublicCheck:
    """The public check behind the notice's QR code: only name, status and validity."""
    if not sig or len(sig) > 200 or not verify_signature(notice_number.encode(), sig):
        raise NoticeNotConfirmed()
    with db.uow(write=False) as s:
        info = BuiltinRegistry(s).by_notice(notice_number)
    if info is None:
        raise NoticeNotConfirmed()
    return PublicCheck(info.full_name, info.status, info.valid_from, info.valid_to, notice_number=notice_number)


def verify_permit(db: Database, *, actor: Actor, permit_number: str, family_name: str, given_names: str,
                  passport_number: str, require_valid: bool = True) -> PermitInfo:
    """A clerk asks the configured registry; RegistryRefusal (with ``reason``) if it does not confirm."""
    if not has_permission(actor.role, "permit.verify"):
        raise Forbidden()
    with db.uow(write=False) as s:
        return registry_for(s).verify(permit_number=permit_number, family_name=family_name, given_names=given_names,
                                      passport_number=passport_number, require_valid=require_valid)
