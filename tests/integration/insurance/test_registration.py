"""Social insurance registration against a real database and the built-in registry."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from permitcard.db import Database
from permitcard.insurance import domain
from permitcard.insurance import service as insurance
from permitcard.insurance import views as insurance_views
from permitcard.insurance.errors import NoLinkedPermit, NotYourEmployee, NotYourPermit
from permitcard.insurance.models import InsurancePerson, InsuranceRegistration, InsuranceSsnSequence
from permitcard.shared import clock
from permitcard.shared.audit import Actor
from permitcard.shared.errors import Forbidden, NotFound, ValidationFailed
from permitcard.shared.models import AuditLog, OutboxMessage
from permitcard.shared.registry import PermitInfo
from tests.insurance_factories import agency_actor, register_for_ssn
from tests.permit_factories import employer_actor, employer_with_user, file_and_approve


def _register(db: Database, info: PermitInfo, actor: Actor, **overrides: str | None) -> insurance.RegistrationResult:
    args: dict[str, str | None] = {
        "notice_number": info.notice_number, "permit_number": info.permit_number,
        "family_name": info.family_name, "given_names": info.given_names,
        "passport_number": info.passport_number,
    }
    args.update(overrides)
    return insurance.register(db, actor=actor, **args)  # type: ignore[arg-type]


def _count(db: Database, model: type) -> int:
    with db.uow(write=False) as s:
        return int(s.execute(select(func.count()).select_from(model)).scalar_one())


def test_agency_assigns_a_valid_ssn_of_the_plan(db: Database) -> None:
    info = file_and_approve(db, nationality="ES", sex="F")
    result = _register(db, info, agency_actor())
    assert result.state == "registered" and result.ssn is not None
    parts = domain.parse_ssn(result.ssn)
    assert parts is not None
    assert result.ssn.startswith("944724" + info.birth_date.strftime("%Y%m%d"))  # Spain is 724
    assert parts.sex == "F" and parts.sequence == 2
    with db.uow(write=False) as s:
        assert insurance.ssn_for(s, permit_number=info.permit_number) == result.ssn
        summary = insurance.person_summary(s, permit_number=info.permit_number)
        assert summary is not None and summary.ssn_masked.endswith(result.ssn[-4:])
        actions = {a for (a,) in s.execute(select(AuditLog.action).where(
            AuditLog.action.like("insurance%")))}
        assert {"insurance_registration.submitted", "insurance_registration.registered",
                "insurance_person.ssn_assigned"} <= actions
        # the SSN never enters the audit log in clear
        assert not any(result.ssn in str(r.after) for r in s.execute(select(AuditLog)).scalars())
        topics = [m.payload.get("template") for m in s.execute(select(OutboxMessage)).scalars()]
        assert "insurance_registered" in topics


def test_one_person_one_ssn_forever(db: Database) -> None:
    employer_id, user_id = employer_with_user(db)
    info = file_and_approve(db, employer_id=employer_id, user_id=user_id, sex="M")
    first = _register(db, info, employer_actor(employer_id, user_id))
    again = _register(db, info, employer_actor(employer_id, user_id))
    assert again.ssn == first.ssn and again.id == first.id and again.already_registered
    at_counter = _register(db, info, agency_actor(), notice_number=None)
    assert at_counter.ssn == first.ssn and at_counter.id != first.id
    assert _count(db, InsurancePerson) == 1
    with db.uow(write=False) as s:
        seq = s.execute(select(InsuranceSsnSequence)).scalar_one()
        assert (seq.last_odd, seq.last_even) == (1, 0)


def test_people_sharing_a_prefix_get_the_next_sequence_of_their_parity(db: Database) -> None:
    born = {"birth_date": date(1990, 5, 17)}  # one SSN prefix: the same birth date, nationality, province
    a = file_and_approve(db, sex="F", given_names="ANA", **born)
    b = file_and_approve(db, sex="F", given_names="BEA", **born)
    c = file_and_approve(db, sex="M", given_names="CARLOS", **born)
    ssns = [register_for_ssn(db, x) for x in (a, b, c)]
    assert [s[14:17] for s in ssns] == ["002", "004", "001"]
    assert len({s[:14] for s in ssns}) == 1


def test_refused_registration_is_saved_and_assigns_nothing(db: Database) -> None:
    info = file_and_approve(db)
    result = _register(db, info, agency_actor(), passport_number="X0000000")
    assert result.state == "refused" and result.refusal_reason == "passport_mismatch" and result.ssn is None
    assert result.refusal_message == "The passport number does not match the one on the work permit"
    wrong_name = _register(db, info, agency_actor(), family_name="SOMEONE ELSE")
    assert wrong_name.refusal_reason == "name_mismatch"
    assert _count(db, InsurancePerson) == 0
    assert _count(db, InsuranceSsnSequence) == 0
    with db.uow(write=False) as s:
        reg = s.get(InsuranceRegistration, result.id)
        assert reg is not None and reg.state == "refused" and reg.person_id is None and reg.decided_at
        assert s.execute(select(AuditLog).where(AuditLog.action == "insurance_registration.refused")).first()


def test_unknown_notice_and_expired_permit_are_refused(db: Database) -> None:
    info = file_and_approve(db)
    unknown = _register(db, info, agency_actor(), notice_number="NOSUCHNOTICE1", permit_number=None)
    assert unknown.refusal_reason == "unknown_notice"  # staff are told what was not found: the notice
    with clock.frozen(info.valid_to + timedelta(days=1)):
        expired = _register(db, info, agency_actor())
    assert expired.refusal_reason == "not_valid"
    assert _count(db, InsurancePerson) == 0


def test_employer_cannot_register_another_employers_worker(db: Database) -> None:
    info = file_and_approve(db)
    other_id, other_user = employer_with_user(db)
    with pytest.raises(NotYourEmployee):
        _register(db, info, employer_actor(other_id, other_user))
    assert _count(db, InsuranceRegistration) == 0
    assert _count(db, InsurancePerson) == 0


def test_individual_registers_only_themself(db: Database) -> None:
    mine = file_and_approve(db)
    theirs = file_and_approve(db, given_names="OTHER")
    me = Actor(user_id=None, role="applicant", label="me@example.com", permit_number=mine.permit_number)
    result = _register(db, mine, me, permit_number=None)
    assert result.state == "registered"
    with pytest.raises(NotYourPermit):
        _register(db, theirs, me)
    with pytest.raises(NoLinkedPermit):
        _register(db, mine, Actor(user_id=None, role="applicant", label="x@example.com"))
    with pytest.raises(Forbidden):
        _register(db, mine, Actor(user_id=None, role="photo_studio", label="s@example.com"))


def test_bad_input_names_each_field(db: Database) -> None:
    with pytest.raises(ValidationFailed) as exc:
        insurance.register(db, actor=agency_actor(), notice_number="", permit_number="", family_name=" ",
                           given_names="", passport_number="", permanent_residence_id="123")
    assert {e.field for e in exc.value.errors} == {"notice_number", "family_name", "passport_number",
                                                   "permanent_residence_id"}


def test_permanent_residence_id_is_kept_as_ssn(db: Database) -> None:
    info = file_and_approve(db, nationality="FR", sex="M")
    prefix = domain.ssn_prefix(province_code="11", nationality="FR", birth_date=info.birth_date)
    pr_id = domain.ssn_for_sequence(prefix, 7)
    wrong = domain.ssn_for_sequence(prefix, 8)  # even: a woman's number
    with pytest.raises(ValidationFailed) as exc:
        _register(db, info, agency_actor(), permanent_residence_id=wrong)
    assert exc.value.errors[0].field == "permanent_residence_id"
    result = _register(db, info, agency_actor(), permanent_residence_id=pr_id)
    assert result.ssn == pr_id
    assert _count(db, InsuranceSsnSequence) == 0


def test_readers_see_only_what_is_theirs(db: Database) -> None:
    employer_id, user_id = employer_with_user(db)
    info = file_and_approve(db, employer_id=employer_id, user_id=user_id)
    result = _register(db, info, employer_actor(employer_id, user_id))
    assert result.ssn
    owner = employer_actor(employer_id, user_id)
    assert insurance_views.get_registration(db, actor=owner, registration_id=result.id).ssn == result.ssn
    other_id, other_user = employer_with_user(db)
    with pytest.raises(NotFound):
        insurance_views.get_registration(db, actor=employer_actor(other_id, other_user), registration_id=result.id)
    assert insurance_views.list_registrations(db, actor=employer_actor(other_id, other_user)).total == 0
    stranger = Actor(user_id=None, role="applicant", label="a@example.com", permit_number="ZZZ999999")
    with pytest.raises(NotFound):
        insurance_views.get_registration(db, actor=stranger, registration_id=result.id)
    holder = Actor(user_id=None, role="applicant", label="h@example.com", permit_number=info.permit_number)
    assert insurance_views.get_registration(db, actor=holder, registration_id=result.id).ssn == result.ssn
    auditor = Actor(user_id=None, role="auditor", label="audit@example.com")
    seen = insurance_views.get_registration(db, actor=auditor, registration_id=result.id).ssn
    assert seen is not None and seen != result.ssn and seen.endswith(result.ssn[-4:])
    with pytest.raises(NotFound):
        insurance_views.get_registration(db, actor=Actor(None, "bank_clerk", "b@example.com"),
                                         registration_id=result.id)


def test_queue_filters_search_and_counts(db: Database) -> None:
    good = file_and_approve(db, family_name="SMITH", given_names="ANNA")
    bad = file_and_approve(db, family_name="JONES", given_names="BOB")
    ok = _register(db, good, agency_actor())
    _register(db, bad, agency_actor(), passport_number="WRONG123")
    clerk = agency_actor()
    page = insurance_views.list_registrations(db, actor=clerk)
    assert page.total == 2 and page.counts == {"registered": 1, "refused": 1}
    assert [r.state for r in insurance_views.list_registrations(db, actor=clerk, state="refused").items] == ["refused"]
    assert insurance_views.list_registrations(db, actor=clerk, q="smi").items[0].id == ok.id
    assert ok.ssn is not None
    assert insurance_views.list_registrations(db, actor=clerk, q=ok.ssn).items[0].id == ok.id
    assert insurance_views.list_registrations(db, actor=clerk, q=ok.reference.lower()).total == 1
    assert [r.family_name for r in insurance_views.list_registrations(db, actor=clerk, sort="name").items] == [
        "JONES", "SMITH"]
    two = insurance_views.list_registrations(db, actor=clerk, per_page=1, page=2)
    assert two.pages == 2 and len(two.items) == 1
