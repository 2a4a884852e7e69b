"""A real `permitcard worker` killed (SIGKILL) between the commit of permit changes and their delivery to
the cards: after a restart nothing is lost (every card carries its permit's latest version) and nothing is
doubled (each card refresh written and audited once, each message delivered once). SQLite and PostgreSQL."""

from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select, update

from permitcard.bootstrap import import_models
from permitcard.cards.models import Card
from permitcard.db import Base, Database, make_engine
from permitcard.permits.events import PermitChanged
from permitcard.permits.models import Permit, PermitPerson
from permitcard.shared import outbox
from permitcard.shared.models import AuditLog, OutboxMessage
from tests.conftest import PG_URL, fresh_pg_database, seed_default_city
from tests.permit_factories import employer_with_user, file_and_approve

PEOPLE = 12
CHANGES = 20  # permit versions published per person after the card was made (more than a worker delivers
# in the time before it is killed)


@contextlib.contextmanager
def _database(tmp: Path) -> Iterator[str]:
    if PG_URL:
        with fresh_pg_database("permitcard_kill") as url:
            yield url
    else:
        yield f"sqlite:///{tmp}/kill.db"


def _pending(db: Database) -> int:
    with db.uow(write=False) as s:
        return int(s.scalar(select(func.count()).select_from(OutboxMessage)
                            .where(OutboxMessage.processed_at.is_(None))) or 0)


def _worker(env: dict[str, str], log: Path, *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "permitcard.cli", "worker", *args], env=env,
                            stdout=log.open("ab"), stderr=subprocess.STDOUT)


def _setup(db: Database) -> list[str]:
    employer_id, user_id = employer_with_user(db)
    numbers = []
    for i in range(PEOPLE):
        info = file_and_approve(db, employer_id=employer_id, user_id=user_id, family_name=f"KILL {chr(65 + i)}")
        numbers.append(info.permit_number)
        with db.uow() as s:  # a card carrying version 1 (as production writes it)
            s.add(Card(card_number=f"K{i:07d}0", bank_account="6217000000000000001", bank_account_last4="0001",
                       branch_id=1, ssn=f"SSN{i}", ssn_hash=f"kill-{i}", state="active", version=1,
                       family_name=info.family_name, given_names=info.given_names, permit_number=info.permit_number,
                       permit_category=info.category, position=info.position, permit_valid_from=info.valid_from,
                       permit_valid_to=info.valid_to, permit_status="valid", permit_version=1,
                       employer_name_en=info.employer_name_en, employer_name_zh=info.employer_name_zh,
                       produced_at=datetime.now(UTC)))
            s.commit()
    for v in range(2, CHANGES + 2):  # each change committed with its event; none delivered yet
        with db.uow() as s:
            for number in numbers:
                permit = s.execute(select(Permit).join(PermitPerson, Permit.person_id == PermitPerson.id)
                                   .where(PermitPerson.permit_number == number)).scalar_one()
                s.execute(update(Permit).where(Permit.id == permit.id)
                          .values(version=v, position=f"Position v{v}"))
                outbox.publish(s, PermitChanged(permit_number=number, permit_id=permit.id, version=v,
                                                employer_id=permit.employer_id, change="modified"))
            s.commit()
    return numbers


def test_a_killed_worker_loses_nothing_and_doubles_nothing(tmp_path: Path) -> None:
    import_models()
    with _database(tmp_path) as url:
        engine = make_engine(url)
        Base.metadata.create_all(engine)
        seed_default_city(engine)
        db = Database(engine)
        numbers = _setup(db)
        env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        env.update({"DATABASE_URL": url, "PERMITCARD_VAR_DIR": str(tmp_path), "PYTHONUNBUFFERED": "1"})
        log = tmp_path / "worker.log"
        kills_with_work_waiting = 0
        rng = random.Random(7)
        for _round in range(3):
            before = _pending(db)
            if before == 0:  # an earlier round delivered everything before its kill
                break
            proc = _worker(env, log, "--batch", "4", "--interval", "0.05")
            deadline = time.monotonic() + 120
            while _pending(db) == before and proc.poll() is None:  # it started delivering
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.02)
            time.sleep(rng.uniform(0.0, 0.15))
            proc.send_signal(signal.SIGKILL)  # mid-batch: what it had not committed is rolled back
            proc.wait(timeout=30)
            if _pending(db) > 0:
                kills_with_work_waiting += 1
        assert kills_with_work_waiting >= 1  # killed between the commit of changes and their delivery
        done = _worker(env, log, "--once")
        assert done.wait(timeout=300) == 0, log.read_text()
        with db.uow(write=False) as s:
            assert s.scalar(select(func.count()).select_from(OutboxMessage)
                            .where(OutboxMessage.processed_at.is_(None))) == 0  # nothing lost
            cards = {c.permit_number: c for c in s.execute(select(Card)).scalars()}
            refreshes = list(s.execute(select(AuditLog.target_id, AuditLog.after)
                                       .where(AuditLog.action == "card.permit_refreshed")))
            attempts = list(s.execute(select(OutboxMessage.attempts)
                                      .where(OutboxMessage.topic == PermitChanged.name)).scalars())
        engine.dispose()
    assert set(cards) == set(numbers)
    for number in numbers:  # the latest version everywhere
        card = cards[number]
        assert (card.permit_version, card.position, card.state) == (CHANGES + 1, f"Position v{CHANGES + 1}", "active")
    # Nothing doubled: a card is refreshed at most once per registry version, never backwards.
    seen = [(target, after["permit_version"]) for target, after in refreshes]
    assert len(seen) == len(set(seen)), seen
    assert len(attempts) == PEOPLE * CHANGES
