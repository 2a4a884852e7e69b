"""Permit applications through the services, on a real database."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from permitcard.auth.domain import Role
from permitcard.db import Database
from permitcard.notifications.service import render_message
from permitcard.permits import service as permits
from permitcard.permits import views as permit_views
from permitcard.permits.errors import AlreadyHoldsPermit, NoticeNotConfirmed
from permitcard.permits.models import PermitDecision, PermitPerson, PermitVersion
from permitcard.shared import audit, clock, outbox
from permitcard.shared.audit import Actor
from permitcard.shared.crypto import sign
from permitcard.shared.errors import Conflict, Forbidden, IllegalTransition, NotFound, ValidationFailed
from permitcard.shared.models import OutboxMessage
from permitcard.shared.registry import RegistryRefusal, registry_for
from tests.factories import opened
from tests.permit_factories import (
    application_data,
    employer_actor,
    employer_with_user,
    file_and_approve,
    officer_actor,
)


@pytest.fixture
def employer(db: Database) -> Actor:
    employer_id, user_id = employer_with_user(db, email="hr-permits@example.com")
    return employer_actor(employer_id, user_id, "hr-permits@example.com")


def test_file_stores_encrypted_passport_and_audits(db: Database, employer: Actor) -> None:
    app = permits.file_application(db, actor=employer, data=application_data(passport_number="pa 99887766"))
    assert app.state == "submitted" and app.version == 1 and app.reference.startswith("WPA-")
    assert app.passport_number == "PA99887766"
    with db.uow(write=False) as s:
        raw = s.execute(select(PermitPerson)).first()
        assert raw is None  # no person before approval
        rows = audit.history(s, target_type="permit_application", target_id=app.id)
        assert [r.action for r in rows] == ["permit_application.filed"]
        assert "99887766" not in str(rows[0].after) or rows[0].after["passport_number"].startswith("•")


def test_invalid_application_is_refused_with_field_errors(db: Database, employer: Actor) -> None:
    with pytest.raises(ValidationFailed) as exc:
        permits.file_application(db, actor=employer, data=application_data(nationality="CN", sex=""))
    assert {e.field for e in exc.value.errors} == {"nationality", "sex"}


def test_only_employers_file(db: Database) -> None:
    with pytest.raises(Forbidden):
        permits.file_application(db, actor=officer_actor(), data=application_data())


def test_approve_issues_permit_notice_version_event_and_mail(db: Database, employer: Actor) -> None:
    app = permits.file_application(db, actor=employer, data=application_data())
    done = permits.decide(db, actor=officer_actor(), application_id=app.id, version=1, action="approve")
    assert done.state == "approved" and done.version == 2
    assert done.permit_number and done.permit_number.startswith("WP")
    assert done.notice_number and done.notice_number.startswith(f"FWPN-{clock.today().year}-")
    with db.uow(write=False) as s:
        info = registry_for(s).get(done.permit_number)
        assert info is not None and info.status == "valid" and info.valid_to == app.requested_end_date
        assert info.employer_name_en == "Permit Test Employer Co., Ltd."
        versions = s.execute(select(PermitVersion)).scalars().all()
        assert [(v.version, v.reason) for v in versions] == [(1, "issued")]
        assert "passport_number" not in versions[0].snapshot
        topics = [m.topic for m in s.execute(select(OutboxMessage)).scalars()]
        assert "permit.approved" in topics and "notification.send" in topics
        event = next(m for m in s.execute(select(OutboxMessage)).scalars() if m.topic == "permit.approved")
        assert event.payload["permit_number"] == done.permit_number
        mail = next(m for m in s.execute(select(OutboxMessage)).scalars() if m.topic == "notification.send")
        assert opened(mail.payload)["to"] == "hr-permits@example.com"
        decisions = s.execute(select(PermitDecision)).scalars().all()
        assert [(d.action, d.application_id) for d in decisions] == [("approve", app.id)]
        actions = [r.action for r in audit.history(s, target_type="permit_application", target_id=app.id)]
        assert actions == ["permit_application.approved", "permit_application.filed"]
    subject, body = render_message("permit_decided", opened(mail.payload)["params"], "en")
    assert "approved" in subject and done.permit_number in body and done.notice_number in body


def test_reject_needs_reason_and_return_needs_what_to_fix(db: Database, employer: Actor) -> None:
    app = permits.file_application(db, actor=employer, data=application_data())
    for action in ("reject", "return"):
        with pytest.raises(ValidationFailed):
            permits.decide(db, actor=officer_actor(), application_id=app.id, version=1, action=action, reason=" ")
    rejected = permits.decide(db, actor=officer_actor(), application_id=app.id, version=1, action="reject",
                              reason="The contract is not signed")
    assert rejected.state == "rejected" and rejected.officer_note == "The contract is not signed"
    with pytest.raises(IllegalTransition):
        permits.decide(db, actor=officer_actor(), application_id=app.id, version=2, action="approve")


def test_return_resubmit_approve(db: Database, employer: Actor) -> None:
    app = permits.file_application(db, actor=employer, data=application_data(position="Engineer"))
    returned = permits.decide(db, actor=officer_actor(), application_id=app.id, version=1, action="return",
                              reason="Give the exact job title from the contract")
    assert returned.state == "returned"
    fixed = permits.resubmit(db, actor=employer, application_id=app.id, version=returned.version,
                             data={**returned.data(), "position": "Senior process engineer"})
    assert fixed.state == "resubmitted" and fixed.position == "Senior process engineer" and fixed.version == 3
    done = permits.decide(db, actor=officer_actor(), application_id=app.id, version=3, action="approve")
    assert done.state == "approved"
    events = permit_views.timeline(db, actor=employer, application_id=app.id)
    assert [e.action for e in events] == ["approved", "resubmitted", "returned", "filed"]
    assert events[2].reason == "Give the exact job title from the contract"


def test_stale_version_is_a_conflict(db: Database, employer: Actor) -> None:
    app = permits.file_application(db, actor=employer, data=application_data())
    permits.decide(db, actor=officer_actor(), application_id=app.id, version=1, action="return", reason="Fix it")
    with pytest.raises(Conflict):  # a second officer who saw version 1
        permits.decide(db, actor=officer_actor(), application_id=app.id, version=1, action="approve")
    with db.uow(write=False) as s:
        assert len(s.execute(select(PermitDecision)).scalars().all()) == 1


def test_withdraw(db: Database, employer: Actor) -> None:
    app = permits.file_application(db, actor=employer, data=application_data())
    gone = permits.withdraw(db, actor=employer, application_id=app.id, version=1)
    assert gone.state == "cancelled"
    with pytest.raises(IllegalTransition):
        permits.withdraw(db, actor=employer, application_id=app.id, version=gone.version)


def test_other_employer_sees_nothing(db: Database, employer: Actor) -> None:
    app = permits.file_application(db, actor=employer, data=application_data())
    other_id, other_user = employer_with_user(db)
    other = employer_actor(other_id, other_user)
    with pytest.raises(NotFound):
        permit_views.get_application(db, actor=other, application_id=app.id)
    with pytest.raises(NotFound):
        permits.withdraw(db, actor=other, application_id=app.id, version=1)
    assert permit_views.list_applications(db, actor=other).total == 0
    mine = permit_views.list_applications(db, actor=employer)
    assert mine.total == 1 and mine.counts == {"submitted": 1}
    auditor = Actor(user_id=None, role=Role.AUDITOR.value, label="auditor")
    assert permit_views.get_application(db, actor=auditor, application_id=app.id).id == app.id


def test_list_filters_search_sort(db: Database, employer: Actor) -> None:
    a = permits.file_application(db, actor=employer, data=application_data(family_name="ADAMS"))
    permits.file_application(db, actor=employer, data=application_data(family_name="ZUBER"))
    permits.decide(db, actor=officer_actor(), application_id=a.id, version=1, action="return", reason="x")
    officer = officer_actor()
    waiting = permit_views.list_applications(db, actor=officer, states=("submitted", "resubmitted"))
    assert [v.family_name for v in waiting.items] == ["ZUBER"]
    assert permit_views.list_applications(db, actor=officer, q="adam").total == 1
    assert permit_views.list_applications(db, actor=officer, q=a.passport_number).items[0].id == a.id
    by_name = permit_views.list_applications(db, actor=officer, sort="name")
    assert [v.family_name for v in by_name.items] == ["ADAMS", "ZUBER"]
    paged = permit_views.list_applications(db, actor=officer, per_page=1, page=2)
    assert paged.total == 2 and len(paged.items) == 1 and paged.pages == 2


def test_same_person_keeps_one_permit_number_for_life(db: Database, employer: Actor) -> None:
    first = file_and_approve(db, employer_id=employer.employer_id, user_id=employer.user_id,
                             passport_number="E1234567", requested_end_date=clock.today() + timedelta(days=40),
                             birth_date=date(1990, 5, 17))
    later = clock.today() + timedelta(days=60)
    with clock.frozen(later):
        other_id, other_user = employer_with_user(db)
        second = file_and_approve(db, employer_id=other_id, user_id=other_user, passport_number="N7654321",
                                  contract_start_date=later, birth_date=date(1990, 5, 17))
    assert second.permit_number == first.permit_number
    assert second.notice_number != first.notice_number
    with db.uow(write=False) as s:
        assert len(s.execute(select(PermitPerson)).scalars().all()) == 1


NOVAK = {"family_name": "NOVAK", "given_names": "JAN", "nationality": "CZ", "birth_date": date(1985, 3, 9)}


def test_a_second_application_is_refused_when_filed_pointing_to_the_existing_one(db: Database, employer: Actor) -> None:
    """Refused at filing (not at approval), naming the filing employer's own permit or application and
    never another employer's."""
    from permitcard.permits.errors import ApplicationAlreadyOpen, HeldOrOpenElsewhere
    from tests.permit_factories import employer_with_user

    held = file_and_approve(db, employer_id=employer.employer_id, user_id=employer.user_id, passport_number="E1234567")
    with pytest.raises(AlreadyHoldsPermit) as own:
        permits.file_application(db, actor=employer, data=application_data(passport_number="E1234567"))
    assert own.value.params["permit_number"] == held.permit_number
    other_id, other_user = employer_with_user(db)
    other = employer_actor(other_id, other_user)
    with pytest.raises(HeldOrOpenElsewhere) as elsewhere:
        permits.file_application(db, actor=other, data=application_data(passport_number="E1234567"))
    assert held.permit_number not in str(elsewhere.value) and not elsewhere.value.params

    first = permits.file_application(db, actor=employer, data=application_data(
        **NOVAK, passport_number="C7654321"))
    with pytest.raises(ApplicationAlreadyOpen) as again:  # the same passport, or the same person by identity
        permits.file_application(db, actor=employer, data=application_data(
            **NOVAK, passport_number="C7654321"))
    assert again.value.params["reference"] == first.reference
    with pytest.raises(HeldOrOpenElsewhere):
        permits.file_application(db, actor=other, data=application_data(
            **{**NOVAK, "family_name": "Novak", "given_names": "Jan"}, passport_number="C0000001"))
    permits.withdraw(db, actor=employer, application_id=first.id, version=first.version)
    assert permits.file_application(db, actor=other, data=application_data(
        **NOVAK, passport_number="C7654321")).state == "submitted"


def test_registry_verify_reasons(db: Database, employer: Actor) -> None:
    info = file_and_approve(db, employer_id=employer.employer_id, user_id=employer.user_id,
                            passport_number="E1234567", family_name="O'NEIL", given_names="JOHN PAUL")
    with db.uow(write=False) as s:
        reg = registry_for(s)
        ok = reg.verify(permit_number=info.permit_number.lower(), family_name="o neil", given_names="John-Paul",
                        passport_number="e 1234567")
        assert ok.permit_number == info.permit_number and ok.is_valid
        cases = [({"permit_number": "WP20260000000000"}, "unknown"), ({"family_name": "SMITH"}, "name_mismatch"),
                 ({"passport_number": "E7654321"}, "passport_mismatch")]
        for change, reason in cases:
            args = {"permit_number": info.permit_number, "family_name": "O'NEIL", "given_names": "JOHN PAUL",
                    "passport_number": "E1234567", **change}
            with pytest.raises(RegistryRefusal) as exc:
                reg.verify(**args)
            assert exc.value.reason == reason
        assert reg.by_notice(info.notice_number) == info
    with clock.frozen(info.valid_to + timedelta(days=1)), db.uow(write=False) as s:
        with pytest.raises(RegistryRefusal) as exc:
            registry_for(s).verify(permit_number=info.permit_number, family_name="O'NEIL", given_names="",
                                   passport_number="E1234567")
        assert exc.value.reason == "not_valid"
        assert registry_for(s).get(info.permit_number).status == "expired"  # type: ignore[union-attr]


def test_notice_visibility(db: Database, employer: Actor) -> None:
    info = file_and_approve(db, employer_id=employer.employer_id, user_id=employer.user_id)
    allowed = [employer, officer_actor(), Actor(None, Role.AGENCY_CLERK.value, "a"),
               Actor(None, Role.AUDITOR.value, "x"),
               Actor(None, Role.APPLICANT.value, "me", permit_number=info.permit_number)]
    for actor in allowed:
        notice = permit_views.get_notice(db, actor=actor, notice_number=info.notice_number)
        assert notice.info.permit_number == info.permit_number
    other_id, other_user = employer_with_user(db)
    refused = [employer_actor(other_id, other_user), Actor(None, Role.APPLICANT.value, "x", permit_number="WP1"),
               Actor(None, Role.APPLICANT.value, "y"), Actor(None, Role.BANK_CLERK.value, "b", branch_id=1)]
    for actor in refused:
        with pytest.raises(NotFound):
            permit_views.get_notice(db, actor=actor, notice_number=info.notice_number)


def test_public_verification_checks_the_signature(db: Database, employer: Actor) -> None:
    info = file_and_approve(db, employer_id=employer.employer_id, user_id=employer.user_id)
    url = permit_views.get_notice(db, actor=employer, notice_number=info.notice_number).verify_url
    sig = url.split("sig=")[1]
    check = permit_views.verify_notice(db, notice_number=info.notice_number, sig=sig)
    assert (check.name, check.status, check.valid_to) == (info.full_name, "valid", info.valid_to)
    with pytest.raises(NoticeNotConfirmed):
        # Change a character in the middle (the last one carries padding bits a decoder may ignore).
        forged = sig[:10] + ("B" if sig[10] == "A" else "A") + sig[11:]
        permit_views.verify_notice(db, notice_number=info.notice_number, sig=forged)
    with pytest.raises(NoticeNotConfirmed):
        permit_views.verify_notice(db, notice_number="FWPN-2026-UNKNOWN1", sig=sign(b"FWPN-2026-UNKNOWN1"))


def test_outbox_delivers_the_decision_mail(db: Database, employer: Actor) -> None:
    from permitcard.bootstrap import register_handlers
    from permitcard.notifications.service import sent_to

    register_handlers()
    app = permits.file_application(db, actor=employer, data=application_data(birth_date=date(1985, 1, 1)))
    permits.decide(db, actor=officer_actor(), application_id=app.id, version=1, action="reject",
                   reason="Wrong category")
    outbox.dispatch(db)
    with db.uow(write=False) as s:
        mails = sent_to(s, "hr-permits@example.com")
    assert len(mails) == 1 and "rejected" in mails[0].subject and "Wrong category" in mails[0].body
