"""No change, no replacement: legacy paper permits and cards imported; the card-side upgrade; reconciliation."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from permitcard.cards import legacy as card_legacy
from permitcard.cards import service as cards
from permitcard.cards import views
from permitcard.cards.domain import PAPER_PERMIT_REASON
from permitcard.cards.errors import NotEligible
from permitcard.cards.models import Card
from permitcard.cards.reconcile import reconcile
from permitcard.insurance import service as insurance
from permitcard.permits import legacy as permit_legacy
from permitcard.permits.models import Permit, PermitPerson
from permitcard.shared.models import AuditLog, OutboxMessage
from permitcard.shared.registry import registry_for
from tests.card_factories import STANDARD_BRANCH, agency_clerk, applicant_for, bank_clerk, branch_id, seed_branches
from tests.insurance_factories import photo_for
from tests.legacy_factories import (
    card_row,
    cards_csv,
    legacy_employer,
    legacy_employer_ids,
    make_electronic,
    permit_row,
    permits_csv,
)

HR: list[tuple[int, int]] = [(0, 0)]  # the employer of the last imported holder: (employer id, HR user id)


def _statuses(report) -> list[tuple[int, str]]:  # type: ignore[no-untyped-def]
    return [(r.line, r.status) for r in report.rows]


def test_paper_permits_import_row_by_row_bad_rows_reported_and_a_rerun_skips(db, tmp_path: Path):
    uscc = legacy_employer(db)
    good = [permit_row(uscc), permit_row(uscc, family_name="NGUYEN", given_names="VAN AN", nationality="VN",
                                         sex="M", category="A")]
    broken_check = permit_row(uscc)
    number = broken_check["permit_number"]
    broken_check["permit_number"] = number[:-1] + str((int(number[-1]) + 1) % 10)  # a wrong check digit
    rows = [good[0], permit_row(uscc, birth_date="1988-02-30"), permit_row(uscc, nationality="XX"), broken_check,
            permit_row(uscc, valid_from="2025-01-10"), good[1]]
    path = permits_csv(tmp_path / "permits.csv", rows)
    with db.uow(write=False) as s:
        events_before = s.scalar(select(func.count()).select_from(OutboxMessage))

    report = permit_legacy.import_file(db, path)
    assert _statuses(report) == [(2, "ok"), (3, "error"), (4, "error"), (5, "error"), (6, "error"), (7, "ok")]
    reasons = [r.reason for r in report.errors]
    assert "birth_date is not a date" in reasons[0] and "nationality 'XX'" in reasons[1]
    assert "check digit" in reasons[2] and "not before 2024-12-01" in reasons[3]

    with db.uow(write=False) as s:
        for row in good:
            info = registry_for(s).get(row["permit_number"])
            assert info is not None and info.is_valid and info.is_paper
            permit = s.execute(select(Permit).join(PermitPerson, Permit.person_id == PermitPerson.id)
                               .where(PermitPerson.permit_number == row["permit_number"])).scalar_one()
            assert (permit.origin, permit.version, permit.paper_superseded_at) == ("paper", 1, None)
        # Untouched: no event (no card, no message to the holder), one audit row per permit.
        assert s.scalar(select(func.count()).select_from(OutboxMessage)) == events_before
        assert s.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "permit.imported")) == 2

    again = permit_legacy.import_file(db, path)  # idempotent re-run: the good rows are skipped, nothing new
    assert [s for _l, s in _statuses(again)] == ["skipped-already-imported", "error", "error", "error", "error",
                                                 "skipped-already-imported"]
    with db.uow(write=False) as s:
        assert s.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "permit.imported")) == 2


def test_a_file_without_the_columns_is_refused_as_a_whole(db, tmp_path: Path):
    from permitcard.shared.legacy_import import RowError

    path = tmp_path / "wrong.csv"
    path.write_text("number,name\n1,A\n", encoding="utf-8")
    with pytest.raises(RowError, match="permit_number"):
        permit_legacy.import_file(db, path)


def _imported_holder(db, tmp_path: Path):  # type: ignore[no-untyped-def]
    seed_branches(db)
    uscc, employer_id, hr_id = legacy_employer_ids(db)
    HR[0] = (employer_id, hr_id)
    prow = permit_row(uscc)
    permit_legacy.import_file(db, permits_csv(tmp_path / "p.csv", [prow]))
    crow = card_row(prow)
    report = card_legacy.import_file(db, cards_csv(tmp_path / "c.csv", [crow]))
    assert _statuses(report) == [(2, "ok")], report.rows
    with db.uow(write=False) as s:
        info = registry_for(s).get(prow["permit_number"])
    assert info is not None
    return prow, crow, info


def test_legacy_cards_import_with_ssn_and_no_permit_and_a_rerun_skips(db, tmp_path: Path):
    prow, crow, _info = _imported_holder(db, tmp_path)
    bad = [card_row(prow, card_number="A1234567"), card_row(prow, permit_number="WP20219999999999"),
           card_row(prow, issued_on="2022-13-01"), card_row(prow, branch_code="NOPE")]
    report = card_legacy.import_file(db, cards_csv(tmp_path / "c2.csv", [crow, *bad]))
    assert [s for _l, s in _statuses(report)] == ["skipped-already-imported"] + ["error"] * 4
    with db.uow(write=False) as s:
        card = s.execute(select(Card).where(Card.card_number == crow["card_number"])).scalar_one()
        assert card.state == "active" and card.permit_number is None and card.permit_status is None
        assert card.ssn == crow["ssn"] and card.bank_account == crow["bank_account"]
        assert card.branch_id == branch_id(db, STANDARD_BRANCH)
        assert insurance.ssn_for(s, permit_number=prow["permit_number"]) == crow["ssn"]
        from permitcard.cards.domain import card_number
        from permitcard.cards.producer import next_value

        assert card_number(next_value(s, "card_number")) > crow["card_number"]  # never given out again


def test_a_paper_permit_is_not_offered_the_upgrade_and_an_electronic_one_upgrades_and_invalidates(db, tmp_path):
    prow, crow, info = _imported_holder(db, tmp_path)
    holder = applicant_for(db, info)
    overview = views.my_overview(db, actor=holder)
    assert not overview.eligibility.eligible and overview.eligibility.reason == PAPER_PERMIT_REASON
    assert [c.card_number for c in overview.cards] == [crow["card_number"]]
    receipt = photo_for(db, info)
    with pytest.raises(NotEligible):
        cards.apply_online(db, actor=holder, branch_id=branch_id(db, STANDARD_BRANCH), photo_receipt=receipt,
                           passport_number=info.passport_number)

    make_electronic(db, prow["permit_number"], HR[0])
    overview = views.my_overview(db, actor=holder)
    assert overview.eligibility.eligible and overview.eligibility.kind == "upgrade"
    assert overview.eligibility.fee_fen == 0
    app = cards.apply_online(db, actor=holder, branch_id=branch_id(db, STANDARD_BRANCH), photo_receipt=receipt,
                             passport_number=info.passport_number)
    assert app.kind == "upgrade" and app.fee_fen == 0
    app = cards.decide(db, actor=agency_clerk(db), application_id=app.id, version=app.version, action="approve")
    clerk = bank_clerk(db, STANDARD_BRANCH)
    app = cards.confirm_receipt(db, actor=clerk, application_id=app.id, version=app.version)
    cards.hand_over(db, actor=clerk, application_id=app.id, version=app.version, passport_number=info.passport_number)
    with db.uow(write=False) as s:
        old = s.execute(select(Card).where(Card.card_number == crow["card_number"])).scalar_one()
        new = s.execute(select(Card).where(Card.application_id == app.id)).scalar_one()
    assert old.state == "invalidated" and old.invalidated_at is not None
    assert new.state == "issued" and new.permit_number == prow["permit_number"] and new.permit_status == "valid"
    assert new.ssn == crow["ssn"]
    assert not views.my_overview(db, actor=holder).eligibility.eligible  # the new card carries the permit


def test_reconcile_finds_injected_drift_and_repairs_it_through_the_handler(db, tmp_path):
    from tests.card_factories import collected_card

    permit, _clerk, app = collected_card(db)
    with db.uow(write=False) as s:
        assert reconcile(db).drift == []
    with db.uow() as s:
        card = s.execute(select(Card).where(Card.application_id == app.id)).scalar_one()
        card.position, card.permit_status, card.permit_version = "Wrong job", "cancelled", 99
        s.commit()
    found = reconcile(db)
    assert {d.field for d in found.drift} == {"position", "permit_status", "permit_version"}
    assert found.permits_with_drift == [permit.permit_number] and found.repaired_cards == 0
    repaired = reconcile(db, repair=True)
    assert repaired.repaired_cards == 1
    assert reconcile(db).drift == []
    with db.uow(write=False) as s:
        card = s.execute(select(Card).where(Card.application_id == app.id)).scalar_one()
        assert (card.position, card.permit_status, card.permit_version) == (permit.position, "valid", permit.version)
        who = s.execute(select(AuditLog.actor_label).where(AuditLog.action == "card.permit_refreshed",
                                                           AuditLog.target_id == str(card.id))).scalars().all()
    assert who and "cards.reconcile" in who[-1]


def test_the_upgrade_at_a_branch_counter_is_refused_for_paper_and_goes_through_once_electronic(db, tmp_path):
    from tests.card_factories import INSTANT_BRANCH, paper_application

    prow, crow, info = _imported_holder(db, tmp_path)
    receipt = photo_for(db, info)
    clerk = bank_clerk(db, INSTANT_BRANCH)
    with pytest.raises(NotEligible):
        paper_application(db, clerk, info, receipt, channel="instant")
    make_electronic(db, prow["permit_number"], HR[0])
    app = paper_application(db, clerk, info, receipt, channel="instant")
    assert app.kind == "upgrade" and app.fee_fen == 0
    app = cards.produce_instant(db, actor=clerk, application_id=app.id, version=app.version)
    cards.hand_over(db, actor=clerk, application_id=app.id, version=app.version, passport_number=info.passport_number)
    with db.uow(write=False) as s:
        old = s.execute(select(Card).where(Card.card_number == crow["card_number"])).scalar_one()
        new = s.execute(select(Card).where(Card.application_id == app.id)).scalar_one()
    assert old.state == "invalidated" and new.permit_number == prow["permit_number"]
