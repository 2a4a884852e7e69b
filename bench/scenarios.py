"""Scenarios of the first journey. Each returns (ours, raw baseline) doing the same work.

The data is made through the real services (an employer files, an officer approves), once.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from sqlalchemy import text

from permitcard.auth import repository as auth_repo
from permitcard.db import Database
from permitcard.permits import service as permits
from permitcard.permits import views as permit_views
from permitcard.shared import clock
from permitcard.shared.audit import Actor
from permitcard.shared.crypto import blind_index, encrypt
from permitcard.shared.registry import PermitInfo, registry_for

N_PERMITS = 300
_state: dict[str, Any] = {}


def _data(i: int) -> dict[str, Any]:
    start = clock.today() + timedelta(days=10)
    return {
        "family_name": f"BENCH{i:05d}", "given_names": "ALEX", "nationality": "DE",
        "birth_date": date(1970, 1, 1) + timedelta(days=i % 5000), "sex": "M" if i % 2 else "F",
        "passport_number": "C" + uuid.uuid4().hex[:8].upper(),
        "passport_expiry_date": start + timedelta(days=365 * 6), "position": "Engineer", "category": "B",
        "contract_start_date": start, "contract_end_date": start + timedelta(days=365 * 3),
        "requested_end_date": start + timedelta(days=700),
    }


def _setup(db: Database) -> tuple[Actor, list[PermitInfo]]:
    if "permits" in _state:
        return _state["employer"], _state["permits"]
    with db.uow(write=False) as s:
        hr = auth_repo.user_by_email(s, "hr@example.com")
        assert hr is not None
    employer = Actor(user_id=hr.id, role="employer", label=hr.email, employer_id=hr.employer_id)
    officer = Actor(user_id=None, role="permit_officer", label="bench-officer")
    infos = []
    for i in range(N_PERMITS):
        app = permits.file_application(db, actor=employer, data=_data(i))
        done = permits.decide(db, actor=officer, application_id=app.id, version=app.version, action="approve")
        with db.uow(write=False) as s:
            info = registry_for(s).get(done.permit_number or "")
        assert info is not None
        infos.append(info)
    _state.update(employer=employer, permits=infos)
    return employer, infos


def bench_registry_verify(db: Database) -> tuple[Any, Any]:
    from bench.inprocess import measure

    _employer, infos = _setup(db)
    rng = random.Random(7)
    picks = [rng.choice(infos) for _ in range(3000)]

    def ours(i: int) -> None:
        p = picks[i % len(picks)]
        with db.uow(write=False) as s:
            registry_for(s).verify(permit_number=p.permit_number, family_name=p.family_name,
                                   given_names=p.given_names, passport_number=p.passport_number)

    def raw(i: int) -> None:
        p = picks[i % len(picks)]
        with db.engine.connect() as c:
            c.execute(text(
                "SELECT pp.id, pp.family_name, pp.passport_hash, p.status, p.valid_to_date, e.uscc "
                "FROM permit_person pp JOIN permit p ON p.person_id = pp.id "
                "JOIN auth_employer e ON e.id = p.employer_id "
                "WHERE pp.permit_number = :n AND pp.passport_hash = :h ORDER BY p.id DESC LIMIT 1"),
                {"n": p.permit_number, "h": blind_index(p.passport_number)}).one()

    return (measure(f"registry verify of {N_PERMITS} permits (name, passport; decrypts)", ours, 2000),
            measure("raw SQL: person join permit join employer by number and passport hash", raw, 2000))


def bench_file_application(db: Database) -> tuple[Any, Any]:
    from bench.inprocess import measure

    employer, _infos = _setup(db)
    ours = measure("file a permit application (validate, encrypt, audit chain, commit)",
                   lambda i: permits.file_application(db, actor=employer, data=_data(10_000 + i)), 300, warmup=5)

    def raw(i: int) -> None:
        d = _data(20_000 + i)
        with db.engine.begin() as c:
            c.execute(text(
                "INSERT INTO permit_application (reference, kind, employer_id, family_name, given_names, "
                "nationality, birth_date, sex, passport_number, passport_hash, passport_expiry_date, position, "
                "category, contract_start_date, contract_end_date, requested_end_date, state, version, "
                "officer_note, created_by_user_id, submitted_at, created_at, locale) VALUES (:r, 'new', :e, :f, "
                ":g, 'DE', :b, :s, :p, :h, :x, 'Engineer', 'B', :cs, :ce, :re, 'submitted', 1, '', :u, "
                "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 'en')"),
                {"r": "BENCH-" + uuid.uuid4().hex[:10], "e": employer.employer_id, "f": d["family_name"],
                 "g": d["given_names"], "b": d["birth_date"], "s": d["sex"], "p": encrypt(d["passport_number"]),
                 "h": blind_index(d["passport_number"]), "x": d["passport_expiry_date"],
                 "cs": d["contract_start_date"], "ce": d["contract_end_date"], "re": d["requested_end_date"],
                 "u": employer.user_id})

    label = "raw SQL: one INSERT of the same row (passport encrypted), no validation, no audit"
    return ours, measure(label, raw, 300, warmup=5)


def bench_officer_queue(db: Database) -> tuple[Any, Any]:
    from bench.inprocess import measure

    _setup(db)
    officer = Actor(user_id=None, role="permit_officer", label="bench-officer")
    ours = measure("officer queue page: 25 of all applications, counts by state",
                   lambda i: permit_views.list_applications(db, actor=officer, page=1 + i % 5), 500)

    def raw(i: int) -> None:
        with db.engine.connect() as c:
            c.execute(text("SELECT * FROM permit_application ORDER BY submitted_at DESC, id DESC "
                           "LIMIT 25 OFFSET :o"), {"o": 25 * (i % 5)}).all()
            c.execute(text("SELECT count(*) FROM permit_application")).one()
            c.execute(text("SELECT state, count(*) FROM permit_application GROUP BY state")).all()

    return ours, measure("raw SQL: page + count + counts by state", raw, 500)


ALL: list[Callable[[Database], tuple[Any, Any]]] = [bench_registry_verify, bench_file_application,
                                                     bench_officer_queue]
