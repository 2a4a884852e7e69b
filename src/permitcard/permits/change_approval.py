"""Approval of a change application (called by ``service.decide``): the permit's next version, its
history row (append-only), the audit row and the event the card handler follows. The first extension,
modification or electronic request of a paper permit supersedes the paper."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from permitcard.permits import domain
from permitcard.permits import repository as repo
from permitcard.permits.changes_domain import Kind
from permitcard.permits.events import PermitCancelled, PermitChanged
from permitcard.permits.models import Permit, PermitApplication, PermitPerson, PermitVersion
from permitcard.shared import audit, clock, outbox
from permitcard.shared.audit import Actor
from permitcard.shared.crypto import mask
from permitcard.shared.errors import N_, Conflict, RuleViolation


def snapshot(permit: Permit, person: PermitPerson) -> dict[str, Any]:
    return {"permit_number": person.permit_number, "notice_number": permit.notice_number,
            "family_name": person.family_name, "given_names": person.given_names,
            "nationality": person.nationality, "passport_hash": person.passport_hash,
            "passport_masked": mask(person.passport_number), "employer_id": permit.employer_id,
            "category": permit.category, "position": permit.position,
            "valid_from": permit.valid_from_date.isoformat(), "valid_to": permit.valid_to_date.isoformat(),
            "status": permit.status, "origin": permit.origin}


def apply_change(s: Session, actor: Actor, a: PermitApplication) -> dict[str, Any]:
    """The officer approved change application ``a``: the permit's next version, its history row, the
    audit row and the event the card handler follows. Returns what the decision's audit row adds."""
    permit = repo.permit(s, a.permit_id) if a.permit_id else None
    person = repo.person(s, permit.person_id) if permit else None
    if permit is None or person is None:
        raise RuleViolation(N_("The permit of this application no longer exists."))
    if domain.effective_status(permit.status, permit.valid_to_date, clock.today()) != "valid":
        raise RuleViolation(N_("The permit is no longer valid; this change cannot be approved."))
    kind = Kind(a.kind)
    before = snapshot(permit, person)
    now = clock.now()
    changes: dict[str, Any] = {}
    if kind == Kind.EXTENSION:
        changes["valid_to_date"] = a.requested_end_date
    elif kind == Kind.MODIFICATION:
        changes |= {"position": a.position, "category": a.category}
        person.family_name, person.given_names = a.family_name, a.given_names
        person.passport_number, person.passport_hash = a.passport_number, a.passport_hash
    elif kind == Kind.CANCELLATION:
        changes["status"] = domain.PermitStatus.CANCELLED.value
    if kind != Kind.CANCELLATION and permit.origin == "paper":
        changes |= {"origin": "electronic", "paper_superseded_at": now}  # the paper is superseded
    new_version = permit.version + 1
    result = s.execute(update(Permit).where(Permit.id == permit.id, Permit.version == permit.version)
                       .values(version=new_version, **changes).execution_options(synchronize_session=False))
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict()
    for key, value in {**changes, "version": new_version}.items():
        setattr(permit, key, value)
    s.flush()
    after = snapshot(permit, person) | ({"superseded_paper": True} if "paper_superseded_at" in changes else {})
    s.add(PermitVersion(permit_id=permit.id, version=new_version, application_id=a.id, snapshot=after,
                        reason=kind.value, created_at=now))
    audit.record(s, actor=actor, action=f"permit.{kind.value}", target_type="permit", target_id=permit.id,
                 before={k: v for k, v in before.items() if k != "passport_hash"},
                 after={k: v for k, v in after.items() if k != "passport_hash"})
    if kind == Kind.CANCELLATION:
        outbox.publish(s, PermitCancelled(permit_number=person.permit_number, permit_id=permit.id,
                                          version=new_version, employer_id=permit.employer_id))
    else:
        change = {Kind.EXTENSION: "extended", Kind.MODIFICATION: "modified"}.get(kind, "electronic")
        outbox.publish(s, PermitChanged(permit_number=person.permit_number, permit_id=permit.id,
                                        version=new_version, employer_id=permit.employer_id, change=change))
    return {"permit_number": person.permit_number, "permit_version": new_version}
