"""Building blocks for tests: real rows made through the real services."""

from __future__ import annotations

import time
import weakref
from datetime import date
from typing import Any

import pyotp
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from permitcard.auth import repository as auth_repo
from permitcard.auth.domain import TOTP_INTERVAL, Role, second_factor_required
from permitcard.auth.models import User
from permitcard.auth.service import create_employer, create_user, second_factor
from permitcard.db import Database
from permitcard.photos import studios
from permitcard.photos.models import PhotoStudio
from permitcard.shared import clock
from permitcard.shared.audit import Actor

SYSTEM = Actor.system("test")
ADMIN = Actor(user_id=None, role="admin", label="admin@test")
PASSWORD = "correct horse battery"
# Staff made here sign in with a code from this secret (as seed-demo's accounts do with theirs).
TOTP_SECRET = "TESTTOTPSECRETPERMITCARDABCDEFGH"
_used_steps: weakref.WeakKeyDictionary[object, dict[str, int]] = weakref.WeakKeyDictionary()


def totp_code(email: str, *, secret: str = TOTP_SECRET, scope: object | None = None) -> str:
    """A code the server accepts now and has not seen: each code is good once (RFC 6238 §5.2), so a
    test signing the same person in twice within 30 seconds takes the next time step's code."""
    steps = _used_steps.setdefault(scope, {}) if scope is not None else {}
    now = int(time.time() // TOTP_INTERVAL)
    # The previous step's code is still accepted, but not if the step turns before the server checks.
    late = time.time() % TOTP_INTERVAL > TOTP_INTERVAL - 5
    step = max(steps.get(email, 0) + 1, now if late else now - 1)
    while step > now + 1:
        time.sleep(TOTP_INTERVAL - time.time() % TOTP_INTERVAL + 0.05)
        now = int(time.time() // TOTP_INTERVAL)
    steps[email] = step
    return pyotp.TOTP(secret, interval=TOTP_INTERVAL).generate_otp(step)


def make_employer(db: Database, *, uscc: str = "91441900MA51ABCD10", name: str = "Test Employer Co.") -> int:
    with db.uow() as s:
        e = create_employer(s, uscc=uscc, name_en=name, name_zh="测试公司", address="Dongguan", actor=SYSTEM)
        s.commit()
        return e.id


def make_photo_studio(db: Database, *, name: str = "Test Photo Studio", start: date = date(2020, 1, 1),
                      end: date = date(2099, 12, 31)) -> int:
    """An accredited photo studio, as an administrator enters it."""
    values = {"name": name, "address": "1 Test Road, Dongguan"}
    for prefix, day in (("accredited_from", start), ("accredited_to", end)):
        values.update({f"{prefix}-day": str(day.day), f"{prefix}-month": str(day.month),
                       f"{prefix}-year": str(day.year)})
    return studios.save_studio(db, actor=ADMIN, values=values).id


def create_account(s: Session, **kw: Any) -> User:
    """``create_user`` inside the caller's unit of work; staff get their second factor set up with
    ``TOTP_SECRET`` and a studio account an accredited studio, as the real onboarding leaves them."""
    if kw.get("role") == Role.PHOTO_STUDIO and kw.get("studio_id") is None:
        kw["studio_id"] = _studio_in(s)
    u = create_user(s, **kw)
    if second_factor_required(u.role):
        second_factor.enrol_with_secret(s, user=u, secret=TOTP_SECRET, actor=SYSTEM)
    return u


def _studio_in(s: Session) -> int:
    studio = PhotoStudio(name="Test Photo Studio", address="1 Test Road, Dongguan",
                         accredited_from_date=date(2020, 1, 1), accredited_to_date=date(2099, 12, 31), version=1,
                         created_at=clock.now())
    s.add(studio)
    s.flush()
    return studio.id


def make_user(db: Database, role: Role, email: str, *, employer_id: int | None = None,
              branch_id: int | None = None, studio_id: int | None = None, enrol: bool = True) -> int:
    """An account; staff have their second factor set up with ``TOTP_SECRET`` (unless ``enrol=False``)."""
    if role == Role.PHOTO_STUDIO and studio_id is None:
        studio_id = make_photo_studio(db)
    with db.uow() as s:
        u = create_user(s, email=email, password=PASSWORD, role=role, display_name=email.split("@")[0],
                        actor=SYSTEM, employer_id=employer_id, branch_id=branch_id, studio_id=studio_id)
        if enrol and second_factor_required(role):
            second_factor.enrol_with_secret(s, user=u, secret=TOTP_SECRET, actor=SYSTEM)
        s.commit()
        return u.id


def _has_factor(client: TestClient, email: str) -> bool:
    db: Database = client.app.state.db  # type: ignore[attr-defined]
    with db.uow(write=False) as s:
        user = auth_repo.user_by_email(s, email)
        return user is not None and user.totp_confirmed_at is not None


def api_login(client: TestClient, email: str, password: str = PASSWORD) -> str:
    """Sign in through the API; returns the CSRF token and keeps the session cookie on the client."""
    body = {"email": email, "password": password}
    if _has_factor(client, email):
        body["totp_code"] = totp_code(email, scope=client.app.state.db)  # type: ignore[attr-defined]
    r = client.post("/api/v1/session", json=body)
    assert r.status_code == 200, r.text
    token = r.json()["csrf_token"]
    client.headers["X-CSRF-Token"] = token
    return str(token)


def page_login(client: TestClient, email: str, password: str = PASSWORD) -> None:
    """Sign in through the login form, as a browser would."""
    client.get("/login")
    r = client.post("/login", data={"email": email, "password": password,
                                    "csrf_token": client.cookies.get("pc_csrf")}, follow_redirects=False)
    assert r.status_code == 303, r.text
    if r.headers["location"].startswith("/login/code"):
        r = client.post("/login/code", data={"code": totp_code(email, scope=client.app.state.db),  # type: ignore[attr-defined]
                                             "csrf_token": client.cookies.get("pc_csrf")}, follow_redirects=False)
        assert r.status_code == 303, r.text


def csrf(client: TestClient) -> str:
    if not client.cookies.get("pc_csrf"):
        client.get("/")
    return str(client.cookies.get("pc_csrf"))


def opened(payload: dict[str, Any]) -> dict[str, Any]:
    """A ``notification.send`` payload as the worker reads it: its address and parameters unsealed (the
    outbox keeps them encrypted). Any other payload as it is."""
    if "sealed" not in payload:
        return payload
    from permitcard.notifications.events import NotificationRequested

    e = NotificationRequested.from_payload(payload)
    return {"to": e.to, "template": e.template, "locale": e.locale, "dedupe_key": e.dedupe_key, "params": e.params}


def sign_up_link(db: Database, email: str, template: str = "signup_confirm") -> str:
    """The link of the newest sign-up message to ``email`` (read from the outbox, before delivery)."""
    from sqlalchemy import select

    from permitcard.shared.models import OutboxMessage

    with db.uow(write=False) as s:
        for payload in s.execute(select(OutboxMessage.payload).where(OutboxMessage.topic == "notification.send")
                                 .order_by(OutboxMessage.id.desc())).scalars():
            payload = opened(payload)
            if payload.get("to") == email and payload.get("template") == template:
                return str(payload["params"].get("url") or payload["params"].get("login_url"))
    raise AssertionError(f"no {template} message to {email}")


def register_employer(db: Database, data: dict[str, str], email: str, password: str = PASSWORD) -> Any:
    """An employer registers as a person would (through the service): asks, then opens the e-mailed link.
    Returns (session token, user, employer view)."""
    from permitcard.auth.service import registration

    registration.request_registration(db, data=data, email=email, password=password)
    token = sign_up_link(db, email, "employer_register_confirm").rsplit("/", 1)[1]
    return registration.confirm_registration(db, token=token)


def api_sign_up(client: TestClient, email: str, password: str = PASSWORD, display_name: str = "") -> str:
    """An applicant signs up through the API as a person would: asks, opens the e-mailed link, confirms.
    Keeps the session cookie and the CSRF header on the client; returns the CSRF token."""
    r = client.post("/api/v1/accounts", json={"email": email, "password": password,
                                              "display_name": display_name or email.split("@")[0]})
    assert r.status_code == 202, r.text
    token = sign_up_link(client.app.state.db, email).rsplit("/", 1)[1]  # type: ignore[attr-defined]
    r = client.post("/api/v1/accounts/confirm", json={"token": token})
    assert r.status_code == 201, r.text
    client.headers["X-CSRF-Token"] = r.json()["csrf_token"]
    return str(r.json()["csrf_token"])
