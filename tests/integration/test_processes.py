"""Several processes on one database: two web servers and three outbox workers, as deployed.

On PostgreSQL the workers claim with FOR UPDATE SKIP LOCKED; on SQLite every writer of every process
takes the one writer lock (``<file>.lock``) before BEGIN IMMEDIATE.

Registrations arrive over HTTP through both servers at once; three `permitcard worker` processes
deliver what they publish. No message may be delivered twice or lost, and of two servers acting on
the same record at the same moment exactly one wins.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from permitcard.bootstrap import import_models
from permitcard.db import Base, Database, make_engine
from permitcard.notifications.models import Notification
from permitcard.shared.models import OutboxDelivery, OutboxMessage
from tests.conftest import PG_URL, fresh_pg_database, seed_default_city
from tests.factories import PASSWORD
from tests.permit_factories import application_data, employer_actor, employer_with_user, file_and_approve

PEOPLE = 24
ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def _processes(env: dict[str, str], tmp: Path) -> Iterator[list[str]]:
    procs: list[subprocess.Popen[bytes]] = []
    urls = []
    try:
        for i in range(2):
            port = _free_port()
            log = (tmp / f"web{i}.log").open("wb")
            procs.append(subprocess.Popen([sys.executable, "-m", "permitcard.cli", "serve", "--port", str(port),
                                           "--outbox-workers", "0"], env=env, stdout=log, stderr=subprocess.STDOUT))
            urls.append(f"http://127.0.0.1:{port}")
        for i in range(3):
            log = (tmp / f"worker{i}.log").open("wb")
            procs.append(subprocess.Popen([sys.executable, "-m", "permitcard.cli", "worker", "--batch", "5"],
                                          env=env, stdout=log, stderr=subprocess.STDOUT))
        for url in urls:
            deadline = time.monotonic() + 180
            while True:
                try:
                    if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                assert time.monotonic() < deadline, f"{url} did not start"
                time.sleep(0.2)
        yield urls
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()


def _signed_in(url: str, email: str) -> httpx.Client:
    client = httpx.Client(base_url=url, timeout=30)
    r = client.post("/api/v1/session", json={"email": email, "password": PASSWORD})
    assert r.status_code == 200, r.text
    client.headers["X-CSRF-Token"] = r.json()["csrf_token"]
    return client


@contextlib.contextmanager
def _database(kind: str, tmp: Path) -> Iterator[str]:
    if kind == "sqlite":
        yield f"sqlite:///{tmp}/procs.db"
        return
    if not PG_URL:
        pytest.skip("needs PostgreSQL")
    with fresh_pg_database("permitcard_procs") as url:
        yield url


@pytest.mark.parametrize("kind", ["postgresql", "sqlite"])
def test_two_servers_and_three_workers_deliver_every_message_once(tmp_path: Path, kind: str) -> None:
    import_models()
    with _database(kind, tmp_path) as url:
        engine = make_engine(url)
        Base.metadata.create_all(engine)
        seed_default_city(engine)
        db = Database(engine)
        email = "hr-procs@example.com"
        employer_id, user_id = employer_with_user(db, email=email)
        permits = [file_and_approve(db, employer_id=employer_id, user_id=user_id, family_name=f"WORKER {chr(65 + i)}")
                   for i in range(PEOPLE)]
        from permitcard.permits import service as permit_service

        contested = permit_service.file_application(db, actor=employer_actor(employer_id, user_id, email),
                                                    data=application_data(family_name="CONTESTED"))
        env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        env.update({"DATABASE_URL": url, "PERMITCARD_VAR_DIR": str(tmp_path), "PYTHONUNBUFFERED": "1"})
        with _processes(env, tmp_path) as urls:
            clients = [_signed_in(u, email) for u in urls]

            def register(i: int) -> int:
                p = permits[i]
                r = clients[i % 2].post("/api/v1/insurance-registrations", json={
                    "notice_number": p.notice_number, "family_name": p.family_name, "given_names": p.given_names,
                    "passport_number": p.passport_number})
                return r.status_code

            def withdraw(i: int) -> int:
                return clients[i].post(f"/api/v1/permit-applications/{contested.id}/withdraw",
                                       params={"version": contested.version},
                                       json={"version": contested.version}).status_code

            with ThreadPoolExecutor(max_workers=8) as pool:
                races = [pool.submit(withdraw, i) for i in (0, 1)]
                statuses = list(pool.map(register, range(PEOPLE)))
                race = sorted(f.result() for f in races)
            assert statuses == [201] * PEOPLE
            assert race[1] == 409 and race[0] == 200, race  # exactly one server won; nothing was lost

            deadline = time.monotonic() + 90
            while True:
                with db.uow(write=False) as s:
                    waiting = s.scalar(select(func.count()).select_from(OutboxMessage)
                                       .where(OutboxMessage.processed_at.is_(None)))
                if waiting == 0:
                    break
                assert time.monotonic() < deadline, f"{waiting} messages still waiting"
                time.sleep(0.3)
        with db.uow(write=False) as s:
            messages = list(s.execute(select(OutboxMessage)).scalars())
            failures = s.scalar(select(func.count()).select_from(OutboxDelivery))
            mails = list(s.execute(select(Notification).where(Notification.recipient == email)).scalars())
        engine.dispose()
    # Each registration published its SSN event, its decision and a mail: every one claimed once.
    assert len(messages) >= 3 * PEOPLE
    assert all(m.attempts == 1 and m.last_error == "" for m in messages), [
        (m.topic, m.attempts, m.last_error) for m in messages if m.attempts != 1 or m.last_error]
    assert failures == 0
    registered = [m for m in mails if m.template == "insurance_registered"]
    assert len(registered) == PEOPLE and all(m.sent_at is not None for m in registered)
    drop = list((tmp_path / "mail").glob("*.eml"))
    assert len([f for f in drop if "insurance" in f.read_text(errors="replace").lower()]) >= PEOPLE
