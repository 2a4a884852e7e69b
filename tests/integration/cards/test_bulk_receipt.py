"""A branch receives a delivery of cards: select several, check the list, confirm them at once."""

from __future__ import annotations

import re

from permitcard.cards import service as cards
from tests.card_factories import agency_clerk, bank_clerk, paper_application, ready_applicant
from tests.factories import csrf, page_login


def _in_production(db, clerk, n):  # type: ignore[no-untyped-def]
    agency = agency_clerk(db)
    apps = []
    for _ in range(n):
        permit, _ssn, receipt, _user = ready_applicant(db)
        app = paper_application(db, clerk, permit, receipt)
        apps.append(cards.decide(db, actor=agency, application_id=app.id, version=app.version, action="approve"))
    assert all(a.state == "in_production" for a in apps)
    return apps


def test_a_clerk_confirms_a_delivery_of_cards_in_one_go(db, client):
    clerk = bank_clerk(db, "CCB-DG-BRANCH")
    first, second, third = _in_production(db, clerk, 3)
    page_login(client, clerk.label)
    queue = client.get("/branch")
    assert queue.text.count('name="application"') == 3

    nothing = client.post("/branch/receipts", data={"csrf_token": csrf(client), "step": "check"})
    assert nothing.status_code == 422 and 'href="#receipts"' in nothing.text and 'id="receipts"' in nothing.text

    picked = [f"{first.id}:{first.version}", f"{second.id}:{second.version}"]
    check = client.post("/branch/receipts", data={"csrf_token": csrf(client), "step": "check", "application": picked})
    assert check.status_code == 200 and first.reference in check.text and third.reference not in check.text

    # Meanwhile someone confirms the second card on its own page: the bulk step reports it, not a 500.
    cards.confirm_receipt(db, actor=clerk, application_id=second.id, version=second.version)
    done = client.post("/branch/receipts", data={"csrf_token": csrf(client), "step": "confirm",
                                                 "application": picked})
    assert done.status_code == 200
    assert re.search(r"1 card is ready for collection", done.text)
    assert first.reference in done.text
    queue = client.get("/branch").text
    assert queue.count('name="application"') == 1 and third.reference in queue


def test_another_branch_cannot_confirm_these_cards(db, client):
    clerk = bank_clerk(db, "CCB-DG-BRANCH")
    [app] = _in_production(db, clerk, 1)
    other = bank_clerk(db, "CCB-DG-SONGSHANHU")
    page_login(client, other.label)
    r = client.post("/branch/receipts", data={"csrf_token": csrf(client), "step": "confirm",
                                              "application": f"{app.id}:{app.version}"})
    assert r.status_code == 422  # not in this branch's queue: nothing selected
    with db.uow(write=False) as s:  # the application is untouched
        from permitcard.cards.models import CardApplication

        assert s.get(CardApplication, app.id).state == "in_production"


def test_ready_cards_of_both_channels_are_listed_longest_waiting_first(db):  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    from sqlalchemy import update

    from permitcard.cards import views
    from permitcard.cards.models import CardApplication

    clerk = bank_clerk(db, "CCB-DG-BRANCH")
    a, b, c = _in_production(db, clerk, 3)
    with db.uow() as s:  # as if produced and received: b (instant) has waited longest, then a, then c
        for app, channel, day in ((a, "standard", 2), (b, "instant", 1), (c, "standard", 3)):
            s.execute(update(CardApplication).where(CardApplication.id == app.id).values(
                state="ready_for_collection", channel=channel, updated_at=datetime(2026, 11, day, tzinfo=UTC)))
        s.commit()
    queue = views.branch_queue(db, actor=clerk)
    assert [x.id for x in queue.ready] == [b.id, a.id, c.id]
    assert queue.counts["ready"] == 3 and queue.counts["to_confirm"] == 0


def test_a_section_heading_counts_up_to_its_cap(db, client, monkeypatch):  # type: ignore[no-untyped-def]
    from permitcard.cards import repository
    from permitcard.shared import pagination

    clerk = bank_clerk(db, "CCB-DG-BRANCH")
    _in_production(db, clerk, 3)
    page_login(client, clerk.label)
    assert "To confirm receipt <span class=\"count\">(3)</span>" in client.get("/branch").text
    monkeypatch.setattr(repository, "SECTION_COUNT_CAP", 2)
    pagination.forget_counts()
    try:
        page = client.get("/branch").text
    finally:
        pagination.forget_counts()
    assert "To confirm receipt <span class=\"count\">(2+)</span>" in page
    assert page.count('name="application"') == 3  # the rows shown do not depend on the count's cap
