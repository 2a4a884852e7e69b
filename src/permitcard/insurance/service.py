"""Social insurance registration and social security numbers (SPEC §3).

The employer (for its own employees), the individual, or an agency clerk at the counter submits a
registration; the agency's online service verifies the permit through the registry and, if it is
eligible, assigns the SSN at once. One person, one SSN, forever: registering again returns it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from permitcard.auth import service as auth_service
from permitcard.auth import views as accounts
from permitcard.db import Database
from permitcard.insurance import domain
from permitcard.insurance import repository as repo
from permitcard.insurance.errors import NoLinkedPermit, NotYourEmployee, NotYourPermit
from permitcard.insurance.events import RegistrationDecided, SsnAssigned
from permitcard.insurance.models import InsurancePerson, InsuranceRegistration
from permitcard.notifications.service import notify
from permitcard.policy import service as policy
from permitcard.shared import audit, clock, i18n, ids, outbox, state, throttle
from permitcard.shared.audit import Actor
from permitcard.shared.crypto import blind_index, mask
from permitcard.shared.errors import N_, TOO_LONG, Conflict, FieldError, Forbidden, ValidationFailed
from permitcard.shared.registry import REFUSAL_MESSAGES, PermitInfo, PermitRegistry, RegistryRefusal, registry_for

_NOTICE_RE = re.compile(r"^[A-Z0-9-]{4,40}$")
_PASSPORT_RE = re.compile(r"^[A-Z0-9<]{3,32}$")


@dataclass(frozen=True)
class RegistrationResult:
    id: int
    reference: str
    state: str
    permit_number: str
    family_name: str
    given_names: str
    ssn: str | None
    refusal_reason: str | None
    already_registered: bool = False
    # What the answer shows besides: the write's own values, so nothing is read back after the commit.
    channel: str = ""
    credential: str = ""
    notice_number: str = ""
    employer_id: int | None = None
    created_at: datetime | None = None
    decided_at: datetime | None = None
    version: int = 0

    @property
    def refusal_message(self) -> str | None:
        return REFUSAL_MESSAGES.get(self.refusal_reason or "") if self.refusal_reason else None


@dataclass(frozen=True)
class InsuredPerson:
    """What other contexts may know about an insured person."""

    ssn: str
    ssn_masked: str
    family_name: str
    given_names: str
    registered_at: datetime
    permit_number: str = ""




# --- input ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Input:
    notice_number: str
    permit_number: str
    family_name: str
    given_names: str
    passport_number: str
    permanent_residence_id: str


def _clean(notice_number: str | None, permit_number: str | None, family_name: str, given_names: str,
           passport_number: str, permanent_residence_id: str | None) -> _Input:
    errors: list[FieldError] = []
    notice = re.sub(r"\s+", "", notice_number or "").upper()
    raw_permit = (permit_number or "").strip()
    permit = ids.normalise_permit_number(raw_permit) or ""
    if not notice and not raw_permit:
        errors.append(FieldError("notice_number", N_(
            "Enter the notice number from the Foreign Work Permit Notice, or the work permit number")))
    if notice and not _NOTICE_RE.match(notice):
        errors.append(FieldError("notice_number", N_(
            "Enter the notice number exactly as on the Foreign Work Permit Notice")))
    if raw_permit and not permit:
        errors.append(FieldError("permit_number", N_("Enter the work permit number: 6 to 32 letters and digits")))
    family, given = " ".join(family_name.split()), " ".join(given_names.split())
    if not family:
        errors.append(FieldError("family_name", N_("Enter the family name as it is in the passport")))
    elif len(family) > 100:
        errors.append(FieldError("family_name", TOO_LONG, {"max_length": 100}))
    if len(given) > 200:
        errors.append(FieldError("given_names", TOO_LONG, {"max_length": 200}))
    passport = re.sub(r"\s+", "", passport_number or "").upper()
    if not passport:
        errors.append(FieldError("passport_number", N_("Enter the passport number")))
    elif not _PASSPORT_RE.match(passport):
        errors.append(FieldError("passport_number", N_(
            "Enter the passport number exactly as in the passport: letters and digits only")))
    pr_id = domain.normalise_ssn(permanent_residence_id or "")
    if pr_id and not domain.is_valid_permanent_residence_id(pr_id):
        errors.append(FieldError("permanent_residence_id", N_(
            "Enter the permanent residence ID number exactly as on the card: 18 characters starting with 9")))
    if errors:
        raise ValidationFailed(errors)
    return _Input(notice, permit, family, given, passport, pr_id)


def check_input(*, notice_number: str | None, permit_number: str | None, family_name: str, given_names: str,
                passport_number: str, permanent_residence_id: str | None = None) -> None:
    """The checks of the form alone (before the check-answers page); ValidationFailed names each field."""
    _clean(notice_number, permit_number, family_name, given_names, passport_number, permanent_residence_id)


# --- registration ----------------------------------------------------------------------------


def _agency_actor(submitter: Actor) -> Actor:
    """Who decides: the clerk at the counter, else the agency's online service for the submitter."""
    if submitter.role == "agency_clerk":
        return submitter
    return Actor(user_id=None, role="system", label=f"agency-online-service (for {submitter.label})"[:200],
                 ip=submitter.ip)


def register(
    db: Database, *, actor: Actor, notice_number: str | None, permit_number: str | None, family_name: str,
    given_names: str, passport_number: str, permanent_residence_id: str | None = None,
) -> RegistrationResult:
    """Register a person for social insurance; assign their SSN if the registry confirms the permit.

    A refusal is saved (state ``refused``, with the registry's reason) and returned, not raised.
    """
    channel = domain.channel_for_role(actor.role)
    if channel is None or (channel == "employer" and actor.employer_id is None):
        raise Forbidden()
    if channel == "individual" and not actor.permit_number:
        raise NoLinkedPermit()
    data = _clean(notice_number, permit_number, family_name, given_names, passport_number, permanent_residence_id)
    with db.uow() as s:
        if channel == "employer":
            auth_service.approved_uscc(s, actor.employer_id)
        registry = registry_for(s)
        number = data.permit_number
        if channel == "employer":
            _must_be_own_employee(s, actor, data, registry)
        if data.notice_number:
            found = registry.by_notice(data.notice_number)
            if found is not None and number and found.permit_number != number:
                raise ValidationFailed.one("notice_number", N_(
                    "This notice number is of another work permit than the permit number entered"))
            number = found.permit_number if found is not None else number
        if channel == "individual":
            if number and number != actor.permit_number:
                raise NotYourPermit()
            number = actor.permit_number or ""
        reg = _new_registration(s, actor=actor, channel=channel, data=data, permit_number=number)
        try:
            if not number:  # found by neither: name what was entered (the notice number)
                reason = "unknown_notice" if data.notice_number else "unknown"
                raise RegistryRefusal(REFUSAL_MESSAGES[reason], reason=reason)
            info = registry.verify(permit_number=number, family_name=data.family_name,
                                   given_names=data.given_names, passport_number=data.passport_number,
                                   require_valid=True)
        except RegistryRefusal as refusal:
            result = _refuse(s, reg, actor=actor, reason=refusal.reason)
            s.commit()
            return result
        result = _assign(s, reg, actor=actor, info=info, data=data)
        s.commit()
        return result


def _lookup_keys(actor: Actor) -> list[str]:
    return throttle.keys("employer-lookup", account=f"employer{actor.employer_id}", ip=actor.ip,
                         account_free=throttle.FREE_FAILURES_PER_ADDRESS)


def _must_be_own_employee(s: Session, actor: Actor, data: _Input, registry: PermitRegistry) -> None:
    """An employer hears about its own employees' permits only. Any other number or notice (unknown,
    another company's, whatever name and passport typed) gets one answer, counted by the throttle per
    employer and per address, and recorded as a security event."""
    names = _lookup_keys(actor)
    throttle.check(s, names)
    employer = accounts.employer(s, actor.employer_id or 0)
    permits = ([registry.by_notice(data.notice_number)] if data.notice_number else []) + (
        [registry.get(data.permit_number)] if data.permit_number else [])
    if employer is not None and permits and all(p is not None and p.employer_uscc == employer.uscc for p in permits):
        return
    throttle.failed(s, names)
    audit.record(s, actor=actor, action="security.permit_lookup_refused", target_type="employer",
                 target_id=actor.employer_id or "", note="not a permit of this employer's employees")
    s.commit()
    raise NotYourEmployee()


def _new_registration(s: Session, *, actor: Actor, channel: str, data: _Input,
                      permit_number: str) -> InsuranceRegistration:
    reg = InsuranceRegistration(
        reference=ids.reference("SI"), permit_number=permit_number, notice_number=data.notice_number,
        family_name=data.family_name, given_names=data.given_names,
        employer_id=actor.employer_id if channel == "employer" else None, channel=channel,
        credential="notice" if data.notice_number else "ecard", state=domain.SUBMITTED, version=1,
        created_by_user_id=actor.user_id, created_at=clock.now(),
    )
    return reg


def _submitted(s: Session, reg: InsuranceRegistration, actor: Actor) -> state.Created:
    """The new registration joins the unit of work; its creation's audit (written with its decision,
    in one INSERT already decided: ``state.change(created=...)``)."""
    s.add(reg)
    return state.Created("insurance_registration.submitted", actor, {
        "reference": reg.reference, "permit_number": reg.permit_number, "channel": reg.channel,
        "credential": reg.credential, "state": reg.state})


def _refuse(s: Session, reg: InsuranceRegistration, *, actor: Actor, reason: str) -> RegistrationResult:
    created = _submitted(s, reg, actor)
    reason = reason if reason in REFUSAL_MESSAGES else "unknown"
    state.change(s, reg, machine=domain.REGISTRATION, action="refuse", seen=reg.version, actor=_agency_actor(actor),
                 values={"refusal_reason": reason, "decided_at": clock.now()}, created=created,
                 event=RegistrationDecided(registration_id=reg.id, reference=reg.reference,
                                           permit_number=reg.permit_number, state=domain.REFUSED, reason=reason))
    _notify(s, actor, reg, ssn=None)
    return _result(reg, ssn=None)


def _assign(s: Session, reg: InsuranceRegistration, *, actor: Actor, info: PermitInfo,
            data: _Input) -> RegistrationResult:
    person = repo.person_key(s, info.permit_number)
    if person is not None:
        earlier = repo.registered_for(s, person_id=person.id, channel=reg.channel, employer_id=reg.employer_id,
                                      created_by_user_id=reg.created_by_user_id)
        if earlier is not None:  # the same registration again: nothing changes
            return _result(earlier, ssn=person.ssn, already=True)
    person_id, ssn = (person.id, person.ssn) if person is not None else _create_person(
        s, actor=actor, info=info, pr_id=data.permanent_residence_id)
    reg.permit_number = info.permit_number
    state.change(s, reg, machine=domain.REGISTRATION, action="register", seen=reg.version,
                 actor=_agency_actor(actor), values={"person_id": person_id, "decided_at": clock.now()},
                 after={"ssn": ssn}, created=_submitted(s, reg, actor),
                 event=RegistrationDecided(registration_id=reg.id, reference=reg.reference,
                                           permit_number=info.permit_number, state=domain.REGISTERED))
    _notify(s, actor, reg, ssn=ssn)
    return _result(reg, ssn=ssn)


def _create_person(s: Session, *, actor: Actor, info: PermitInfo, pr_id: str) -> tuple[int, str]:
    """The person's SSN, assigned now (or their kept permanent residence ID): (person id, SSN)."""
    if pr_id:
        problem = domain.permanent_residence_id_problem(pr_id, nationality=info.nationality,
                                                        birth_date=info.birth_date, sex=info.sex)
        if problem:
            raise ValidationFailed.one("permanent_residence_id", problem)
        if repo.person_by_ssn(s, pr_id) is not None:
            raise ValidationFailed.one("permanent_residence_id", N_(
                "This permanent residence ID is already the social security number of someone else"))
    source = "permanent_residence_id" if pr_id else "assigned"
    for _ in range(20):
        ssn = pr_id or _allocate(s, info)
        person_id = repo.insert_person(s, {
            "ssn": ssn, "ssn_hash": blind_index(ssn), "permit_number": info.permit_number,
            "family_name": info.family_name, "given_names": info.given_names, "nationality": info.nationality,
            "birth_date": info.birth_date, "sex": info.sex, "passport_number": info.passport_number,
            "passport_hash": blind_index(info.passport_number), "ssn_source": source, "created_at": clock.now()})
        if person_id is not None:
            break
        # Someone registered the same person at the same moment: theirs is the one SSN.
        existing = repo.person_key(s, info.permit_number)
        if existing is not None:
            return int(existing.id), str(existing.ssn)
        if pr_id:
            raise Conflict()
        # The number is someone's kept permanent residence ID: take the next one.
    else:
        raise Conflict()
    audit.record(s, actor=_agency_actor(actor), action="insurance_person.ssn_assigned",
                 target_type="insurance_person", target_id=person_id,
                 after={"permit_number": info.permit_number, "ssn": ssn, "ssn_source": source})
    outbox.publish(s, SsnAssigned(permit_number=info.permit_number, person_id=person_id))
    return person_id, ssn


def _allocate(s: Session, info: PermitInfo) -> str:
    """The next SSN of this person's prefix and parity (the sequence row stays locked until commit).
    The province code is the rule of the permit employer's city (unknown here: the default city)."""
    city = auth_service.employer_city(s, uscc=info.employer_uscc)
    province = policy.policy_for(s, city=city, on=clock.today()).ssn_province_code
    prefix = domain.ssn_prefix(province_code=province, nationality=info.nationality, birth_date=info.birth_date)
    seq = repo.take_sequence(s, prefix, odd=domain.sequence_parity(info.sex) == 1)
    if seq > domain.MAX_SEQUENCE:
        raise domain.SequenceExhausted()
    return domain.ssn_for_sequence(prefix, seq)


def _notify(s: Session, actor: Actor, reg: InsuranceRegistration, *, ssn: str | None) -> None:
    if "@" not in actor.label:
        return
    template = "insurance_registered" if reg.state == domain.REGISTERED else "insurance_refused"
    notify(s, to=actor.label, template=template, locale=i18n.get_locale(),
           dedupe_key=f"insurance_registration:{reg.id}:{reg.state}",
           params={"reference": reg.reference, "name": f"{reg.given_names} {reg.family_name}".strip(),
                   "permit_number": reg.permit_number, "ssn_masked": mask(ssn) if ssn else "",
                   "reason": REFUSAL_MESSAGES.get(reg.refusal_reason or "", "")})


def _result(reg: InsuranceRegistration, *, ssn: str | None, already: bool = False) -> RegistrationResult:
    return RegistrationResult(id=reg.id, reference=reg.reference, state=reg.state, permit_number=reg.permit_number,
                              family_name=reg.family_name, given_names=reg.given_names, ssn=ssn,
                              refusal_reason=reg.refusal_reason, already_registered=already, channel=reg.channel,
                              credential=reg.credential, notice_number=reg.notice_number,
                              employer_id=reg.employer_id, created_at=reg.created_at, decided_at=reg.decided_at,
                              version=reg.version)


# --- for other contexts, inside their unit of work ------------------------------------------------


def ssn_for(s: Session, *, permit_number: str) -> str | None:
    person = repo.person_by_permit(s, permit_number)
    return person.ssn if person is not None else None


def person_summary(s: Session, *, permit_number: str) -> InsuredPerson | None:
    person = repo.person_by_permit(s, permit_number)
    if person is None:
        return None
    return _insured(person)


def _insured(person: InsurancePerson) -> InsuredPerson:
    return InsuredPerson(ssn=person.ssn, ssn_masked=mask(person.ssn), family_name=person.family_name,
                         given_names=person.given_names, registered_at=person.created_at,
                         permit_number=person.permit_number)


def insured_by_ssn(s: Session, *, ssn: str) -> InsuredPerson | None:
    """The insured person holding this social security number (e-card registration with the SSN)."""
    number = domain.normalise_ssn(ssn or "")
    person = repo.person_by_ssn(s, number) if number else None
    return _insured(person) if person is not None else None


def adopt_legacy_ssn(s: Session, *, info: PermitInfo, ssn: str, actor: Actor) -> str | None:
    """A social security number given before the integration (a legacy card's), kept for this permit's
    holder: None when it is (now) theirs, else why not (English, for an import report)."""
    number = domain.normalise_ssn(ssn)
    if not domain.is_valid_ssn(number):
        return f"ssn {ssn!r} is not a valid social security number (length or check character)"
    held = repo.person_by_permit(s, info.permit_number)
    if held is not None:
        return None if held.ssn == number else "this permit's holder already has another social security number"
    if repo.person_by_ssn(s, number) is not None:
        return "this social security number belongs to someone else"
    person = InsurancePerson(
        ssn=number, ssn_hash=blind_index(number), permit_number=info.permit_number, family_name=info.family_name,
        given_names=info.given_names, nationality=info.nationality, birth_date=info.birth_date, sex=info.sex,
        passport_number=info.passport_number, passport_hash=blind_index(info.passport_number),
        ssn_source="legacy_card", created_at=clock.now())
    s.add(person)
    s.flush()
    audit.record(s, actor=actor, action="insurance_person.ssn_imported", target_type="insurance_person",
                 target_id=person.id, after={"permit_number": person.permit_number, "ssn": number,
                                             "ssn_source": person.ssn_source})
    outbox.publish(s, SsnAssigned(permit_number=person.permit_number, person_id=person.id))
    return None
