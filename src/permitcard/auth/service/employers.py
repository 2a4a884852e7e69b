"""Employers register themselves (unified social credit code, names, address, a contact person and
their first account); a permit officer approves, rejects with a reason or asks for a correction.
Only an approved employer files permit applications and insurance registrations
(``approved_uscc``). Its HR colleagues are invited (``invitations``) and can be removed here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from permitcard.auth import repository as repo
from permitcard.auth.domain import (
    EMPLOYER_MACHINE,
    EMPLOYER_STATE_LABELS,
    REVIEW_ACTIONS,
    EmployerState,
    Role,
    has_permission,
)
from permitcard.auth.errors import EmployerNotApproved
from permitcard.auth.models import Employer, User
from permitcard.auth.service.invitations import approved_employer_of
from permitcard.config import get_settings
from permitcard.db import Database
from permitcard.notifications.service import notify
from permitcard.shared import audit, clock, ids, state
from permitcard.shared.audit import Actor
from permitcard.shared.errors import N_, TOO_LONG, FieldError, Forbidden, NotFound, RuleViolation, ValidationFailed

CODE_TAKEN = N_("An employer with this unified social credit code is already registered here. If you work "
                "there, ask a colleague who has an account to invite you. If you think the code is used "
                "wrongly, contact the permit office.")
FIELDS = ("uscc", "name_en", "name_zh", "address", "contact_name", "contact_phone")


@dataclass(frozen=True)
class EmployerView:
    id: int
    reference: str
    uscc: str
    name_en: str
    name_zh: str
    address: str
    contact_name: str
    contact_phone: str
    state: str
    version: int
    review_note: str
    submitted_at: datetime | None
    decided_at: datetime | None

    @property
    def state_label(self) -> str:
        return EMPLOYER_STATE_LABELS.get(EmployerState(self.state), self.state)

    @property
    def approved(self) -> bool:
        return self.state == EmployerState.APPROVED


def view(e: Employer) -> EmployerView:
    return EmployerView(e.id, e.reference, e.uscc, e.name_en, e.name_zh, e.address, e.contact_name, e.contact_phone,
                        e.state, e.version, e.review_note, e.submitted_at, e.decided_at)


def clean_details(data: dict[str, str], *, check_code: bool = True) -> tuple[dict[str, str], list[FieldError]]:
    """The registration's fields, tidied, and what is wrong with them (the code's GB 32100 check
    character included)."""
    values = {k: " ".join(str(data.get(k) or "").split()) for k in FIELDS}
    values["address"] = str(data.get("address") or "").strip()
    errors: list[FieldError] = []
    code = ids.compact_uscc(values["uscc"].upper()) if values["uscc"] else ""
    values["uscc"] = code
    if check_code and not ids.is_valid_uscc(code):
        errors.append(FieldError("uscc", N_("Enter a valid unified social credit code: 18 letters and digits, "
                                            "as on the business licence")))
    required = {"name_en": N_("Enter the employer's name in English"),
                "name_zh": N_("Enter the employer's name in Chinese"),
                "address": N_("Enter the employer's address"),
                "contact_name": N_("Enter the name of the contact person"),
                "contact_phone": N_("Enter the contact person's phone number")}
    for name, message in required.items():
        if not values[name]:
            errors.append(FieldError(name, message))
    limits = {"name_en": 200, "name_zh": 200, "address": 500, "contact_name": 200, "contact_phone": 40}
    for name, limit in limits.items():
        if len(values[name]) > limit:
            errors.append(FieldError(name, TOO_LONG, {"max_length": limit}))
    return values, errors


def new_employer(s: Session, values: dict[str, str], *, actor: Actor, city_code: str | None = None) -> Employer:
    """A new registration in ``city_code`` (None: the default city, whose rules then apply; auth sits
    below the policy context, so the code is kept as given)."""
    if repo.employer_by_uscc(s, values["uscc"]) is not None:
        raise ValidationFailed.one("uscc", CODE_TAKEN)
    reference = ids.reference("ER")
    while repo.reference_taken(s, reference):
        reference = ids.reference("ER")
    now = clock.now()
    city = city_code
    employer = Employer(reference=reference, state=EmployerState.SUBMITTED.value, version=1, review_note="",
                        city_code=city, created_at=now, submitted_at=now, **values)
    try:
        with s.begin_nested():
            s.add(employer)
            s.flush()
    except IntegrityError:  # the same code registered at the same moment
        raise ValidationFailed.one("uscc", CODE_TAKEN) from None
    audit.record(s, actor=actor, action="employer.registered", target_type="employer", target_id=employer.id,
                 after={"reference": reference, "city_code": city, **values})
    return employer


def create_employer(s: Session, *, uscc: str, name_en: str, name_zh: str, address: str, actor: Actor,
                    contact_name: str = "", contact_phone: str = "", city_code: str | None = None) -> Employer:
    """An approved employer, registered and approved at once by the system (demo seeding, tests)."""
    details = {"uscc": uscc, "name_en": name_en, "name_zh": name_zh, "address": address,
               "contact_name": contact_name or "-", "contact_phone": contact_phone or "-"}
    values, errors = clean_details(details)
    if errors:
        raise ValidationFailed(errors)
    employer = new_employer(s, values, actor=actor, city_code=city_code)
    _decide(s, employer, actor=actor, action="approve", seen=employer.version, note="")
    return employer


def _decide(s: Session, employer: Employer, *, actor: Actor, action: str, seen: int, note: str,
            values: dict[str, Any] | None = None) -> None:
    """The one way the registration's state changes (the table, the version, the audit row)."""
    state.change(s, employer, machine=EMPLOYER_MACHINE, action=action, seen=seen, actor=actor, values=values,
                 after={"reason": note} if note else None)


def review(db: Database, *, actor: Actor, employer_id: int, version: int, action: str, reason: str = "",
           ) -> EmployerView:
    """A permit officer decides: approve, reject (with a reason) or ask for a correction (saying what)."""
    if not has_permission(actor.role, "employer.review"):
        raise Forbidden()
    if action not in REVIEW_ACTIONS:
        raise ValidationFailed.one("action", N_("Choose a decision"))
    reason = reason.strip()
    if action != "approve" and not reason:
        field_message = (N_("Enter the reason for the rejection") if action == "reject"
                         else N_("Say what the employer must correct"))
        raise ValidationFailed.one("reason", field_message)
    if len(reason) > 1000:
        raise ValidationFailed.one("reason", TOO_LONG, max_length=1000)
    with db.uow() as s:
        employer = repo.employer_by_id(s, employer_id)
        if employer is None:
            raise NotFound()
        _decide(s, employer, actor=actor, action=action, seen=version, note=reason,
                values={"review_note": reason, "decided_at": clock.now()})
        registrant = repo.user_by_id(s, employer.registered_by_user_id or 0)
        if registrant is not None:
            notify(s, to=registrant.email, template="employer_decided", locale=registrant.locale or "en",
                   dedupe_key=f"employer_decided:{employer.id}:{employer.version}",
                   params={"state": employer.state, "name": employer.name_en, "name_zh": employer.name_zh,
                           "reference": employer.reference, "reason": reason,
                           "url": f"{get_settings().base_url}/employer"})
        out = view(employer)
        s.commit()
        return out


def resubmit(db: Database, *, actor: Actor, version: int, data: dict[str, str]) -> EmployerView:
    """The employer corrects its registration and sends it again. The code itself does not change."""
    with db.uow() as s:
        employer = _own(s, actor)
        values, errors = clean_details({**data, "uscc": employer.uscc})
        if errors:
            raise ValidationFailed(errors)
        values.pop("uscc")
        _decide(s, employer, actor=actor, action="resubmit", seen=version, note="",
                values={**values, "submitted_at": clock.now()})
        out = view(employer)
        s.commit()
        return out


def _own(s: Session, actor: Actor) -> Employer:
    if actor.role != Role.EMPLOYER or actor.employer_id is None:
        raise Forbidden()
    employer = repo.employer_by_id(s, actor.employer_id)
    if employer is None:
        raise NotFound()
    return employer


def approved_uscc(s: Session, employer_id: int | None) -> str:
    """The code of an approved employer, for filing; else ``EmployerNotApproved`` (403)."""
    # A plain row, kept for the unit of work: the caller's own look-ups of the employer cost no statement.
    employer = repo.employer_row(s, employer_id) if employer_id is not None else None
    if employer is None:
        raise Forbidden()
    if employer.state != EmployerState.APPROVED:
        raise EmployerNotApproved()
    return employer.uscc


# --- reads ---------------------------------------------------------------------------------------


def my_employer(db: Database, *, actor: Actor) -> EmployerView:
    with db.uow(write=False) as s:
        return view(_own(s, actor))


def for_review(db: Database, *, actor: Actor, employer_id: int) -> tuple[EmployerView, list[audit.AuditLog]]:
    if not has_permission(actor.role, "employer.review"):
        raise Forbidden()
    with db.uow(write=False) as s:
        employer = repo.employer_by_id(s, employer_id)
        if employer is None:
            raise NotFound()
        return view(employer), audit.history(s, target_type="employer", target_id=employer.id)


def review_queue(db: Database, *, actor: Actor, state: str = "") -> tuple[list[EmployerView], dict[str, int]]:
    """Registrations for the officers: waiting ones first by default."""
    if not has_permission(actor.role, "employer.review"):
        raise Forbidden()
    states = (state,) if state in {s.value for s in EmployerState} else (EmployerState.SUBMITTED.value,)
    with db.uow(write=False) as s:
        return [view(e) for e in repo.employers(s, states=states)], repo.employer_counts(s)


@dataclass(frozen=True)
class Colleague:
    id: int
    display_name: str
    email: str
    is_active: bool
    is_you: bool
    is_first: bool
    invited_by: str
    has_second_factor: bool


def colleagues(db: Database, *, actor: Actor) -> list[Colleague]:
    with db.uow(write=False) as s:
        employer = _own(s, actor)
        people = repo.members(s, employer.id)
        names = {u.id: u.display_name for u in people}
        return [Colleague(u.id, u.display_name, u.email, u.is_active, u.id == actor.user_id,
                          u.id == employer.registered_by_user_id, names.get(u.invited_by_user_id or 0, ""),
                          u.totp_confirmed_at is not None) for u in people]


def remove_colleague(db: Database, *, actor: Actor, user_id: int) -> None:
    """HR removes a colleague: the account is disabled and its sessions end at once."""
    with db.uow() as s:
        employer_id = approved_employer_of(s, actor)
        user = s.get(User, user_id)
        if user is None or user.employer_id != employer_id or user.role != Role.EMPLOYER:
            raise NotFound()
        if user.id == actor.user_id:
            raise RuleViolation(N_("You cannot remove yourself. Ask a colleague to do it."))
        if not user.is_active:
            raise RuleViolation(N_("This colleague has already been removed"))
        user.is_active = False
        repo.end_sessions(s, user.id)
        audit.record(s, actor=actor, action="employer.colleague_removed", target_type="user", target_id=user.id,
                     before={"is_active": True}, after={"is_active": False, "employer_id": employer_id})
        s.commit()


def team_activity(db: Database, *, actor: Actor, limit: int = 20) -> list[tuple[datetime, str, str, str]]:
    """What the employer's HR colleagues did lately: (when, who, action, reference), newest first."""
    with db.uow(write=False) as s:
        employer = _own(s, actor)
        names = {u.id: u.display_name for u in repo.members(s, employer.id)}
        rows = audit.by_actors(s, actor_ids=list(names), limit=limit * 3)
        out = []
        for r in rows:
            if r.action in TEAM_ACTIONS and r.actor_id is not None:
                out.append((r.at, names[r.actor_id], r.action, str((r.after or {}).get("reference") or "")))
        return out[:limit]


TEAM_ACTIONS = {
    "employer.registered": N_("Registered the employer"),
    "employer.resubmitted": N_("Sent the corrected registration"),
    "invitation.sent": N_("Invited a colleague"),
    "invitation.revoked": N_("Withdrew an invitation"),
    "invitation.accepted": N_("Joined the team"),
    "employer.colleague_removed": N_("Removed a colleague"),
    "permit_application.filed": N_("Filed a work permit application"),
    "permit_application.resubmitted": N_("Sent a corrected work permit application"),
    "permit_application.withdrawn": N_("Withdrew a work permit application"),
    "insurance_registration.submitted": N_("Registered an employee for social insurance"),
}


def employer_city(s: Session, *, employer_id: int | None = None, uscc: str | None = None) -> str | None:
    """The city code of an employer known here (by id or by USCC), or None. An employer this unit
    of work already loaded is not read again."""
    employer: Any
    if employer_id is not None:
        employer = repo.employer_row(s, employer_id)
    elif uscc:
        loaded = (o for o in s.identity_map.values() if isinstance(o, Employer) and o.uscc == uscc)
        employer = next(loaded, None) or repo.known_employer_row(s, uscc) or repo.employer_by_uscc(s, uscc)
    else:
        employer = None
    return employer.city_code if employer is not None else None
