"""Building blocks for tests: real rows made through the real services."""

from __future__ import annotations

from fastapi.testclient import TestClient

from permitcard.auth.domain import Role
from permitcard.auth.service import create_employer, create_user
from permitcard.db import Database
from permitcard.shared.audit import Actor

SYSTEM = Actor.system("test")
PASSWORD = "correct horse battery"


def make_employer(db: Database, *, uscc: str = "91441900MA51ABCD10", name: str = "Test Employer Co.") -> int:
    with db.uow() as s:
        e = create_employer(s, uscc=uscc, name_en=name, name_zh="测试公司", address="Dongguan", actor=SYSTEM)
        s.commit()
        return e.id


def make_user(db: Database, role: Role, email: str, *, employer_id: int | None = None,
              branch_id: int | None = None) -> int:
    with db.uow() as s:
        u = create_user(s, email=email, password=PASSWORD, role=role, display_name=email.split("@")[0],
                        actor=SYSTEM, employer_id=employer_id, branch_id=branch_id)
        s.commit()
        return u.id


def api_login(client: TestClient, email: str, password: str = PASSWORD) -> str:
    """Sign in through the API; returns the CSRF token and keeps the session cookie on the client."""
    r = client.post("/api/v1/session", json={"email": email, "password": password})
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


def csrf(client: TestClient) -> str:
    if not client.cookies.get("pc_csrf"):
        client.get("/")
    return str(client.cookies.get("pc_csrf"))
