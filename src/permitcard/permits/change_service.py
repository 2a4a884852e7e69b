"""Use cases of changes to an issued permit: an employer files an extension, a modification, a
cancellation or asks for the electronic permit of a paper one; an officer decides it like a new
application (``service.decide``), and approval (``change_approval.apply_change``) appends a permit version.

A change application is a ``PermitApplication`` of another ``kind`` that carries the permit's data as
it will be after the change. Refusals never tell one employer anything about another's workers: an
unknown number, another employer's permit and a permit no longer valid all get the same answer.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from permitcard.auth import service as auth_service
from permitcard.db import Database
from permitcard.permits import changes_domain as rules
from permitcard.permits import domain
from permitcard.permits import repository as repo
from permitcard.permits.changes_domain import Kind
from permitcard.permits.domain import Action, State
from permitcard.permits.models import Permit, PermitApplication, PermitPerson
from permitcard.permits.service import ApplicationView, application_view, load_application
from permitcard.permits.service import acting_employer as _employer
from permitcard.permits.service import unique_value as _unique
from permitcard.policy import service as policy
from permitcard.shared import audit, clock, i18n, ids, names, state
from permitcard.shared.audit import Actor
from permitcard.shared.calendar_store import calendar_data
from permitcard.shared.crypto import blind_index, mask
from permitcard.shared.errors import N_, NP_, TOO_LONG, CalendarUnknown, FieldError, RuleViolation, ValidationFailed

OPEN_STATES = (State.SUBMITTED, State.RETURNED, State.RESUBMITTED)
NO_SUCH_PERMIT = N_("None of your employees holds a valid work permit with this number. Check the number.")
_PASSPORT_RE = re.compile(r"^[A-Z0-9]{5,20}$")


class ChangePending(RuleViolation):
    status = 409
    code = "change_pending"
    title = N_("A change to this permit (%(reference)s) is already waiting for a decision.")


# ------------------------------------------------------------------ loading


def _date(raw: Any) -> date | None:
    if isinstance(raw, date):
        return raw
    try:
        return date.fromisoformat(str(raw).strip()) if raw not in (None, "") else None
    except ValueError:
        return None


def _text(raw: Any) -> str:
    return "" if raw is None else " ".join(str(raw).split())


def _own_valid_permit(s: Session, actor: Actor, permit_number: str) -> tuple[Permit, PermitPerson]:
    """The acting employer's valid permit with this number; one refusal for everything else."""
    number = ids.normalise_permit_number(permit_number or "")
    found = repo.current_permit_by_number(s, number) if number else None
    if found is not None:
        permit, person = found
        valid = domain.effective_status(permit.status, permit.valid_to_date, clock.today()) == "valid"
        if valid and permit.employer_id == actor.employer_id:
            return permit, person
    raise ValidationFailed.one("permit_number", NO_SUCH_PERMIT)


def _last_filed(s: Session, permit_id: int) -> PermitApplication | None:
    """The latest approved application of the permit: its contract end and passport expiry."""
    return s.execute(select(PermitApplication).where(PermitApplication.permit_id == permit_id,
                                                     PermitApplication.state == State.APPROVED)
                     .order_by(PermitApplication.decided_at.desc(), PermitApplication.id.desc()).limit(1)
                     ).scalar_one_or_none()


def _refuse_if_pending(s: Session, permit_id: int, but: int | None = None) -> None:
    pending = s.execute(select(PermitApplication.reference).where(
        PermitApplication.permit_id == permit_id, PermitApplication.kind != Kind.NEW,
        PermitApplication.state.in_(OPEN_STATES), PermitApplication.id != (but or 0)).limit(1)).scalar_one_or_none()
    if pending is not None:
        raise ChangePending(reference=pending)


def _current(s: Session, permit: Permit, person: PermitPerson) -> dict[str, Any]:
    """The permit's data as it is now, in the application's fields."""
    last = _last_filed(s, permit.id)
    return {"family_name": person.family_name, "given_names": person.given_names, "nationality": person.nationality,
            "birth_date": person.birth_date, "sex": person.sex, "passport_number": person.passport_number,
            "passport_expiry_date": last.passport_expiry_date if last else permit.valid_to_date,
            "position": permit.position, "category": permit.category, "contract_start_date": permit.valid_from_date,
            "contract_end_date": last.contract_end_date if last else permit.valid_to_date,
            "requested_end_date": permit.valid_to_date}


def current_data(db: Database, *, actor: Actor, permit_number: str) -> dict[str, Any]:
    """What the change forms prefill: the permit as it is now (the employer's own valid permit only)."""
    with db.uow(write=False) as s:
        _employer(s, actor)
        permit, person = _own_valid_permit(s, actor, permit_number)
        return {**_current(s, permit, person), "permit_number": person.permit_number, "origin": permit.origin,
                "valid_from": permit.valid_from_date, "valid_to": permit.valid_to_date}


# ------------------------------------------------------------------ the rules of each kind


def _limits(s: Session, actor: Actor) -> Mapping[str, int]:
    city = auth_service.employer_city(s, employer_id=actor.employer_id)  # type: ignore[arg-type]
    return policy.policy_for(s, city=city, on=clock.today()).permit_limits


def _lateness(s: Session, change_date: date) -> int:
    """Days late. A deadline in a year whose official calendar is not published yet is after today
    when today is in an earlier year: the filing is on time (known, not guessed). Only a filing made
    in that unpublished year itself waits for the calendar (``CalendarUnknown``)."""
    today = clock.today()
    try:
        return rules.lateness(change_date, today, calendar_data(s)).days_late
    except CalendarUnknown as exc:
        if today.year < int(exc.params["year"]):
            return 0
        raise


def _check_modification(current: dict[str, Any], data: Mapping[str, Any], employer_uscc: str) -> dict[str, Any]:
    new_uscc = _text(data.get("employer_uscc")).upper()
    if new_uscc and new_uscc != employer_uscc:
        raise ValidationFailed.one("employer_uscc", rules.EMPLOYER_CHANGE)
    wanted: dict[str, Any] = {k: _text(data.get(k)) for k in ("family_name", "position")}
    wanted["passport_number"] = domain.normalise_passport(_text(data.get("passport_number")))
    wanted["category"] = _text(data.get("category")).upper()
    wanted["given_names"] = _text(data.get("given_names"))  # empty: unchanged, like every other field
    wanted["passport_expiry_date"] = _date(data.get("passport_expiry_date"))
    errors: list[FieldError] = []
    for name_field in ("given_names", "family_name"):  # passport letters, as in a new application
        latin = names.passport_name(wanted[name_field])
        if latin is None:
            errors.append(FieldError(name_field, domain.LATIN_ONLY_CHANGE))
        else:
            wanted[name_field] = latin
    if len(wanted["family_name"]) > domain.NAME_MAX or len(wanted.get("given_names", "")) > domain.NAME_MAX:
        errors.append(FieldError("family_name", NP_("Names must be %(max)s character or fewer",
                                                    "Names must be %(max)s characters or fewer", "max"),
                                 {"max": domain.NAME_MAX}))
    if wanted["passport_number"] and not _PASSPORT_RE.match(wanted["passport_number"]):
        errors.append(FieldError("passport_number", N_("Enter the passport number: 5 to 20 letters and digits")))
    if wanted["passport_number"] and wanted["passport_expiry_date"] is None:
        errors.append(FieldError("passport_expiry_date", N_("Enter the date the passport expires")))
    if len(wanted["position"]) > domain.POSITION_MAX:
        errors.append(FieldError("position", TOO_LONG, {"max_length": domain.POSITION_MAX}))
    if wanted["category"] and wanted["category"] not in {c.value for c in domain.Category}:
        errors.append(FieldError("category", N_("Select the permit category")))
    expiry = wanted["passport_expiry_date"]
    if expiry is not None and expiry < current["requested_end_date"]:
        errors.append(FieldError(
            "passport_expiry_date",
            N_("The passport must be valid until the end of the permit (%(end)s). Renew the passport first."),
            {"end": current["requested_end_date"]}))
    if errors:
        raise ValidationFailed(errors)
    changed = rules.changed_fields(current, wanted)
    if not changed:
        raise ValidationFailed.one("family_name", N_("Enter at least one detail that changed"))
    return {k: after for k, (_before, after) in changed.items()}


def _values(s: Session, actor: Actor, kind: Kind, permit: Permit, person: PermitPerson,
            data: Mapping[str, Any]) -> dict[str, Any]:
    """The application's columns for ``kind`` filed with ``data`` against the permit as it is now."""
    current = _current(s, permit, person)
    today = clock.today()
    values: dict[str, Any] = {**current, "change_date": None, "days_late": 0}
    if kind == Kind.EXTENSION:
        rules.check_extension_window(permit.valid_to_date, today)
        new_end, contract_end = _date(data.get("requested_end_date")), _date(data.get("contract_end_date"))
        expiry = _date(data.get("passport_expiry_date"))
        rules.check_new_end(category=permit.category, valid_from=permit.valid_from_date,
                            valid_to=permit.valid_to_date, new_end=new_end, contract_end=contract_end,
                            passport_expiry=expiry, limits=_limits(s, actor))
        values |= {"requested_end_date": new_end, "contract_end_date": contract_end, "passport_expiry_date": expiry}
    elif kind == Kind.MODIFICATION:
        change = rules.check_change_date("change_date", _date(data.get("change_date")), today,
                                         earliest=permit.valid_from_date,
                                         issued=clock.local(permit.issued_at).date())
        uscc, _city = _employer(s, actor)
        values |= _check_modification(current, data, uscc)
        if values["passport_number"] != person.passport_number:  # one passport, one person in the registry
            other = repo.person_by_passport(s, nationality=person.nationality,
                                            passport_hash=blind_index(values["passport_number"]))
            if other is not None and other.id != person.id:
                raise ValidationFailed.one("passport_number", N_(
                    "This passport number is registered to another person. Check the number."))
        beyond = domain.beyond_limit(values["category"], permit.valid_from_date, permit.valid_to_date,
                                     _limits(s, actor))
        if beyond is not None:
            raise ValidationFailed.one(
                "category", NP_("A category %(category)s permit is valid for at most %(years)s year: "
                                "the last possible day is %(last)s",
                                "A category %(category)s permit is valid for at most %(years)s years: "
                                "the last possible day is %(last)s", "years"),
                category=values["category"], years=beyond[0], last=beyond[1])
        values |= {"change_date": change, "days_late": _lateness(s, change)}
    elif kind == Kind.CANCELLATION:
        ended = rules.check_change_date("change_date", _date(data.get("change_date")), today,
                                        earliest=permit.valid_from_date,
                                        issued=clock.local(permit.issued_at).date())
        values |= {"change_date": ended, "days_late": _lateness(s, ended), "contract_end_date": ended}
    elif permit.origin != "paper":
        raise ValidationFailed.one("permit_number", N_("This permit is already electronic."))
    values["passport_hash"] = blind_index(values["passport_number"])
    return values


def _summary(a: PermitApplication) -> dict[str, Any]:
    return {"reference": a.reference, "kind": a.kind, "state": a.state, "version": a.version,
            "permit_id": a.permit_id, "change_date": a.change_date, "days_late": a.days_late,
            "family_name": a.family_name, "passport_number": mask(a.passport_number), "category": a.category,
            "position": a.position, "requested_end_date": a.requested_end_date}


# ------------------------------------------------------------------ employer commands


def file_change(db: Database, *, actor: Actor, kind: str, data: Mapping[str, Any]) -> ApplicationView:
    """The employer files a change of one of its valid permits (``data["permit_number"]``)."""
    chosen = Kind(kind)
    if chosen == Kind.NEW:
        raise ValueError("new applications are filed through service.file_application")
    with db.uow() as s:
        _employer(s, actor)
        permit, person = _own_valid_permit(s, actor, str(data.get("permit_number") or ""))
        values = _values(s, actor, chosen, permit, person, data)
        _refuse_if_pending(s, permit.id)
        now = clock.now()
        a = PermitApplication(
            reference=_unique(s, domain.application_reference, repo.reference_exists), kind=chosen.value,
            employer_id=permit.employer_id, state=State.SUBMITTED, version=1, officer_note="",
            locale=i18n.get_locale(), created_by_user_id=actor.user_id, created_at=now, submitted_at=now,
            permit_id=permit.id, **values)
        s.add(a)
        s.flush()
        audit.record(s, actor=actor, action="permit_application.filed", target_type="permit_application",
                     target_id=a.id, after=_summary(a))
        view = application_view(s, a)
        s.commit()
        return view


def resubmit_change(db: Database, *, actor: Actor, application_id: int, version: int,
                    data: Mapping[str, Any]) -> ApplicationView:
    """The employer corrects a returned change application and sends it again."""
    with db.uow() as s:
        _employer(s, actor)
        a = load_application(s, actor, application_id)
        if a.kind == Kind.NEW:
            raise RuleViolation(N_("This is a new application: correct it on its own page."))
        domain.APPLICATION.next_state(a.state, Action.RESUBMIT)
        found = repo.permit(s, a.permit_id) if a.permit_id else None
        person = repo.person(s, found.person_id) if found else None
        if found is None or person is None:
            raise ValidationFailed.one("permit_number", NO_SUCH_PERMIT)
        permit, person = _own_valid_permit(s, actor, person.permit_number)
        values = _values(s, actor, Kind(a.kind), permit, person, data)
        values["submitted_at"] = clock.now()
        state.change(s, a, machine=domain.APPLICATION, action=Action.RESUBMIT, seen=version, actor=actor,
                     values=values, before=_summary(a))
        view = application_view(s, a)
        s.commit()
        return view


__all__ = ["current_data", "file_change", "resubmit_change"]
