"""The calendar cliff: an approval whose promised date falls in a year nobody has published yet is
approved at once; the date is set, and the applicant told in their language, when the year is entered."""

from datetime import date

from sqlalchemy import select

from permitcard.admin import service as admin
from permitcard.auth.domain import Role
from permitcard.bootstrap import register_handlers
from permitcard.cards import service as cards
from permitcard.cards import views
from permitcard.notifications.models import Notification
from permitcard.shared import clock, i18n, outbox
from permitcard.shared.audit import Actor
from permitcard.shared.calendar_store import enter_year
from tests.card_factories import STANDARD_BRANCH, agency_clerk, branch_id, ready_applicant
from tests.factories import make_user, page_login

CLIFF = date(2026, 12, 21)  # a Monday: 12 working days later is in 2027, which the package does not know


def sent(db, recipient):
    with db.uow(write=False) as s:
        return [n for n in s.execute(select(Notification).order_by(Notification.id)).scalars()
                if n.recipient == recipient]


def test_approval_across_the_year_end_with_next_year_unknown_then_entered(db, client):
    register_handlers()
    permit, _ssn, receipt, user = ready_applicant(db)
    with i18n.use_locale("zh_Hans"):
        app = cards.apply_online(db, actor=user, branch_id=branch_id(db, STANDARD_BRANCH), photo_receipt=receipt,
                                 passport_number=permit.passport_number)
    agency = agency_clerk(db)
    with clock.frozen(CLIFF):
        app = cards.decide(db, actor=agency, application_id=app.id, version=app.version, action="approve")
        assert app.state in ("approved", "in_production")
        assert app.promised_date is None and app.promised_calendar_year == 2027
        # The SLA view lists it as waiting for a date; nothing is refused.
        rows = views.sla_rows(db, actor=agency)
        assert [(r.app.id, r.status) for r in rows if r.app.id == app.id] == [(app.id, "waiting_calendar")]
        outbox.dispatch(db)
        approved = sent(db, user.label)[-1]
        assert approved.locale == "zh_Hans" and "2027" in approved.body and app.reference in approved.body

        # The applicant's page and the API say so.
        make_user(db, Role.AGENCY_CLERK, "agency-cliff@example.com")
        page_login(client, "agency-cliff@example.com")
        page = client.get(f"/agency/cards/{app.id}")
        assert page.status_code == 200
        assert "The promised date is set as soon as the official 2027 calendar is entered." in page.text

        enter_year(db, year=2027, holidays=[(date(2027, 1, 1), "New Year")], workdays=[],
                   actor=Actor.system("test"))
        outbox.dispatch(db)
        outbox.dispatch(db)  # idempotent: a second delivery sets nothing twice

    detail = views.application_detail(db, actor=user, application_id=app.id).app
    # Dec 22-25, 28-31 (8), 1 Jan 2027 a holiday, Jan 4-7: the 12th working day is Thu 7 Jan 2027.
    assert detail.promised_date == date(2027, 1, 7) and detail.promised_calendar_year is None
    told = [n for n in sent(db, user.label) if n.template == "card_promised_date_set"]
    assert len(told) == 1 and told[0].locale == "zh_Hans" and "2027" in told[0].body


def test_administrators_are_warned_once_from_october_while_next_year_is_missing(db, client):
    make_user(db, Role.ADMIN, "admin-cal@example.com")
    with clock.frozen(date(2026, 9, 30)):
        assert admin.warn_missing_calendar(db) == 0
    with clock.frozen(date(2026, 10, 1)):
        assert admin.warn_missing_calendar(db) >= 1
        register_handlers()
        outbox.dispatch(db)
        assert admin.warn_missing_calendar(db) == 0  # once
        outbox.dispatch(db)
        assert [n.template for n in sent(db, "admin-cal@example.com")] == ["calendar_missing"]
        page_login(client, "admin-cal@example.com")
        home = client.get("/admin")
        assert "The official working-day calendar for 2027 has not been entered yet." in home.text
    enter_year(db, year=2027, holidays=[(date(2027, 1, 1), "New Year")], workdays=[], actor=Actor.system("test"))
    with clock.frozen(date(2026, 10, 2)):
        assert admin.warn_missing_calendar(db) == 0
        assert "has not been entered yet" not in client.get("/admin").text
