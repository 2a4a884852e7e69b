"""Sessions are purged when they expire (the worker's job, and the account's own at each sign-in) and
each account holds at most ``session_max_per_user`` at once, the oldest ending first. Both databases."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from permitcard import worker
from permitcard.auth.domain import Role
from permitcard.auth.models import UserSession
from permitcard.config import get_settings
from permitcard.shared import clock
from tests.factories import api_login, make_user


def _sessions(db, user_id: int | None = None) -> int:
    with db.uow(write=False) as s:
        q = select(func.count()).select_from(UserSession)
        if user_id is not None:
            q = q.where(UserSession.user_id == user_id)
        return int(s.execute(q).scalar_one())


def test_an_account_holds_at_most_the_cap_and_the_oldest_session_ends(app, db):
    user_id = make_user(db, Role.APPLICANT, "me@example.com")
    cap = get_settings().session_max_per_user
    start = clock.now()
    clients = []
    for i in range(cap + 2):
        with clock.frozen(start + timedelta(seconds=i)):
            c = TestClient(app, base_url="http://127.0.0.1")
            api_login(c, "me@example.com")
            clients.append(c)
    assert _sessions(db, user_id) == cap
    with clock.frozen(start + timedelta(seconds=cap + 3)):
        assert [c.get("/api/v1/me").status_code for c in clients] == [401, 401] + [200] * cap


def test_expired_sessions_are_purged_by_the_worker_and_at_sign_in(client, db):
    a = make_user(db, Role.APPLICANT, "a@example.com")
    b = make_user(db, Role.APPLICANT, "b@example.com")
    start = clock.now()
    with clock.frozen(start):
        api_login(client, "a@example.com")
        api_login(client, "a@example.com")
        api_login(client, "b@example.com")
    assert _sessions(db, a) == 2 and _sessions(db, b) == 1
    later = start + timedelta(hours=get_settings().session_absolute_hours, minutes=1)
    with clock.frozen(later):
        api_login(client, "a@example.com")  # a's sign-in clears a's expired sessions
        assert _sessions(db, a) == 1 and _sessions(db, b) == 1
        assert worker.JOBS["auth.purge_sessions"].run(db) == 1  # the worker clears b's
        assert _sessions(db, b) == 0 and _sessions(db, a) == 1


def test_idle_sessions_are_purged_too(client, db):
    make_user(db, Role.APPLICANT, "me@example.com")
    start = clock.now()
    with clock.frozen(start):
        api_login(client, "me@example.com")
    with clock.frozen(start + timedelta(minutes=get_settings().session_idle_minutes + 1)):
        assert worker.JOBS["auth.purge_sessions"].run(db) == 1
    assert _sessions(db) == 0
