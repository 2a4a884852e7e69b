"""Every password check is throttled per account and per address with growing delays (429 with
Retry-After, audited, never a lock-out for good), and hashed off the event loop and outside any unit
of work, so failed sign-ins cannot freeze the service. On SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from permitcard.auth.domain import Role
from permitcard.bootstrap import import_models
from permitcard.config import get_settings
from permitcard.db import Base, Database, make_engine
from permitcard.main import create_app
from permitcard.shared import clock, i18n, passwords
from permitcard.shared.models import AuditLog
from permitcard.shared.throttle import TooManyAttempts
from tests.conftest import PG_URL, fresh_pg_database, seed_default_city
from tests.factories import PASSWORD, api_login, csrf, make_user

WRONG = "not the password at all"


def _security_actions(db: Database) -> list[str]:
    with db.uow(write=False) as s:
        return list(s.execute(select(AuditLog.action).where(AuditLog.action.like("security.%"))).scalars())


def test_fifty_wrong_passwords_then_the_right_one_waits_then_gets_in(client, db):
    make_user(db, Role.APPLICANT, "victim@example.com")
    answers = [client.post("/api/v1/session", json={"email": "victim@example.com", "password": WRONG})
               for _ in range(50)]
    assert [r.status_code for r in answers[:5]] == [401] * 5
    assert {r.status_code for r in answers[5:]} == {429}
    right = client.post("/api/v1/session", json={"email": "victim@example.com", "password": PASSWORD})
    assert right.status_code == 429 and right.headers["content-type"].startswith("application/problem+json")
    wait = int(right.headers["Retry-After"])
    assert 1 <= wait <= 31 and right.json()["code"] == "too_many_attempts"
    assert "pc_session" not in client.cookies
    # Refused attempts cost nothing and are not counted: the wait did not grow with them.
    with clock.frozen(clock.now() + timedelta(seconds=wait + 1)):
        assert client.post("/api/v1/session", json={"email": "victim@example.com",
                                                     "password": PASSWORD}).status_code == 200
    actions = _security_actions(db)
    assert actions.count("security.sign_in_failed") == 5 and actions.count("security.attempts_throttled") == 46


def test_delays_grow_but_the_real_person_is_never_locked_out_for_good(client, db):
    make_user(db, Role.APPLICANT, "victim@example.com")
    start = clock.now()
    waits = []
    at = start
    for _ in range(12):  # an attacker trying again each time the wait is over
        with clock.frozen(at):
            r = client.post("/api/v1/session", json={"email": "victim@example.com", "password": WRONG})
            if r.status_code == 429:
                waits.append(int(r.headers["Retry-After"]))
                at += timedelta(seconds=waits[-1])
    assert waits == sorted(waits) and waits[0] <= 31 and max(waits) <= 15 * 60 + 1
    with clock.frozen(at + timedelta(minutes=16)):
        assert client.post("/api/v1/session", json={"email": "victim@example.com",
                                                     "password": PASSWORD}).status_code == 200


def test_the_sign_in_page_answers_429_with_a_message_in_the_readers_language(client, db):
    make_user(db, Role.APPLICANT, "victim@example.com")
    token = csrf(client)
    for _ in range(5):
        r = client.post("/login", data={"email": "victim@example.com", "password": WRONG, "csrf_token": token})
        assert r.status_code == 401
    r = client.post("/login", data={"email": "victim@example.com", "password": PASSWORD, "csrf_token": token},
                    headers={"Accept-Language": "zh-CN"}, follow_redirects=False)
    assert r.status_code == 429 and 1 <= int(r.headers["Retry-After"]) <= 31
    with i18n.use_locale("zh_Hans"):
        expected = i18n.translate(TooManyAttempts.title, {"seconds": int(r.headers["Retry-After"])})
    assert expected in r.text and "Too many" not in r.text


def test_one_address_trying_many_accounts_is_held_up_too(client, db):
    for i in range(21):
        make_user(db, Role.APPLICANT, f"p{i}@example.com")
    codes = [client.post("/api/v1/session", json={"email": f"p{i}@example.com", "password": WRONG}).status_code
             for i in range(21)]
    assert codes == [401] * 20 + [429]


def test_changing_the_password_is_throttled_like_a_sign_in(client, db):
    make_user(db, Role.APPLICANT, "me@example.com")
    api_login(client, "me@example.com")
    body = {"current_password": WRONG, "new_password": "a much better passphrase"}
    codes = [client.post("/api/v1/me/password", json=body).status_code for _ in range(6)]
    assert codes[:5] == [422] * 5 and codes[5] == 429


def test_a_password_is_never_checked_on_the_event_loop_nor_inside_a_unit_of_work(db):
    stored = passwords.hash(PASSWORD)
    with db.uow(write=False), pytest.raises(passwords.HashingMisplaced):
        passwords.verify(stored, PASSWORD)

    async def on_the_loop() -> None:
        passwords.serving_request.set(True)  # as the web app's middleware does for each request
        passwords.hash(PASSWORD)

    with pytest.raises(passwords.HashingMisplaced):
        _in_a_thread_of_its_own(on_the_loop())
    assert passwords.verify(stored, PASSWORD) and not passwords.verify(stored, WRONG)
    assert not passwords.verify(None, PASSWORD)  # an unknown account: a dummy hash, the same time


def _in_a_thread_of_its_own(coroutine: Any) -> None:
    """asyncio.run in a thread of its own: the browser tests leave an event loop running in the main
    thread when the whole suite runs in one process."""
    errors: list[BaseException] = []

    def run() -> None:
        try:
            asyncio.run(coroutine)
        except BaseException as exc:  # handed to the test's thread
            errors.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]


@pytest.fixture
def real_db(tmp_path: Path) -> Iterator[Database]:
    """A database of its own whose units of work really commit (requests run in parallel threads)."""
    import_models()
    with fresh_pg_database("permitcard_throttle") if PG_URL else _sqlite(tmp_path) as url:
        eng = make_engine(url)
        Base.metadata.create_all(eng)
        seed_default_city(eng)
        try:
            yield Database(eng)
        finally:
            eng.dispose()


class _sqlite:
    def __init__(self, folder: Path) -> None:
        self.url = f"sqlite:///{folder / 'throttle.db'}"

    def __enter__(self) -> str:
        return self.url

    def __exit__(self, *_: object) -> None:
        return None


def test_healthz_and_other_requests_answer_while_20_wrong_sign_ins_run(real_db):
    make_user(real_db, Role.APPLICANT, "victim@example.com")
    app = create_app(get_settings(), real_db)
    finished: list[str] = []

    async def scenario() -> None:
        transport = httpx.ASGITransport(app=app, client=("10.0.0.1", 1234))
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as c:
            page = await c.get("/login")
            token = page.cookies.get("pc_csrf") or c.cookies.get("pc_csrf")

            async def wrong(i: int) -> None:
                await c.post("/login", data={"email": f"someone{i}@example.com", "password": WRONG,
                                             "csrf_token": token})
                finished.append("sign-in")

            async def health() -> None:
                await asyncio.sleep(0.05)  # while the sign-ins are being hashed
                r = await c.get("/healthz")
                assert r.status_code == 200
                finished.append("healthz")

            await asyncio.gather(*(wrong(i) for i in range(20)), health())

    _in_a_thread_of_its_own(scenario())
    # The health check did not wait for the hashing: it answered before the last sign-in did.
    assert "healthz" in finished and finished.index("healthz") < len(finished) - 1


def test_wrong_passwords_sent_all_at_once_cannot_slip_through_together(real_db):
    from concurrent.futures import ThreadPoolExecutor

    from permitcard.auth.errors import BadCredentials
    from permitcard.auth.service import sessions
    from permitcard.shared.throttle import TooManyAttempts

    make_user(real_db, Role.APPLICANT, "victim@example.com")

    def attempt(password: str) -> str:
        try:
            sessions.sign_in(real_db, email="victim@example.com", password=password, ip="10.0.0.9")
        except BadCredentials:
            return "401"
        except TooManyAttempts:
            return "429"
        return "in"

    with ThreadPoolExecutor(max_workers=10) as pool:
        answers = list(pool.map(attempt, [WRONG] * 19 + [PASSWORD]))
    # Each attempt is counted before its password is checked: only the free ones are checked at all.
    assert answers.count("429") >= 20 - 5 and answers.count("401") + answers.count("in") <= 5
