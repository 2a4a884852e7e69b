"""Expiry after the last day (Asia/Shanghai), run twice; the 30-day reminder, once; the card follows."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from permitcard.auth.models import User
from permitcard.bootstrap import register_handlers
from permitcard.cards import service as cards
from permitcard.cards.models import Card
from permitcard.notifications.models import Notification
from permitcard.permits import lifecycle
from permitcard.permits.events import PermitCancelled
from permitcard.permits.models import Permit, PermitVersion
from permitcard.permits.views import notice_verify_url
from permitcard.shared import clock, outbox
from permitcard.shared.models import AuditLog, OutboxMessage
from tests.card_factories import (
    INSTANT_BRANCH,
    applicant_for,
    bank_clerk,
    collected_card,
    paper_application,
    ready_applicant,
)
from tests.factories import page_login
from tests.permit_factories import employer_with_user, file_and_approve

FILED = date(2026, 3, 2)


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=clock.SHANGHAI)


def _count(db, model, *where) -> int:  # type: ignore[no-untyped-def]
    with db.uow(write=False) as s:
        return int(s.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def _drain(db) -> None:  # type: ignore[no-untyped-def]
    register_handlers()
    while outbox.dispatch(db):
        pass


def test_a_permit_expires_after_its_last_day_in_shanghai_once(db):
    with clock.frozen(FILED):
        permit = file_and_approve(db)
    last = permit.valid_to
    with clock.frozen(_at(last, 23, 59)):  # 15:59 UTC: still the last day in China
        assert lifecycle.expire_due(db) == 0
    with clock.frozen(_at(last + timedelta(days=1), 0, 0)):  # 16:00 UTC the day before in UTC terms
        assert lifecycle.expire_due(db) == 1
        assert lifecycle.expire_due(db) == 0  # run twice: nothing more
    with db.uow(write=False) as s:
        row = s.execute(select(Permit).where(Permit.notice_number == permit.notice_number)).scalar_one()
        assert (row.status, row.version) == ("expired", 2)
        versions = list(s.execute(select(PermitVersion.reason).where(PermitVersion.permit_id == row.id)
                                  .order_by(PermitVersion.version)).scalars())
    assert versions == ["issued", "expired"]
    assert _count(db, OutboxMessage, OutboxMessage.topic == "permit.expired") == 1
    assert _count(db, AuditLog, AuditLog.action == "permit.expired") == 1


def test_the_reminder_goes_30_days_before_once_to_holder_and_employer_in_their_languages(db):
    employer_id, hr_id = employer_with_user(db)
    with clock.frozen(FILED):
        permit = file_and_approve(db, employer_id=employer_id, user_id=hr_id)
        holder = applicant_for(db, permit)
    with db.uow() as s:
        s.execute(update(User).where(User.id == holder.user_id).values(locale="zh_Hans"))
        s.commit()
    last = permit.valid_to
    with clock.frozen(last - timedelta(days=31)):
        assert lifecycle.send_reminders(db) == 0
    with clock.frozen(last - timedelta(days=30)):
        assert lifecycle.send_reminders(db) == 1
        assert lifecycle.send_reminders(db) == 0  # the same day again
    with clock.frozen(last - timedelta(days=29)):
        assert lifecycle.run(db) == lifecycle.LifecycleRun(expired=0, reminded=0)  # not every day
        _drain(db)
    with db.uow(write=False) as s:
        mails = list(s.execute(select(Notification).where(Notification.template == "permit_expiry_reminder")
                               .order_by(Notification.id)).scalars())
        hr_email = s.get(User, hr_id).email  # type: ignore[union-attr]
        reminded_for = s.scalar(select(Permit.expiry_reminded_for).where(Permit.notice_number == permit.notice_number))
    assert reminded_for == last
    by_recipient = {m.recipient: m for m in mails}
    assert len(mails) == 2 and set(by_recipient) == {holder.label, hr_email}
    assert permit.permit_number in by_recipient[hr_email].subject and "ends on" in by_recipient[hr_email].subject
    assert "工作许可" in by_recipient[holder.label].subject, by_recipient[holder.label].subject
    assert _count(db, AuditLog, AuditLog.action == "permit.expiry_reminder_sent") == 1


def test_an_extension_rearms_the_reminder_for_the_new_end_date(db):
    with clock.frozen(FILED):
        permit = file_and_approve(db)
    last = permit.valid_to
    with clock.frozen(last - timedelta(days=20)):
        assert lifecycle.send_reminders(db) == 1  # a job that missed day 30 still reminds
    with db.uow() as s:  # what an approved extension does to the row (permchange builds it)
        s.execute(update(Permit).where(Permit.notice_number == permit.notice_number)
                  .values(valid_to_date=last + timedelta(days=365), version=Permit.version + 1))
        s.commit()
    with clock.frozen(last - timedelta(days=20)):
        assert lifecycle.send_reminders(db) == 0
    with clock.frozen(last + timedelta(days=365 - 30)):
        assert lifecycle.send_reminders(db) == 1


def _holder_with_card(db):  # type: ignore[no-untyped-def]
    """A person whose card was handed over (instant), with their applicant account: (permit, e-mail, card id)."""
    permit, _ssn, receipt, user = ready_applicant(db)
    clerk = bank_clerk(db, INSTANT_BRANCH)
    app = paper_application(db, clerk, permit, receipt, channel="instant")
    app = cards.produce_instant(db, actor=clerk, application_id=app.id, version=app.version)
    cards.hand_over(db, actor=clerk, application_id=app.id, version=app.version,
                    passport_number=permit.passport_number)
    _drain(db)
    with db.uow(write=False) as s:
        card = s.execute(select(Card).where(Card.application_id == app.id)).scalar_one()
    assert card.permit_status == "valid"
    return permit, user.label, card


@pytest.mark.parametrize("how", ["expired", "cancelled"])
def test_an_expired_or_cancelled_permit_shows_on_the_card_pages_and_the_verification_page(db, client, how):
    with clock.frozen(FILED):
        permit, email, card = _holder_with_card(db)
    day = permit.valid_to + timedelta(days=1) if how == "expired" else FILED + timedelta(days=30)
    with clock.frozen(day):
        if how == "expired":
            assert lifecycle.expire_due(db) == 1
        else:  # what the employer's approved cancellation does (permchange builds it)
            with db.uow() as s:
                row = s.execute(select(Permit).where(Permit.notice_number == permit.notice_number)).scalar_one()
                row.status, row.version = "cancelled", 2
                outbox.publish(s, PermitCancelled(permit_number=permit.permit_number, permit_id=row.id, version=2,
                                                  employer_id=row.employer_id))
                s.commit()
        _drain(db)
        url = notice_verify_url(permit.notice_number)
        public = client.get(url[url.index("/verify/"):])
        page_login(client, email)
        face = client.get(f"/cards/{card.id}/face")
        home = client.get("/my")
    with db.uow(write=False) as s:
        after = s.get(Card, card.id)
        assert after is not None
    assert (after.permit_status, after.permit_version) == (how, 2)
    assert after.state == card.state  # still a valid social security card
    label = "Expired" if how == "expired" else "Cancelled"
    assert public.status_code == 200 and label in public.text
    assert face.status_code == 200 and label in face.text, face.text[:500]
    assert home.status_code == 200 and label in home.text


def test_duplicated_replayed_and_out_of_order_events_never_leave_older_information_on_the_card(db):
    from permitcard.permits.events import PermitApproved, PermitExpired

    with clock.frozen(FILED):
        permit, _clerk, _app = collected_card(db)
        _drain(db)
    with clock.frozen(permit.valid_to + timedelta(days=1)):
        lifecycle.expire_due(db)
        with db.uow() as s:
            row = s.execute(select(Permit).where(Permit.notice_number == permit.notice_number)).scalar_one()
            common = {"permit_number": permit.permit_number, "permit_id": row.id, "employer_id": row.employer_id}
            # Out of order (the approval after the expiry), duplicated and replayed.
            outbox.publish(s, PermitApproved(version=1, notice_number=permit.notice_number, **common))
            outbox.publish(s, PermitExpired(version=2, **common))
            outbox.publish(s, PermitApproved(version=1, notice_number=permit.notice_number, **common))
            s.commit()
        _drain(db)
        with db.uow(write=False) as s:
            card = s.execute(select(Card).where(Card.permit_number == permit.permit_number)).scalar_one()
            refreshed = s.scalar(select(func.count()).select_from(AuditLog).where(
                AuditLog.action == "card.permit_refreshed", AuditLog.target_id == str(card.id)))
    assert (card.permit_status, card.permit_version) == ("expired", 2)
    assert refreshed == 1  # only the one real change was written and audited


def test_the_holders_home_page_names_the_permit_category_in_words(db, client):
    with clock.frozen(FILED):
        permit, email, _card = _holder_with_card(db)
        page_login(client, email)
        client.cookies.set("lang", "zh_Hans")
        home = client.get("/my")
    assert home.status_code == 200
    assert f"{permit.category}类（" in home.text  # e.g. B类（专业人才）, not the bare letter
