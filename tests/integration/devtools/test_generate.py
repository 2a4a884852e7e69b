"""``permitcard generate``: valid numbers everywhere, data the application reads as its own."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import date

import pytest
from sqlalchemy import Engine, func, select, text

from permitcard.auth.models import Employer
from permitcard.bootstrap import import_models
from permitcard.cards.domain import card_number_valid
from permitcard.cards.models import Card, CardApplication, CardSequence
from permitcard.db import Base, Database, make_engine
from permitcard.devtools.generate import generate
from permitcard.insurance import domain as insurance
from permitcard.insurance import repository as insurance_repo
from permitcard.insurance.models import InsurancePerson, InsuranceRegistration, InsuranceSsnSequence
from permitcard.permits.domain import is_valid_permit_number
from permitcard.permits.models import Permit, PermitApplication, PermitPerson
from permitcard.permits.registry import BuiltinRegistry
from permitcard.shared import ids
from permitcard.shared.crypto import blind_index
from tests.conftest import PG_URL, fresh_pg_database

TODAY = date(2026, 11, 28)


@contextlib.contextmanager
def _empty_database(tmp_path, name: str) -> Iterator[Engine]:  # type: ignore[no-untyped-def]
    import_models()
    with contextlib.ExitStack() as stack:
        url = stack.enter_context(fresh_pg_database("permitcard_gen")) if PG_URL else f"sqlite:///{tmp_path / name}"
        engine = make_engine(url)
        stack.callback(engine.dispose)
        Base.metadata.create_all(engine)
        yield engine


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    with _empty_database(tmp_path_factory.mktemp("gen"), "gen.db") as engine:
        summary = generate(engine, people=1500, seed=7, today=TODAY)
        assert summary.rows["permit_person"] == 1500
        yield Database(engine)


def test_every_number_has_a_valid_check_character(generated: Database) -> None:
    with generated.uow(write=False) as s:
        usccs = s.execute(select(Employer.uscc)).scalars().all()
        assert usccs and all(ids.is_valid_uscc(u) for u in usccs)
        numbers = s.execute(select(PermitPerson.permit_number)).scalars().all()
        assert len(set(numbers)) == 1500 and all(is_valid_permit_number(n) for n in numbers)
        for p in s.execute(select(InsurancePerson)).scalars():
            parts = insurance.parse_ssn(p.ssn)  # decrypted by the Encrypted column type
            assert parts is not None, p.ssn
            assert parts.sex == p.sex and parts.birth_date == p.birth_date
            assert parts.nationality_numeric == insurance.nationality_numeric(p.nationality)
            assert p.ssn_hash == blind_index(p.ssn)
        cards = s.execute(select(Card)).scalars().all()
        assert cards and all(card_number_valid(c.card_number) for c in cards)
        assert all(ids.luhn_valid(c.bank_account) and c.bank_account[-4:] == c.bank_account_last4 for c in cards)


def test_every_state_occurs(generated: Database) -> None:
    with generated.uow(write=False) as s:
        def states(column):  # type: ignore[no-untyped-def]
            return set(s.execute(select(column).distinct()).scalars())

        assert states(Permit.status) == {"valid", "expired", "cancelled"}
        assert {"submitted", "returned", "approved", "rejected"} <= states(PermitApplication.state)
        assert {"registered", "submitted"} <= states(InsuranceRegistration.state)
        assert states(CardApplication.state) >= {"submitted", "approved", "in_production", "collected", "rejected"}
        assert states(Card.state) >= {"produced", "issued", "active", "invalidated"}
        assert len(states(PermitPerson.nationality)) > 10


def test_a_generated_worker_is_found_as_the_application_finds_anyone(generated: Database) -> None:
    with generated.uow(write=False) as s:
        insured = s.execute(select(InsurancePerson).order_by(InsurancePerson.id.desc()).limit(1)).scalar_one()
        assert insurance_repo.person_by_ssn(s, insured.ssn) is not None
        info = BuiltinRegistry(s).verify(permit_number=insured.permit_number, family_name=insured.family_name,
                                         given_names=insured.given_names, passport_number=insured.passport_number,
                                         require_valid=False)
        assert info.employer_uscc and ids.is_valid_uscc(info.employer_uscc)
        # The SSN counters go on after the generated numbers: the next number is a new one.
        parts = insurance.parse_ssn(insured.ssn)
        assert parts is not None
        prefix = insured.ssn[:insurance.PREFIX_LENGTH]
        row = s.execute(select(InsuranceSsnSequence).where(InsuranceSsnSequence.prefix == prefix)).scalar_one()
        assert (row.last_odd if parts.sex == "M" else row.last_even) >= parts.sequence
        counter = s.execute(select(CardSequence.value).where(CardSequence.name == "card_number")).scalar_one()
        assert counter == s.execute(select(func.count()).select_from(Card)).scalar_one()


def test_the_same_seed_gives_the_same_people(tmp_path, generated: Database) -> None:  # type: ignore[no-untyped-def]
    if PG_URL:
        pytest.skip("once is enough (SQLite)")
    with _empty_database(tmp_path, "again.db") as engine:
        generate(engine, people=1500, seed=7, today=TODAY)
        again = Database(engine)

        def people(db: Database) -> list[tuple[str, str, str, date]]:
            with db.uow(write=False) as s:
                return [tuple(r) for r in s.execute(select(PermitPerson.permit_number, PermitPerson.family_name,
                                                           PermitPerson.given_names, PermitPerson.birth_date)
                                                    .order_by(PermitPerson.id))]  # type: ignore[misc]

        assert people(again) == people(generated)


def test_on_postgresql_the_tables_are_left_vacuumed(generated: Database) -> None:
    """As autovacuum leaves them after a load: their visibility map set, counts read the index alone."""
    if not PG_URL:
        pytest.skip("PostgreSQL's VACUUM")
    with generated.uow(write=False) as s:
        vacuumed = dict(s.execute(text(
            "SELECT relname, last_vacuum IS NOT NULL FROM pg_stat_user_tables WHERE relname "
            "IN ('card_application', 'insurance_registration', 'permit_application')")).all())
    assert vacuumed == {"card_application": True, "insurance_registration": True, "permit_application": True}


def test_a_large_run_on_sqlite_keeps_its_write_ahead_log_bounded(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from permitcard.devtools import generate as gen

    path = tmp_path / "wal.db"
    engine = make_engine(f"sqlite:///{path}")
    import_models()
    Base.metadata.create_all(engine)
    sizes: list[int] = []
    monkeypatch.setattr(gen, "CHUNK", 200)  # 6 chunks
    monkeypatch.setattr(gen, "WAL_LIMIT", 256 * 1024)
    wal = tmp_path / "wal.db-wal"
    try:
        generate(engine, people=1200, seed=3, today=TODAY,
                 progress=lambda _n: sizes.append(wal.stat().st_size if wal.exists() else 0))
    finally:
        engine.dispose()
    assert len(sizes) == 6
    assert max(sizes) <= 256 * 1024  # after every chunk (each writes more than that)
    db = Database(make_engine(f"sqlite:///{path}"))
    try:
        with db.uow(write=False) as s:
            assert s.execute(select(func.count()).select_from(PermitPerson)).scalar_one() == 1200
    finally:
        db.close()

