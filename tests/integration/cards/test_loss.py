"""Lost and damaged cards: report loss (three ways), restore, replacement, the fee, the daily report."""

from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from permitcard.cards import fee_report
from permitcard.cards import service as cards
from permitcard.cards.errors import AlreadyPaid, NotEligible, WaitingForSsn
from permitcard.cards.models import Card, CardApplication
from permitcard.shared import clock
from permitcard.shared.errors import Conflict, Forbidden, NotFound, RuleViolation, ValidationFailed
from permitcard.shared.models import AuditLog, OutboxMessage
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

ZHONGXIN = "CGB-DG-ZHONGXIN"


def active_card(db):  # type: ignore[no-untyped-def]
    """A person with an active card from the Guangfa main branch: (permit, worker, clerk, card)."""
    permit, _ssn, receipt, worker = ready_applicant(db)
    clerk = bank_clerk(db, INSTANT_BRANCH)
    app = paper_application(db, clerk, permit, receipt, channel="instant")
    app = cards.produce_instant(db, actor=clerk, application_id=app.id, version=app.version)
    app = cards.hand_over(db, actor=clerk, application_id=app.id, version=app.version,
                          passport_number=permit.passport_number)
    card = _card_of(db, app.id)
    card = cards.activate(db, actor=clerk, card_id=card.id, version=card.version,
                          passport_number=permit.passport_number)
    return permit, worker, clerk, card


def _card_of(db, application_id):  # type: ignore[no-untyped-def]
    with db.uow(write=False) as s:
        return s.execute(select(Card).where(Card.application_id == application_id)).scalar_one()


def _card(db, card_id):  # type: ignore[no-untyped-def]
    with db.uow(write=False) as s:
        return s.get(Card, card_id)


def _topics(db, topic):  # type: ignore[no-untyped-def]
    with db.uow(write=False) as s:
        return [opened(m.payload) for m in s.execute(select(OutboxMessage).where(OutboxMessage.topic == topic))
                .scalars()]


def test_the_worker_reports_the_loss_online_the_card_is_suspended_and_the_worker_told(db):
    _permit, worker, _clerk, card = active_card(db)
    card = cards.report_loss(db, actor=worker, card_id=card.id, version=card.version, channel="online")
    assert card.state == "suspended" and card.loss_reported_via == "online" and card.suspended_at is not None
    assert [p["card_id"] for p in _topics(db, "card.suspended")] == [card.id]
    told = [p for p in _topics(db, "notification.send") if p["template"] == "card_suspended"]
    assert len(told) == 1 and told[0]["params"]["card_number"] == card.card_number
    assert told[0]["params"]["fee"] == "CN¥20.00"
    with db.uow(write=False) as s:
        row = s.execute(select(AuditLog).where(AuditLog.action == "card.suspend",
                                               AuditLog.target_id == str(card.id))).scalar_one()
        assert row.before["state"] == "active" and row.after["state"] == "suspended"


def test_the_ecard_reports_through_the_same_call_and_the_second_report_says_why(db):
    _permit, worker, _clerk, card = active_card(db)
    cards.report_loss(db, actor=worker, card_id=card.id, version=card.version, channel="ecard")
    assert _card(db, card.id).loss_reported_via == "ecard"
    with pytest.raises(RuleViolation, match="already been reported lost"):
        cards.report_loss(db, actor=worker, card_id=card.id, version=card.version + 1, channel="online")


def test_a_clerk_of_any_issuing_branch_reports_the_loss_after_checking_the_passport(db):
    permit, _worker, _clerk, card = active_card(db)
    other_branch = bank_clerk(db, STANDARD_BRANCH)  # the card came from the Guangfa main branch
    with pytest.raises(ValidationFailed) as err:
        cards.report_loss(db, actor=other_branch, card_id=card.id, version=card.version, channel="branch",
                          passport_number="X0000000")
    assert err.value.errors[0].field == "passport_number"
    with pytest.raises(ValidationFailed):
        cards.report_loss(db, actor=other_branch, card_id=card.id, version=card.version, channel="branch")
    found = cards.find_at_counter(db, actor=other_branch, permit_number=permit.permit_number,
                                  passport_number=permit.passport_number, passport_checked=True)
    assert [c.id for c in found.cards] == [card.id] and found.fee_fen == 2000
    card = cards.report_loss(db, actor=other_branch, card_id=card.id, version=card.version, channel="branch",
                             passport_number=permit.passport_number)
    assert card.state == "suspended" and card.loss_reported_via == "branch"


def test_who_may_not_report(db):
    _permit, worker, _clerk, card = active_card(db)
    _stranger_permit, _s, _r, stranger = ready_applicant(db)
    with pytest.raises(NotFound):
        cards.report_loss(db, actor=stranger, card_id=card.id, version=card.version)
    with pytest.raises(Forbidden):
        cards.report_loss(db, actor=agency_clerk(db), card_id=card.id, version=card.version)
    with pytest.raises(Conflict):
        cards.report_loss(db, actor=worker, card_id=card.id, version=card.version - 1)
    with pytest.raises(ValidationFailed):
        cards.report_loss(db, actor=worker, card_id=card.id, version=card.version, channel="fax")


def test_a_card_not_yet_active_cannot_be_reported_lost_online(db):
    permit, _ssn, receipt, worker = ready_applicant(db)
    clerk = bank_clerk(db, INSTANT_BRANCH)
    app = paper_application(db, clerk, permit, receipt, channel="instant")
    app = cards.produce_instant(db, actor=clerk, application_id=app.id, version=app.version)
    card = _card_of(db, app.id)
    with pytest.raises(RuleViolation, match="Only an active card"):
        cards.report_loss(db, actor=worker, card_id=card.id, version=card.version)


def test_a_suspended_card_cannot_be_activated_handed_over_or_verified(db):
    permit, worker, clerk, card = active_card(db)
    assert cards.verify_card(db, actor=clerk, card_number=card.card_number).valid
    card = cards.report_loss(db, actor=worker, card_id=card.id, version=card.version)
    check = cards.verify_card(db, actor=clerk, card_number=card.card_number)
    assert not check.valid and check.state == "suspended" and "suspended" in check.reason
    with pytest.raises(RuleViolation, match="suspended"):
        cards.activate(db, actor=clerk, card_id=card.id, version=card.version, passport_number=permit.passport_number)
    with db.uow(write=False) as s:
        assert cards.card_check(s, card_id=card.id).valid is False  # type: ignore[union-attr]
    # hand-over: a produced card of an application can never be the suspended one; the guard says why
    with db.uow() as s:
        app = s.get(CardApplication, card.application_id)
        app.state, app.version = "ready_for_collection", app.version + 1
        s.commit()
    with pytest.raises(RuleViolation, match="suspended"):
        cards.hand_over(db, actor=clerk, application_id=app.id, version=app.version,
                        passport_number=permit.passport_number)


def test_restore_only_while_no_replacement_has_been_applied_for(db):
    permit, worker, clerk, card = active_card(db)
    card = cards.report_loss(db, actor=worker, card_id=card.id, version=card.version)
    card = cards.restore(db, actor=worker, card_id=card.id, version=card.version)
    assert card.state == "active" and card.suspended_at is None
    assert [p["card_id"] for p in _topics(db, "card.restored")] == [card.id]
    with pytest.raises(RuleViolation, match="Only a suspended card"):
        cards.restore(db, actor=worker, card_id=card.id, version=card.version)
    card = cards.report_loss(db, actor=worker, card_id=card.id, version=card.version)
    app = cards.apply_replacement(db, actor=worker, card_id=card.id, reason="lost",
                                  branch_id=branch_id(db, STANDARD_BRANCH))
    with pytest.raises(RuleViolation, match="replacement card has been applied for"):
        cards.restore(db, actor=worker, card_id=card.id, version=card.version)
    with pytest.raises(RuleViolation, match="replacement card has been applied for"):
        cards.restore(db, actor=clerk, card_id=card.id, version=card.version, channel="branch",
                      passport_number=permit.passport_number)
    cards.cancel(db, actor=worker, application_id=app.id, version=app.version)
    assert cards.restore(db, actor=worker, card_id=card.id, version=card.version).state == "active"


def test_replacement_refusals_say_why(db):
    _permit, worker, _clerk, card = active_card(db)
    standard = branch_id(db, STANDARD_BRANCH)
    with pytest.raises(NotEligible, match="Report the card lost first"):
        cards.apply_replacement(db, actor=worker, card_id=card.id, reason="lost", branch_id=standard)
    with pytest.raises(ValidationFailed):
        cards.apply_replacement(db, actor=worker, card_id=card.id, reason="stolen", branch_id=standard)
    app = cards.apply_replacement(db, actor=worker, card_id=card.id, reason="damaged", branch_id=standard)
    assert app.kind == "replacement" and app.fee_fen == 2000 and app.channel == "standard"
    with pytest.raises(NotEligible, match="already been applied for"):
        cards.apply_replacement(db, actor=worker, card_id=card.id, reason="damaged", branch_id=standard)


def test_instant_replacement_fee_first_then_the_new_card_and_the_old_one_invalid_for_good(db):
    permit, worker, _clerk, old = active_card(db)
    old = cards.report_loss(db, actor=worker, card_id=old.id, version=old.version)
    clerk = bank_clerk(db, ZHONGXIN)
    with pytest.raises(ValidationFailed):
        cards.apply_replacement(db, actor=bank_clerk(db, STANDARD_BRANCH), card_id=old.id, reason="lost",
                                channel="instant", passport_number=permit.passport_number)
    app = cards.apply_replacement(db, actor=clerk, card_id=old.id, reason="lost", channel="instant",
                                  passport_number=permit.passport_number)
    assert app.fee_fen == 2000 and app.submitted_via == "branch" and app.branch_id == branch_id(db, ZHONGXIN)
    with pytest.raises(WaitingForSsn, match="fee"):
        cards.produce_instant(db, actor=clerk, application_id=app.id, version=app.version)
    for amount, method, field in (("19.99", "cash", "amount"), ("abc", "cash", "amount"), ("20", "cheque", "method")):
        with pytest.raises(ValidationFailed) as err:
            cards.record_payment(db, actor=clerk, application_id=app.id, amount=amount, method=method)
        assert err.value.errors[0].field == field
    with pytest.raises(NotFound):  # another branch's clerk
        cards.record_payment(db, actor=bank_clerk(db, INSTANT_BRANCH), application_id=app.id, amount="20",
                             method="cash")
    paid = cards.record_payment(db, actor=clerk, application_id=app.id, amount="２０.00", method="wechat")
    assert paid.amount_fen == 2000 and paid.reference.startswith("PAY-") and paid.paid_date == date(2025, 9, 1)
    with pytest.raises(AlreadyPaid):
        cards.record_payment(db, actor=clerk, application_id=app.id, amount="20", method="wechat")
    app = cards.produce_instant(db, actor=clerk, application_id=app.id, version=app.version)
    app = cards.hand_over(db, actor=clerk, application_id=app.id, version=app.version,
                          passport_number=permit.passport_number)
    new = _card_of(db, app.id)
    old = _card(db, old.id)
    assert old.state == "invalidated" and old.invalidated_at is not None
    assert new.state == "issued" and new.permit_number == permit.permit_number and new.position == permit.position
    assert [p["card_id"] for p in _topics(db, "card.invalidated")] == [old.id]
    new = cards.activate(db, actor=clerk, card_id=new.id, version=new.version, passport_number=permit.passport_number)
    assert new.state == "active"
    assert not cards.verify_card(db, actor=clerk, card_number=old.card_number).valid
    with pytest.raises(RuleViolation):
        cards.restore(db, actor=worker, card_id=old.id, version=old.version)
    with pytest.raises(RuleViolation, match="invalidated"):
        cards.report_loss(db, actor=worker, card_id=old.id, version=old.version)

    report = fee_report.fee_report(db, actor=clerk, day=date(2025, 9, 1))
    assert [p.reference for p, _ in report.payments] == [paid.reference] and report.total_fen == 2000
    assert sum(report.by_method.values()) == report.total_fen and report.by_method["wechat"] == 2000
    assert [c.id for _, c in report.replacements] == [new.id]
    header, rows = fee_report.csv_table(report)
    assert len(header) == len(rows[0]) and rows[0][1] == paid.reference and str(rows[0][6]) == "20.00"
    assert rows[-1][-1] == new.card_number and str(rows[-2][6]) == "20.00"  # the total, then the new card
    assert fee_report.fee_report(db, actor=clerk, day=date(2025, 9, 2)).total_fen == 0
    with pytest.raises(Forbidden):
        fee_report.fee_report(db, actor=worker, day=date(2025, 9, 1))


def test_standard_replacement_online_waits_for_the_fee_then_is_produced(db):
    _permit, worker, _clerk, old = active_card(db)
    old = cards.report_loss(db, actor=worker, card_id=old.id, version=old.version)
    app = cards.apply_replacement(db, actor=worker, card_id=old.id, reason="lost",
                                  branch_id=branch_id(db, STANDARD_BRANCH))
    app = cards.decide(db, actor=agency_clerk(db), application_id=app.id, version=app.version, action="approve")
    assert app.state == "approved" and app.promised_date == date(2025, 9, 17)
    with db.uow(write=False) as s:
        assert "fee" in (cards.waiting_reason(s, app) or "")
    clerk = bank_clerk(db, STANDARD_BRANCH)
    cards.record_payment(db, actor=clerk, application_id=app.id, amount="20", method="alipay")
    with db.uow(write=False) as s:
        assert s.get(CardApplication, app.id).state == "in_production"  # type: ignore[union-attr]
    assert _card_of(db, app.id).state == "produced" and _card(db, old.id).state == "suspended"


def test_first_card_and_upgrade_stay_free_and_no_fee_is_taken_for_them(db):
    permit, _ssn, receipt, _worker = ready_applicant(db)
    clerk = bank_clerk(db, INSTANT_BRANCH)
    app = paper_application(db, clerk, permit, receipt, channel="instant")
    assert app.fee_fen == 0
    with pytest.raises(ValidationFailed) as err:
        cards.record_payment(db, actor=clerk, application_id=app.id, amount="0", method="cash")
    assert err.value.errors[0].message == "No fee is due for this application."


def test_the_replacement_fee_follows_the_policy_rows_and_their_dates(db):
    from permitcard.policy import service as policy
    from permitcard.shared.audit import Actor

    _permit, worker, _clerk, card = active_card(db)
    with db.uow(write=False) as s:
        assert cards.card_fee_fen(s, kind="replacement", on=date(2025, 9, 1)) == 2000
        assert cards.card_fee_fen(s, kind="first", on=date(2025, 9, 1)) == 0
        assert cards.card_fee_fen(s, kind="upgrade", on=date(2025, 9, 1)) == 0
    policy.add_value(db, actor=Actor(user_id=None, role="admin", label="admin@example.com"), city_code="4419",
                     key="fee_replacement", value="25.50", effective_from=date(2025, 9, 2))
    assert cards.replacement_fee_fen(db) == 2000  # today's fee until the new one takes effect
    cards.report_loss(db, actor=worker, card_id=card.id, version=card.version)
    with clock.frozen(date(2025, 9, 2)):
        assert cards.replacement_fee_fen(db) == 2550
        app = cards.apply_replacement(db, actor=worker, card_id=card.id, reason="lost",
                                      branch_id=branch_id(db, STANDARD_BRANCH))
    assert app.fee_fen == 2550  # the fee in force on the day of the application, kept on it


def test_of_two_replacements_of_one_card_the_database_keeps_one(db):
    _permit, worker, _clerk, old = active_card(db)
    cards.report_loss(db, actor=worker, card_id=old.id, version=old.version)
    first = cards.apply_replacement(db, actor=worker, card_id=old.id, reason="lost",
                                    branch_id=branch_id(db, STANDARD_BRANCH))
    twin = {k: getattr(first, k) for k in ("permit_number", "family_name", "given_names", "kind", "channel",
                                           "submitted_via", "branch_id", "photo_id", "state", "fee_fen",
                                           "created_at", "updated_at", "replaces_card_id")}
    with db.uow() as s, pytest.raises(IntegrityError):
        s.add(CardApplication(**twin, reference="SSC-TWIN0001"))
        s.flush()
    with db.uow() as s:  # a cancelled one does not count
        s.add(CardApplication(**(twin | {"state": "cancelled"}), reference="SSC-TWIN0002"))
        s.commit()
