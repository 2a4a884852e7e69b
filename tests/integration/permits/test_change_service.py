"""Changes to an issued permit through the services: every transition and refusal."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from permitcard.auth.domain import Role
from permitcard.db import Database
from permitcard.insurance.service import ssn_for
from permitcard.notifications.service import render_message
from permitcard.permits import change_service, change_views
from permitcard.permits import service as permits
from permitcard.permits.change_service import ChangePending
from permitcard.permits.models import PermitVersion
from permitcard.shared import clock, i18n, outbox
from permitcard.shared.audit import Actor
from permitcard.shared.errors import NotFound, ValidationFailed
from permitcard.shared.models import OutboxMessage
from permitcard.shared.registry import registry_for
from tests.factories import opened
from tests.insurance_factories import register_for_ssn
from tests.permit_change_factories import decide, file, issued_permit, make_paper, permit_row
from tests.permit_factories import application_data, employer_actor, employer_with_user

ON = date(2026, 3, 2)


def _events(db: Database) -> list[str]:
    with db.uow(write=False) as s:
        return [m.topic for m in s.execute(select(OutboxMessage).order_by(OutboxMessage.id)).scalars()]


def test_electronic_permit_of_a_paper_permit(db: Database) -> None:
    info, *employer = issued_permit(db, on=ON)
    make_paper(db, info.permit_number)
    with clock.frozen(ON + timedelta(days=20)):
        app = file(db, tuple(employer), "electronic", permit_number=info.permit_number)  # type: ignore[arg-type]
        assert app.kind == "electronic" and app.state == "submitted"
        done = decide(db, app)
    assert done.state == "approved"
    row = permit_row(db, info.permit_number)
    assert row.origin == "electronic" and row.paper_superseded_at is not None and row.version == 2
    assert row.valid_to_date == info.valid_to
    assert "permit.modified" in _events(db)
    with clock.frozen(ON + timedelta(days=21)), pytest.raises(ValidationFailed) as exc:
        file(db, tuple(employer), "electronic", permit_number=info.permit_number)  # type: ignore[arg-type]
    assert exc.value.errors[0].field == "permit_number"
    with db.uow(write=False) as s:
        versions = list(s.execute(select(PermitVersion).where(PermitVersion.permit_id == row.id)).scalars())
    assert [(v.version, v.reason) for v in versions] == [(1, "issued"), (2, "electronic")]


def _errors(exc: pytest.ExceptionInfo[ValidationFailed]) -> dict[str, str]:
    return {e.field: e.message for e in exc.value.errors}


def test_extension_window_limits_and_approval(db: Database) -> None:
    # Issued 2026-03-02, valid 2026-03-12 .. 2026-09-28 (200 days); category B: at most 2028-03-11.
    info, *emp = issued_permit(db, on=ON)
    employer = (emp[0], emp[1])
    end = info.valid_to
    body = {"permit_number": info.permit_number, "requested_end_date": date(2027, 9, 1),
            "contract_end_date": date(2028, 1, 1), "passport_expiry_date": date(2030, 1, 1)}
    for day in (end - timedelta(days=91), end - timedelta(days=29)):
        with clock.frozen(day), pytest.raises(ValidationFailed) as exc:
            file(db, employer, "extension", **body)
        assert set(_errors(exc)) == {"permit_number"}
    first = end - timedelta(days=90)
    with clock.frozen(first):
        with pytest.raises(ValidationFailed) as exc:
            file(db, employer, "extension", **{**body, "requested_end_date": date(2028, 3, 12)})
        assert "at most" in _errors(exc)["requested_end_date"]
        with pytest.raises(ValidationFailed) as exc:
            file(db, employer, "extension", **{**body, "contract_end_date": date(2027, 6, 1)})
        assert set(_errors(exc)) == {"contract_end_date"}
        with pytest.raises(ValidationFailed) as exc:
            file(db, employer, "extension", **{**body, "passport_expiry_date": date(2027, 6, 1)})
        assert set(_errors(exc)) == {"passport_expiry_date"}
        app = file(db, employer, "extension", **body)  # the first allowed day
        with pytest.raises(ChangePending):
            file(db, employer, "extension", **body)
        done = decide(db, app)
    assert done.state == "approved"
    row = permit_row(db, info.permit_number)
    assert row.valid_to_date == date(2027, 9, 1) and row.version == 2 and row.origin == "electronic"
    with clock.frozen(date(2027, 9, 1) - timedelta(days=30)):  # the last allowed day of the new end
        file(db, employer, "extension", **{**body, "requested_end_date": date(2027, 12, 1)})


def test_unknown_and_other_employers_permit_get_one_answer(db: Database) -> None:
    info, *_emp = issued_permit(db, on=ON)
    other = employer_with_user(db)
    answers = set()
    with clock.frozen(info.valid_to - timedelta(days=60)):
        for number in (info.permit_number, "WP20269999999999", "nonsense"):
            with pytest.raises(ValidationFailed) as exc:
                file(db, other, "extension", permit_number=number, requested_end_date=date(2027, 9, 1))
            answers.add(tuple(_errors(exc).items()))
    assert len(answers) == 1


def test_modification_late_flag_and_passport(db: Database) -> None:
    info, *emp = issued_permit(db, on=date(2026, 9, 1), days=300)
    employer = (emp[0], emp[1])
    changed = {"permit_number": info.permit_number, "change_date": date(2026, 9, 28),
               "passport_number": "NEW12345", "passport_expiry_date": date(2036, 1, 1), "position": "Lead engineer"}
    with clock.frozen(date(2026, 10, 16)):  # the 10th working day after the change (National Day between)
        on_time = file(db, employer, "modification", **changed)
        assert on_time.days_late == 0
        decide(db, on_time, "reject", "Bring the new passport")
    with clock.frozen(date(2026, 10, 19)):
        late = file(db, employer, "modification", **changed)
        assert late.days_late == 3 and late.change_date == date(2026, 9, 28)
        with pytest.raises(ValidationFailed) as exc:
            file(db, employer, "modification", permit_number=info.permit_number, change_date=date(2026, 10, 1),
                 employer_uscc="91440300MA5FXXXX1X")
        assert "new employer files a new application" in _errors(exc)["employer_uscc"]
        returned = decide(db, late, "return", "Wrong position")
        fixed = change_service.resubmit_change(db, actor=employer_actor(*employer), application_id=late.id,
                                               version=returned.version, data={**changed, "position": "Lead"})
        assert fixed.state == "resubmitted" and fixed.position == "Lead"
        decide(db, fixed)
    with db.uow(write=False) as s:
        info2 = registry_for(s).get(info.permit_number)
    assert info2 is not None and info2.passport_number == "NEW12345" and info2.position == "Lead"
    assert info2.version == 2


def test_change_of_employer_keeps_permit_number_and_ssn(db: Database) -> None:
    info, *emp = issued_permit(db, on=ON, days=600)
    old, new = (emp[0], emp[1]), employer_with_user(db)
    ssn = register_for_ssn(db, info)
    with clock.frozen(ON + timedelta(days=100)):
        with pytest.raises(ValidationFailed):
            file(db, old, "modification", permit_number=info.permit_number, change_date=ON + timedelta(days=99),
                 employer_uscc="91441900MA4W000000")
        cancel = file(db, old, "cancellation", permit_number=info.permit_number, change_date=ON + timedelta(days=99))
        decide(db, cancel)
        assert permit_row(db, info.permit_number).status == "cancelled"
        data = application_data(family_name=info.family_name, given_names=info.given_names,
                                nationality=info.nationality, birth_date=info.birth_date, sex=info.sex,
                                passport_number=info.passport_number)
        app = permits.file_application(db, actor=employer_actor(*new), data=data)
        approved = decide(db, app)
    assert approved.permit_number == info.permit_number
    row = permit_row(db, info.permit_number)
    assert row.employer_id == new[0] and row.status == "valid"
    with db.uow(write=False) as s:
        assert ssn_for(s, permit_number=info.permit_number) == ssn
    assert "permit.cancelled" in _events(db)


def test_cancellation_late_after_ten_working_days(db: Database) -> None:
    info, *emp = issued_permit(db, on=date(2026, 9, 1), days=300)
    with clock.frozen(date(2026, 10, 17)):
        app = file(db, (emp[0], emp[1]), "cancellation", permit_number=info.permit_number,
                   change_date=date(2026, 9, 28))
    assert app.days_late == 1 and app.kind == "cancellation"


def test_every_decision_is_notified_in_the_filers_language(db: Database) -> None:
    info, *emp = issued_permit(db, on=ON)
    make_paper(db, info.permit_number)
    with clock.frozen(ON + timedelta(days=20)), i18n.use_locale("zh_Hans"):
        app = file(db, (emp[0], emp[1]), "electronic", permit_number=info.permit_number)
    with clock.frozen(ON + timedelta(days=20)):
        decide(db, app, "return", "请补充")
    with db.uow(write=False) as s:
        messages = [opened(m.payload) for m in s.execute(select(OutboxMessage).where(
            OutboxMessage.topic == "notification.send")).scalars()]
    mine = [m for m in messages if m.get("template") == "permit_change_decided"]
    assert mine and mine[-1]["locale"] == "zh_Hans" and mine[-1]["params"]["state"] == "returned"
    subject, body = render_message("permit_change_decided", mine[-1]["params"], "zh_Hans")
    assert "电子" in subject and "请补充" in body


def test_history_visibility_and_the_card_handler_runs(db: Database) -> None:
    info, *emp = issued_permit(db, on=ON)
    make_paper(db, info.permit_number)
    with clock.frozen(ON + timedelta(days=20)):
        decide(db, file(db, (emp[0], emp[1]), "modification", permit_number=info.permit_number,
                        change_date=ON + timedelta(days=15), family_name="GARCIA"))
        assert outbox.dispatch(db) >= 1  # the card handler takes PermitChanged without error
        with db.uow(write=False) as s:
            assert not s.execute(select(OutboxMessage).where(OutboxMessage.last_error != "")).first()
    row = permit_row(db, info.permit_number)
    assert row.origin == "electronic" and row.paper_superseded_at is not None  # the paper is superseded
    worker = Actor(user_id=None, role=Role.APPLICANT.value, label="w", permit_number=info.permit_number)
    h = change_views.history(db, actor=worker, permit_number=info.permit_number)
    assert [v.kind for v in h.versions] == ["modification", "issued"]
    assert h.versions[0].filed_by == "employer" and h.versions[0].decided_by == "permit_officer"
    changes = {c.field: (c.before, c.after) for c in h.versions[0].changes}
    assert changes["family_name"] == ("GARCIA LOPEZ", "GARCIA") and changes["origin"] == ("paper", "electronic")
    other_worker = Actor(user_id=None, role=Role.APPLICANT.value, label="o", permit_number="WP20260000000000")
    other_employer = employer_actor(*employer_with_user(db))
    for actor in (other_worker, other_employer):
        with pytest.raises(NotFound):
            change_views.history(db, actor=actor, permit_number=info.permit_number)


def test_modification_to_a_shorter_category_is_refused_beside_the_category(db: Database) -> None:
    info, *emp = issued_permit(db, on=ON, days=600)  # category B, 600 days: more than category C's year
    with clock.frozen(ON + timedelta(days=20)), pytest.raises(ValidationFailed) as exc:
        file(db, (emp[0], emp[1]), "modification", permit_number=info.permit_number,
             change_date=ON + timedelta(days=15), category="C")
    assert set(_errors(exc)) == {"category"}


def test_modified_names_are_passport_letters_as_in_a_new_application(db: Database) -> None:
    info, *emp = issued_permit(db, on=ON, days=200)
    employer = (emp[0], emp[1])
    with clock.frozen(ON + timedelta(days=20)):
        for bad in ("<script>alert(1)</script>", "王小明", "Smith2"):
            with pytest.raises(ValidationFailed) as exc:
                file(db, employer, "modification", permit_number=info.permit_number,
                     change_date=ON + timedelta(days=15), family_name=bad)
            assert set(_errors(exc)) == {"family_name"}
        with pytest.raises(ValidationFailed) as exc:
            file(db, employer, "modification", permit_number=info.permit_number,
                 change_date=ON + timedelta(days=15), given_names="Anna<b>")
        assert set(_errors(exc)) == {"given_names"}
        view = file(db, employer, "modification", permit_number=info.permit_number,
                    change_date=ON + timedelta(days=15), family_name="  müller-o'neil ")
    assert view.family_name == "MULLER-O'NEIL"


def test_a_permit_not_started_yet_can_be_cancelled_or_modified_from_the_day_it_was_issued(db: Database) -> None:
    info, *emp = issued_permit(db, on=ON, days=300)  # issued on ON, valid from ON + 10 days
    employer = (emp[0], emp[1])
    with clock.frozen(ON + timedelta(days=3)):  # the worker does not come: the contract ended yesterday
        with pytest.raises(ValidationFailed) as exc:
            file(db, employer, "cancellation", permit_number=info.permit_number, change_date=ON - timedelta(days=1))
        assert exc.value.errors[0].params == {"issued": ON}  # the day it was issued
        fixed = file(db, employer, "modification", permit_number=info.permit_number,
                     change_date=ON + timedelta(days=1), position="Senior engineer")
        assert fixed.change_date == ON + timedelta(days=1)
        decide(db, fixed)
        cancelled = file(db, employer, "cancellation", permit_number=info.permit_number,
                         change_date=ON + timedelta(days=2))
        assert cancelled.change_date == ON + timedelta(days=2) and cancelled.days_late == 0
        decide(db, cancelled, "reject", "Wrong date")


def test_a_change_whose_deadline_falls_in_a_year_without_a_calendar_yet_is_accepted_on_time(db: Database) -> None:
    info, *emp = issued_permit(db, on=date(2026, 6, 1), days=600)
    with clock.frozen(date(2026, 12, 28)):  # the 10th working day after the change is in 2027: not published
        app = file(db, (emp[0], emp[1]), "cancellation", permit_number=info.permit_number,
                   change_date=date(2026, 12, 24))
    assert app.days_late == 0 and app.change_date == date(2026, 12, 24)


def test_the_expiry_version_is_made_by_the_system_not_filed_by_the_employer(db: Database) -> None:
    from permitcard.permits import lifecycle

    info, *emp = issued_permit(db, on=ON, days=200)
    with clock.frozen(info.valid_to + timedelta(days=1)):
        assert lifecycle.expire_due(db) == 1
        h = change_views.history(db, actor=employer_actor(emp[0], emp[1]), permit_number=info.permit_number)
    expired = h.versions[0]
    assert expired.kind == "expired" and (expired.filed_by, expired.decided_by) == ("system", "system")
    assert h.versions[1].filed_by != "system"  # the issued version was filed by the employer's account


def test_a_modification_cannot_take_another_persons_passport(db: Database) -> None:
    info, *emp = issued_permit(db, on=ON, days=200)
    other, *_rest = issued_permit(db, on=ON, days=200, employer=(emp[0], emp[1]), family_name="OTHER",
                                  given_names="PERSON", passport_number="OTHER1234")
    with clock.frozen(ON + timedelta(days=20)), pytest.raises(ValidationFailed) as exc:
        file(db, (emp[0], emp[1]), "modification", permit_number=info.permit_number,
             change_date=ON + timedelta(days=15), passport_number=other.passport_number,
             passport_expiry_date=date(2036, 1, 1))
    assert set(_errors(exc)) == {"passport_number"}
