"""The paper channel and the instant channel end to end through the services."""

from datetime import date

import pytest
from sqlalchemy import select

from permitcard.bootstrap import register_handlers
from permitcard.cards import handlers as events
from permitcard.cards import service as cards
from permitcard.cards import views
from permitcard.cards.errors import NotEligible, WaitingForSsn
from permitcard.cards.models import Card
from permitcard.notifications.models import Notification
from permitcard.shared import audit, audit_seal
from permitcard.shared.crypto import blind_index
from permitcard.shared.errors import Conflict, IllegalTransition, NotFound, ValidationFailed
from permitcard.shared.ids import luhn_valid
from permitcard.shared.models import OutboxMessage
from tests.card_factories import (
    INSTANT_BRANCH,
    STANDARD_BRANCH,
    agency_clerk,
    bank_clerk,
    branch_id,
    paper_application,
    ready_applicant,
)
from tests.factories import opened
from tests.insurance_factories import register_for_ssn


def actions(db, target_type, target_id):
    with db.uow(write=False) as s:
        return [r.action for r in reversed(audit.history(s, target_type=target_type, target_id=target_id))]


def the_card(db, application_id) -> Card:
    with db.uow(write=False) as s:
        card = s.execute(select(Card).where(Card.application_id == application_id)).scalar_one()
        return card


def test_paper_channel_from_counter_to_active_card(db):
    permit, ssn, receipt, user = ready_applicant(db)
    clerk = bank_clerk(db, STANDARD_BRANCH)
    agency = agency_clerk(db)

    app = paper_application(db, clerk, permit, receipt)
    assert app.reference.startswith("SSC-") and app.state == "submitted" and app.kind == "first"
    assert app.fee_fen == 0 and app.passport_checked and app.branch_id == branch_id(db, STANDARD_BRANCH)
    assert app.applicant_user_id == user.user_id

    app = cards.decide(db, actor=agency, application_id=app.id, version=app.version, action="approve")
    # 1 Sep 2025 (Mon) + 12 working days = Wed 17 Sep 2025; production started at once (SSN exists).
    assert app.promised_date == date(2025, 9, 17)
    assert app.state == "in_production"
    card = the_card(db, app.id)
    assert card.state == "produced" and card.ssn == ssn and card.ssn_hash == blind_index(ssn)
    assert len(card.card_number) == 9 and luhn_valid(card.card_number[1:])
    assert len(card.bank_account) == 19 and card.bank_account.startswith("621700") and luhn_valid(card.bank_account)
    assert card.permit_number == permit.permit_number and card.permit_category == permit.category
    assert card.employer_name_en == permit.employer_name_en and card.permit_valid_to == permit.valid_to

    app = cards.confirm_receipt(db, actor=clerk, application_id=app.id, version=app.version)
    assert app.state == "ready_for_collection"
    with pytest.raises(ValidationFailed) as wrong:
        cards.hand_over(db, actor=clerk, application_id=app.id, version=app.version, passport_number="X9999999")
    assert wrong.value.errors[0].field == "passport_number"
    app = cards.hand_over(db, actor=clerk, application_id=app.id, version=app.version,
                          passport_number=permit.passport_number.lower())
    assert app.state == "collected"
    card = the_card(db, app.id)
    assert card.state == "issued"
    card = cards.activate(db, actor=clerk, card_id=card.id, version=card.version,
                          passport_number=permit.passport_number)
    assert card.state == "active" and card.activated_at is not None

    assert actions(db, "card_application", app.id) == [
        "card_application.submitted", "card_application.approve", "card_application.start_production",
        "card_application.mark_ready", "card_application.hand_over"]
    assert actions(db, "card", card.id) == ["card.produced", "card.issue", "card.activate"]
    with db.uow(write=False) as s:
        assert audit_seal.verify(s).ok
        topics = [opened(m.payload).get("template") for m in s.execute(select(OutboxMessage)).scalars()
                  if m.topic == "notification.send" and opened(m.payload).get("to") == user.label]
    assert {"card_received", "card_approved", "card_ready"} <= set(topics)


def test_instant_channel_same_day(db):
    permit, _ssn, receipt, _user = ready_applicant(db)
    clerk = bank_clerk(db, INSTANT_BRANCH)
    app = paper_application(db, clerk, permit, receipt, channel="instant")
    app = cards.produce_instant(db, actor=clerk, application_id=app.id, version=app.version)
    assert app.state == "ready_for_collection" and app.promised_date == date(2025, 9, 1)
    assert actions(db, "card_application", app.id)[1:] == [
        "card_application.approve", "card_application.start_production", "card_application.mark_ready"]
    app = cards.hand_over(db, actor=clerk, application_id=app.id, version=app.version,
                          passport_number=permit.passport_number)
    card = the_card(db, app.id)
    card = cards.activate(db, actor=clerk, card_id=card.id, version=card.version,
                          passport_number=permit.passport_number)
    assert card.state == "active" and card.bank_account.startswith("622568")


def test_instant_is_only_offered_at_capable_branches(db):
    permit, _ssn, receipt, _user = ready_applicant(db)
    with pytest.raises(ValidationFailed) as err:
        paper_application(db, bank_clerk(db, STANDARD_BRANCH), permit, receipt, channel="instant")
    assert err.value.errors[0].field == "channel"


def test_online_application_waits_for_the_ssn_then_produces_when_it_appears(db):
    permit, ssn, receipt, user = ready_applicant(db, with_ssn=False)
    assert ssn is None
    app = cards.apply_online(db, actor=user, branch_id=branch_id(db, STANDARD_BRANCH), photo_receipt=receipt,
                             passport_number=permit.passport_number)
    assert app.submitted_via == "online" and not app.passport_checked
    app = cards.decide(db, actor=agency_clerk(db), application_id=app.id, version=app.version, action="approve")
    assert app.state == "approved"
    detail = views.application_detail(db, actor=user, application_id=app.id)
    assert detail.waiting and "Waiting for the social security number" in detail.waiting
    with pytest.raises(WaitingForSsn):
        cards.start_production(db, actor=agency_clerk(db), application_id=app.id, version=app.version)

    register_for_ssn(db, permit)  # publishes "insurance.ssn_assigned"; the outbox worker runs our handler
    from permitcard.shared import outbox

    register_handlers()
    outbox.dispatch(db)
    with db.uow() as s:  # idempotent: nothing left to start
        assert events.start_waiting_production(s, permit.permit_number) == 0
    detail = views.application_detail(db, actor=user, application_id=app.id)
    assert detail.app.state == "in_production" and detail.waiting is None and detail.card is not None


def test_start_production_by_the_agency_once_the_ssn_exists(db):
    permit, _ssn, receipt, user = ready_applicant(db, with_ssn=False)
    agency = agency_clerk(db)
    app = cards.apply_online(db, actor=user, branch_id=branch_id(db, INSTANT_BRANCH), photo_receipt=receipt,
                             passport_number=permit.passport_number)
    app = cards.decide(db, actor=agency, application_id=app.id, version=app.version, action="approve")
    register_for_ssn(db, permit)
    app = cards.start_production(db, actor=agency, application_id=app.id, version=app.version)
    assert app.state == "in_production"


def test_return_resubmit_reject_and_cancel(db):
    permit, _ssn, receipt, user = ready_applicant(db)
    agency = agency_clerk(db)
    app = cards.apply_online(db, actor=user, branch_id=branch_id(db, STANDARD_BRANCH), photo_receipt=receipt,
                             passport_number=permit.passport_number)
    with pytest.raises(ValidationFailed):
        cards.decide(db, actor=agency, application_id=app.id, version=app.version, action="return")
    app = cards.decide(db, actor=agency, application_id=app.id, version=app.version, action="return",
                       reason="The photo is too dark")
    assert app.state == "returned" and app.return_note == "The photo is too dark"
    app = cards.resubmit(db, actor=user, application_id=app.id, version=app.version)
    assert app.state == "resubmitted"
    app = cards.decide(db, actor=agency, application_id=app.id, version=app.version, action="reject",
                       reason="Not eligible")
    assert app.state == "rejected"
    with pytest.raises(IllegalTransition):
        cards.cancel(db, actor=user, application_id=app.id, version=app.version)


def test_one_open_application_at_a_time_and_no_second_card(db):
    permit, _ssn, receipt, user = ready_applicant(db)
    cards.apply_online(db, actor=user, branch_id=branch_id(db, STANDARD_BRANCH), photo_receipt=receipt,
                       passport_number=permit.passport_number)
    with pytest.raises(NotEligible):
        cards.apply_online(db, actor=user, branch_id=branch_id(db, STANDARD_BRANCH), photo_receipt=receipt,
                           passport_number=permit.passport_number)
    _p, e = views.eligibility(db, actor=user)
    assert not e.eligible and "in progress" in e.reason


def test_wrong_passport_and_used_receipt_are_field_errors(db):
    permit, _ssn, receipt, user = ready_applicant(db)
    bid = branch_id(db, STANDARD_BRANCH)
    with pytest.raises(ValidationFailed) as err:
        cards.apply_online(db, actor=user, branch_id=bid, photo_receipt=receipt, passport_number="ZZ0000000")
    assert err.value.errors[0].field == "passport_number"
    with pytest.raises(ValidationFailed) as err:
        cards.apply_online(db, actor=user, branch_id=bid, photo_receipt="PR-NOTHING",
                           passport_number=permit.passport_number)
    assert err.value.errors[0].field == "photo_receipt"
    with pytest.raises(ValidationFailed) as err:
        cards.apply_online(db, actor=user, branch_id=999999, photo_receipt=receipt,
                           passport_number=permit.passport_number)
    assert err.value.errors[0].field == "branch_id"


def test_ownership_other_applicant_and_other_branch_get_404(db):
    permit, _ssn, receipt, user = ready_applicant(db)
    _p2, _s2, _r2, other = ready_applicant(db)
    clerk = bank_clerk(db, STANDARD_BRANCH)
    app = paper_application(db, clerk, permit, receipt)
    with pytest.raises(NotFound):
        views.application_detail(db, actor=other, application_id=app.id)
    assert views.application_detail(db, actor=user, application_id=app.id).app.id == app.id
    foreign_clerk = bank_clerk(db, INSTANT_BRANCH)
    with pytest.raises(NotFound):
        views.application_detail(db, actor=foreign_clerk, application_id=app.id)
    with pytest.raises(NotFound):
        cards.cancel(db, actor=foreign_clerk, application_id=app.id, version=app.version)
    assert views.queue(db, actor=foreign_clerk, f=views.QueueFilter()).total == 0
    assert views.queue(db, actor=other, f=views.QueueFilter()).total == 0


def test_stale_version_is_a_conflict(db):
    permit, _ssn, receipt, user = ready_applicant(db)
    agency = agency_clerk(db)
    app = cards.apply_online(db, actor=user, branch_id=branch_id(db, STANDARD_BRANCH), photo_receipt=receipt,
                             passport_number=permit.passport_number)
    seen = app.version
    cards.decide(db, actor=agency, application_id=app.id, version=seen, action="approve")
    with pytest.raises(Conflict):
        cards.decide(db, actor=agency, application_id=app.id, version=seen, action="reject", reason="late")


def test_notifications_go_to_the_linked_account_in_its_language(db):
    permit, _ssn, receipt, user = ready_applicant(db)
    from permitcard.shared import i18n, outbox

    with i18n.use_locale("zh_Hans"):
        app = cards.apply_online(db, actor=user, branch_id=branch_id(db, STANDARD_BRANCH), photo_receipt=receipt,
                                 passport_number=permit.passport_number)
    assert app.notify_locale == "zh_Hans"
    register_handlers()
    outbox.dispatch(db)
    with db.uow(write=False) as s:
        sent = [n for n in s.execute(select(Notification)).scalars() if n.recipient == user.label]
    assert sent and app.reference in sent[0].body


def test_home_prompts_to_link_an_unlinked_account(client, db):
    from permitcard.auth.domain import Role
    from tests.factories import make_user, page_login

    make_user(db, Role.APPLICANT, "new-worker@example.com")
    page_login(client, "new-worker@example.com")
    r = client.get("/my")
    assert r.status_code == 200 and 'href="/my/link"' in r.text
    assert client.get("/my/card/apply", follow_redirects=False).headers["location"] == "/my/link"
