"""Keyset pages (every row exactly once, even with equal sort keys) and name search by index, on the
database under test (SQLite FTS5 trigram / PostgreSQL pg_trgm)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, update

from permitcard.cards import repository as cards_repo
from permitcard.cards.models import CardApplication
from permitcard.cards.repository import QueueFilter
from permitcard.db import Database
from permitcard.insurance import repository as repo
from permitcard.insurance import views as insurance_views
from permitcard.insurance.models import InsuranceRegistration
from permitcard.insurance.repository import RegistrationFilter
from permitcard.shared import pagination, search
from permitcard.shared.audit import Actor

AT = datetime(2026, 11, 2, 3, 4, 5, tzinfo=UTC)
AGENCY = Actor(user_id=None, role="agency_clerk", label="test")
NAMES = [("Okonkwo", "Chinedu"), ("Okafor", "Amaka"), ("Smith", "John Paul"), ("Garcia Lopez", "Maria"),
         ("Kim", "Minjun"), ("Kim", "Seoyeon"), ("Nguyen", "Lan"), ("Ivanova", "Olga")]


def _registrations(db: Database, count: int, *, same_time: bool) -> list[int]:
    with db.uow() as s:
        rows = [InsuranceRegistration(
            reference=f"SI-KS{n:06d}", permit_number=f"WPKS{n:08d}", family_name=NAMES[n % len(NAMES)][0],
            given_names=NAMES[n % len(NAMES)][1], channel="agency", credential="notice",
            state="submitted" if n % 3 else "registered",
            created_at=AT if same_time else AT + timedelta(minutes=n % 4)) for n in range(count)]
        s.add_all(rows)
        s.commit()
        return [r.id for r in rows]


def _walk(db: Database, f: RegistrationFilter, *, per_page: int) -> tuple[list[int], list[list[int]]]:
    """Follow next cursors from page 1 to the end, then previous cursors back to page 1."""
    pages: list[list[int]] = []
    after = before = None
    with db.uow(write=False) as s:
        while True:
            found = repo.list_registrations(s, f, limit=per_page, after=after)
            pages.append([r.id for r in found.items])
            if found.next_after is None:
                break
            after, before = found.next_after, found.prev_before
            assert len(pages) < 100
        back = [[r.id for r in found.items]]
        before = found.prev_before
        while before is not None:
            found = repo.list_registrations(s, f, limit=per_page, before=before)
            back.append([r.id for r in found.items])
            before = found.prev_before
    return [i for page in pages for i in page], back[::-1]


@pytest.mark.parametrize("sort", ["newest", "oldest", "name", "state"])
@pytest.mark.parametrize("same_time", [True, False])
def test_keyset_pages_give_every_row_exactly_once(db: Database, sort: str, same_time: bool) -> None:
    ids = _registrations(db, 23, same_time=same_time)
    f = RegistrationFilter(q="", sort=sort)
    seen, back = _walk(db, f, per_page=5)
    assert sorted(seen) == sorted(ids) and len(seen) == len(set(seen))
    forward = [seen[i:i + 5] for i in range(0, len(seen), 5)]
    assert back == forward  # previous pages are the same pages, in the same order
    with db.uow(write=False) as s:  # the same order as OFFSET pages
        offset = [r.id for k in range(5) for r in repo.list_registrations(s, f, offset=5 * k, limit=5).items]
    assert offset == seen


@pytest.mark.parametrize("sort", ["newest", "oldest", "name", "state"])
@pytest.mark.parametrize("same_time", [True, False])
def test_search_pages_follow_the_order_of_the_list(db: Database, sort: str, same_time: bool) -> None:
    # A search's pages are sorted from the values the search read (search.page_of), not by the database:
    # the same rows in the same order as the whole list, forward, back and by page number.
    ids = _registrations(db, 23, same_time=same_time)
    listed, _ = _walk(db, RegistrationFilter(q="", sort=sort), per_page=5)
    f = RegistrationFilter(q="a", sort=sort)  # Okafor, Garcia Lopez, Ivanova, Nguyen Lan, Kim Minjun …
    seen, back = _walk(db, f, per_page=4)
    with db.uow(write=False) as s:
        matching = {r.id for r in repo.all_registrations(s, f)}
        offset = [r.id for k in range(6) for r in repo.list_registrations(s, f, offset=4 * k, limit=4).items]
    assert 4 < len(matching) < len(ids)
    assert seen == [i for i in listed if i in matching] == offset
    assert back == [seen[i:i + 4] for i in range(0, len(seen), 4)]


def test_a_cursor_that_is_not_one_is_page_one(db: Database) -> None:
    _registrations(db, 3, same_time=True)
    with db.uow(write=False) as s:
        first = repo.list_registrations(s, RegistrationFilter(), limit=2)
        for bad in ("x", "e30", "W1sidiIsMV1d", "A" * 600):
            assert [r.id for r in repo.list_registrations(s, RegistrationFilter(), limit=2, after=bad).items] == \
                [r.id for r in first.items]


def test_counts_stop_at_the_cap(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    _registrations(db, 12, same_time=False)
    monkeypatch.setattr(pagination, "COUNT_CAP", 5)
    with db.uow(write=False) as s:
        assert repo.count_registrations(s, RegistrationFilter()) == 6  # "more than 5"
        assert repo.count_by_state(s, RegistrationFilter()) == {"submitted": 6, "registered": 4}
    assert pagination.shown_count(6) == "5+"


def test_a_count_above_the_cap_is_not_read_again_for_a_while(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    _registrations(db, 12, same_time=False)
    monkeypatch.setattr(pagination, "COUNT_CAP", 5)
    pagination.forget_counts()
    statements: list[str] = []

    def seen(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        with db.uow(write=False) as s:
            assert repo.count_registrations(s, RegistrationFilter()) == 6
            read = len(statements)
            assert repo.count_registrations(s, RegistrationFilter()) == 6  # "5+" again, from memory
            assert len(statements) == read
            assert repo.count_by_state(s, RegistrationFilter())["registered"] == 4  # below the cap: read, exact
            assert len(statements) > read
            pagination.forget_counts()
            assert repo.count_registrations(s, RegistrationFilter()) == 6
            assert len(statements) > read + 1
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
        pagination.forget_counts()


def test_a_search_page_looks_the_name_up_once(db: Database) -> None:
    _registrations(db, 24, same_time=False)  # 6 Kims: 4 submitted, 2 registered
    searched: list[str] = []

    def seen(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        if "MATCH" in statement or "LIKE" in statement:
            searched.append(statement)

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        page = insurance_views.list_registrations(db, actor=AGENCY, q="kim", state="submitted")
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    assert page.counts == {"submitted": 4, "registered": 2} and page.total == 4 and len(page.items) == 4
    assert not page.search_capped
    assert len(searched) == 1  # the rows, the total and the counts per state read the ids it found


def test_a_search_past_the_cap_lists_the_most_recent_matches(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    ids = _registrations(db, 24, same_time=False)
    kims = [i for n, i in enumerate(ids) if NAMES[n % len(NAMES)][0] == "Kim"]
    monkeypatch.setattr(search, "SEARCH_CAP", 4)
    page = insurance_views.list_registrations(db, actor=AGENCY, q="kim", sort="oldest")
    assert page.search_capped
    assert sorted(r.id for r in page.items) == sorted(kims)[-4:]  # the 4 newest Kims, in the order asked for
    assert sum(page.counts.values()) == page.total == 4
    monkeypatch.setattr(search, "SEARCH_CAP", 6)
    page = insurance_views.list_registrations(db, actor=AGENCY, q="kim")
    assert not page.search_capped and page.total == 6  # exactly the cap: every match, nothing said


@pytest.mark.parametrize(("q", "expected"), [
    ("konk", {"Okonkwo"}), ("OKAF", {"Okafor"}), ("chinedu okonkwo", {"Okonkwo"}), ("amaka okafor", {"Okafor"}),
    ("ok", {"Okonkwo", "Okafor"}), ("paul smi", {"Smith"}), ("lopez", {"Garcia Lopez"}), ("kim", {"Kim"}),
    ("minjun", {"Kim"}), ("vanov", {"Ivanova"}), ("zzz", set()), ("50%", set()), ('"', set()),
])
def test_name_search_finds_by_part_of_a_name(db: Database, q: str, expected: set[str]) -> None:
    _registrations(db, len(NAMES), same_time=True)
    with db.uow(write=False) as s:
        found = repo.list_registrations(s, RegistrationFilter(q=q), limit=50).items
    assert {r.family_name for r in found if r.permit_number.startswith("WPKS")} == expected


def test_the_name_index_follows_changes(db: Database) -> None:
    ids = _registrations(db, 2, same_time=True)
    with db.uow() as s:
        s.execute(update(InsuranceRegistration).where(InsuranceRegistration.id == ids[0])
                  .values(family_name="Adeyemi"))
        s.commit()
    with db.uow(write=False) as s:
        assert [r.id for r in repo.list_registrations(s, RegistrationFilter(q="adeyemi")).items] == [ids[0]]
        assert repo.list_registrations(s, RegistrationFilter(q="okonkwo")).items == []


def test_card_queue_name_search_and_cursor(db: Database) -> None:
    with db.uow() as s:
        s.add_all([CardApplication(
            reference=f"SSC-KS{n:06d}", permit_number=f"WPKS{n:08d}", family_name=NAMES[n % 2][0],
            given_names=NAMES[n % 2][1], kind="first", channel="standard", submitted_via="online", branch_id=1,
            photo_id=1, state="submitted", created_at=AT, updated_at=AT) for n in range(7)])
        s.commit()
    with db.uow(write=False) as s:
        found, total = cards_repo.queue(s, QueueFilter(q="okonk"), sort="-created", offset=0, limit=3)
        assert total == 4 and len(found.items) == 3 and found.next_after
        rest, _ = cards_repo.queue(s, QueueFilter(q="okonk"), sort="-created", offset=0, limit=3,
                                   after=found.next_after)
        assert {a.id for a in found.items}.isdisjoint({a.id for a in rest.items}) and len(rest.items) == 1
        assert rest.next_after is None and rest.prev_before is not None
