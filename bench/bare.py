"""The bare endpoints: the same journeys' database work in raw SQL, as the floor permitcard is measured against.

A plain Starlette app served by uvicorn with the same flags as `permitcard serve`. It answers the
same URLs and JSON as the permitcard API for the steps the bench drives, so the same client code
runs against both. Each request does what a lean hand-written service would do, and no more:

- look up the session (cookie → session joined with user) and check the CSRF header;
- read what the step needs (the application, the permit by notice number, the card ...);
- write the rows of the real use case in one transaction: the business rows, ONE audit row and ONE
  outbox row when the step publishes an event (see WRITES below);
- encrypt the passport and keep its blind index where permitcard does (AES-GCM, HMAC-SHA256).

Tables are its own (`bare_*`, made by `create_schema` in a database of its own), so changes to
permitcard's schema never break the floor. Driver: sqlite3 (SQLite WAL, synchronous=NORMAL, one
writer at a time per process as permitcard does) or psycopg 3, through a pool of 10 (+10) connections
as permitcard's engine has. Run: `BARE_DATABASE_URL=... uvicorn bench.bare:app --http httptools --loop uvloop`.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import queue
import secrets
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

# What each step writes (and reads beyond the session), in one transaction. bench/REPORT.md shows it.
WRITES = {
    "file": "INSERT application, INSERT audit",
    "approve": "SELECT application; UPDATE application (version-guarded), INSERT person, INSERT permit, "
               "INSERT decision, INSERT audit, INSERT outbox",
    "register": "SELECT permit+person+employer by notice; SELECT insured person; UPSERT SSN sequence, "
                "INSERT insured person, INSERT registration, INSERT audit, INSERT outbox",
    "apply": "SELECT permit+person; SELECT insured person; SELECT photo; UPDATE photo (used), "
             "INSERT card application, INSERT audit",
    "produce": "SELECT application; UPSERT card sequence, INSERT card, UPDATE application (version-guarded), "
               "INSERT audit, INSERT outbox",
    "hand_over": "SELECT application+card+passport; UPDATE card, UPDATE application (version-guarded), "
                 "INSERT audit, INSERT outbox",
    "read_card": "SELECT card+application",
    "extend": "SELECT permit+person by number; SELECT pending change; SELECT last approved application; "
              "INSERT application (extension), INSERT audit",
    "activate": "SELECT card+passport; UPDATE card (version-guarded), INSERT audit, INSERT outbox",
}

_KEY = hashlib.sha256(b"bench-bare-key").digest()
_AES = AESGCM(_KEY)

SCHEMA = [
    """CREATE TABLE IF NOT EXISTS bare_user (id INTEGER PRIMARY KEY, email VARCHAR(254) NOT NULL UNIQUE,
       role VARCHAR(20) NOT NULL, employer_id INTEGER, branch_id INTEGER, password VARCHAR(100) NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS bare_session (token_hash VARCHAR(64) PRIMARY KEY, user_id INTEGER NOT NULL,
       created_at TIMESTAMP NOT NULL, last_seen_at TIMESTAMP NOT NULL, expires_at TIMESTAMP NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS bare_permit_application (id {serial} PRIMARY KEY, reference VARCHAR(32) NOT NULL
       UNIQUE, employer_id INTEGER NOT NULL, family_name VARCHAR(100) NOT NULL, given_names VARCHAR(100) NOT NULL,
       nationality VARCHAR(2) NOT NULL, birth_date DATE NOT NULL, sex VARCHAR(1) NOT NULL,
       passport_number VARCHAR(200) NOT NULL, passport_hash VARCHAR(64) NOT NULL, passport_expiry_date DATE NOT NULL,
       position VARCHAR(200) NOT NULL, category VARCHAR(1) NOT NULL, contract_start_date DATE NOT NULL,
       contract_end_date DATE NOT NULL, requested_end_date DATE NOT NULL, state VARCHAR(20) NOT NULL,
       version INTEGER NOT NULL, created_by_user_id INTEGER, submitted_at TIMESTAMP NOT NULL,
       decided_at TIMESTAMP, permit_id INTEGER, kind VARCHAR(20) NOT NULL DEFAULT 'new')""",
    "CREATE INDEX IF NOT EXISTS ix_bare_permit_application_permit ON bare_permit_application (permit_id)",
    "CREATE INDEX IF NOT EXISTS ix_bare_permit_application_state ON bare_permit_application (state, submitted_at)",
    """CREATE TABLE IF NOT EXISTS bare_permit_person (id {serial} PRIMARY KEY, permit_number VARCHAR(20) NOT NULL
       UNIQUE, family_name VARCHAR(100) NOT NULL, given_names VARCHAR(100) NOT NULL, nationality VARCHAR(2) NOT NULL,
       birth_date DATE NOT NULL, sex VARCHAR(1) NOT NULL, passport_number VARCHAR(200) NOT NULL,
       passport_hash VARCHAR(64) NOT NULL, created_at TIMESTAMP NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS bare_permit (id {serial} PRIMARY KEY, person_id INTEGER NOT NULL,
       employer_id INTEGER NOT NULL, application_id INTEGER NOT NULL, notice_number VARCHAR(32) NOT NULL UNIQUE,
       category VARCHAR(1) NOT NULL, position VARCHAR(200) NOT NULL, status VARCHAR(20) NOT NULL,
       valid_from_date DATE NOT NULL, valid_to_date DATE NOT NULL, issued_at TIMESTAMP NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS ix_bare_permit_person_id ON bare_permit (person_id)",
    """CREATE TABLE IF NOT EXISTS bare_permit_decision (id {serial} PRIMARY KEY, application_id INTEGER NOT NULL,
       action VARCHAR(20) NOT NULL, note TEXT NOT NULL, decided_by VARCHAR(200) NOT NULL, decided_at TIMESTAMP
       NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS bare_employer (id INTEGER PRIMARY KEY, uscc VARCHAR(18) NOT NULL UNIQUE)""",
    """CREATE TABLE IF NOT EXISTS bare_ssn_sequence (prefix VARCHAR(14) PRIMARY KEY, last INTEGER NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS bare_insurance_person (id {serial} PRIMARY KEY, ssn VARCHAR(18) NOT NULL UNIQUE,
       ssn_hash VARCHAR(64) NOT NULL, permit_number VARCHAR(20) NOT NULL UNIQUE, family_name VARCHAR(100) NOT NULL,
       given_names VARCHAR(100) NOT NULL, passport_hash VARCHAR(64) NOT NULL, created_at TIMESTAMP NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS bare_insurance_registration (id {serial} PRIMARY KEY, reference VARCHAR(32) NOT
       NULL UNIQUE, permit_number VARCHAR(20) NOT NULL, notice_number VARCHAR(32) NOT NULL,
       family_name VARCHAR(100) NOT NULL, given_names VARCHAR(100) NOT NULL, employer_id INTEGER,
       channel VARCHAR(20) NOT NULL, state VARCHAR(20) NOT NULL, version INTEGER NOT NULL, person_id INTEGER,
       created_by_user_id INTEGER, created_at TIMESTAMP NOT NULL, decided_at TIMESTAMP)""",
    "CREATE INDEX IF NOT EXISTS ix_bare_insurance_registration_permit ON bare_insurance_registration (permit_number)",
    """CREATE TABLE IF NOT EXISTS bare_photo (id {serial} PRIMARY KEY, receipt_number VARCHAR(32) NOT NULL UNIQUE,
       family_name VARCHAR(100) NOT NULL, passport_hash VARCHAR(64) NOT NULL, created_at TIMESTAMP NOT NULL,
       used_at TIMESTAMP)""",
    """CREATE TABLE IF NOT EXISTS bare_card_application (id {serial} PRIMARY KEY, reference VARCHAR(32) NOT NULL
       UNIQUE, permit_number VARCHAR(20) NOT NULL, family_name VARCHAR(100) NOT NULL,
       given_names VARCHAR(100) NOT NULL, passport_hash VARCHAR(64) NOT NULL, photo_id INTEGER NOT NULL,
       branch_id INTEGER NOT NULL, channel VARCHAR(20) NOT NULL, state VARCHAR(30) NOT NULL,
       version INTEGER NOT NULL, created_at TIMESTAMP NOT NULL, ready_at TIMESTAMP, collected_at TIMESTAMP)""",
    "CREATE INDEX IF NOT EXISTS ix_bare_card_application_permit ON bare_card_application (permit_number)",
    """CREATE TABLE IF NOT EXISTS bare_card_sequence (bin_prefix VARCHAR(10) PRIMARY KEY, last INTEGER NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS bare_card (id {serial} PRIMARY KEY, application_id INTEGER NOT NULL,
       card_number VARCHAR(19) NOT NULL UNIQUE, bank_account VARCHAR(200) NOT NULL, branch_id INTEGER NOT NULL,
       state VARCHAR(20) NOT NULL, version INTEGER NOT NULL, produced_at TIMESTAMP NOT NULL,
       issued_at TIMESTAMP, activated_at TIMESTAMP)""",
    "CREATE INDEX IF NOT EXISTS ix_bare_card_application ON bare_card (application_id)",
    """CREATE TABLE IF NOT EXISTS bare_audit (id {serial} PRIMARY KEY, at TIMESTAMP NOT NULL, actor_id INTEGER,
       actor_role VARCHAR(20) NOT NULL, action VARCHAR(80) NOT NULL, target_type VARCHAR(40) NOT NULL,
       target_id VARCHAR(40) NOT NULL, before TEXT, after TEXT, hash VARCHAR(64) NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS ix_bare_audit_target ON bare_audit (target_type, target_id)",
    """CREATE TABLE IF NOT EXISTS bare_outbox (id {serial} PRIMARY KEY, name VARCHAR(80) NOT NULL,
       payload TEXT NOT NULL, created_at TIMESTAMP NOT NULL, available_at TIMESTAMP NOT NULL,
       delivered_at TIMESTAMP)""",
    "CREATE INDEX IF NOT EXISTS ix_bare_outbox_due ON bare_outbox (delivered_at, available_at)",
]

USERS = [  # the bench's four roles (bench/journeys.py ROLE_EMAILS), employer 1, branch 1
    (1, "hr@example.com", "employer", 1, None), (2, "officer@example.com", "permit_officer", None, None),
    (3, "clerk.cgb@example.com", "bank_clerk", None, 1), (4, "studio@example.com", "photo_studio", None, None),
]


def _url() -> str:
    return os.environ.get("BARE_DATABASE_URL", "sqlite:///var/bench-bare.db")


def _is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def _connect(url: str) -> Any:
    if _is_sqlite(url):
        import sqlite3

        c = sqlite3.connect(url.split("///", 1)[1], check_same_thread=False, isolation_level=None)
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON", "busy_timeout=10000"):
            c.execute(f"PRAGMA {pragma}")
        return c
    import psycopg

    return psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"))


def create_schema(url: str) -> None:
    """The bare tables and the four users (run once, before the server starts)."""
    c = _connect(url)
    serial = "INTEGER" if _is_sqlite(url) else "SERIAL"
    for ddl in SCHEMA:
        c.execute(ddl.replace("{serial}", serial))
    cur = Cursor(c, _is_sqlite(url))
    for uid, email, role, employer, branch in USERS:
        cur.run("INSERT INTO bare_user (id, email, role, employer_id, branch_id, password) VALUES "
                "(%s, %s, %s, %s, %s, 'x') ON CONFLICT DO NOTHING", (uid, email, role, employer, branch))
    cur.run("INSERT INTO bare_employer (id, uscc) VALUES (1, '91441900MA51ABCD10') ON CONFLICT DO NOTHING")
    c.commit()
    c.close()


class DB:
    """A small pool of connections; `tx()` is one transaction (one writer at a time on SQLite)."""

    def __init__(self, url: str) -> None:
        self.url, self.sqlite = url, _is_sqlite(url)
        self._pool: queue.LifoQueue[Any] = queue.LifoQueue()
        self._slots = threading.BoundedSemaphore(20)
        self._write = threading.Lock() if self.sqlite else contextlib.nullcontext()

    @contextlib.contextmanager
    def tx(self, write: bool = True) -> Iterator[Any]:
        self._slots.acquire()
        try:
            try:
                conn = self._pool.get_nowait()
            except queue.Empty:
                conn = _connect(self.url)
            with self._write if write else contextlib.nullcontext():
                if self.sqlite:
                    conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
                try:
                    yield Cursor(conn, self.sqlite)
                    conn.commit() if not self.sqlite else conn.execute("COMMIT")
                except BaseException:
                    conn.rollback() if not self.sqlite else conn.execute("ROLLBACK")
                    raise
            self._pool.put(conn)
        finally:
            self._slots.release()


class Cursor:
    def __init__(self, conn: Any, sqlite: bool) -> None:
        self.conn, self.sqlite = conn, sqlite

    def run(self, sql: str, params: tuple[Any, ...] = ()) -> Any:
        return self.conn.execute(sql.replace("%s", "?") if self.sqlite else sql, params)

    def one(self, sql: str, params: tuple[Any, ...] = ()) -> Any:
        return self.run(sql, params).fetchone()

    def audit(self, actor: dict[str, Any], action: str, target_type: str, target_id: Any,
              before: dict[str, Any] | None, after: dict[str, Any]) -> None:
        b, a = json.dumps(before) if before else None, json.dumps(after, default=str)
        digest = hmac.new(_KEY, f"{action}|{target_type}|{target_id}|{b}|{a}".encode(), hashlib.sha256).hexdigest()
        self.run("INSERT INTO bare_audit (at, actor_id, actor_role, action, target_type, target_id, before, after, "
                 "hash) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                 (_now(), actor["user_id"], actor["role"], action, target_type, str(target_id), b, a, digest))

    def publish(self, name: str, payload: dict[str, Any]) -> None:
        now = _now()
        self.run("INSERT INTO bare_outbox (name, payload, created_at, available_at) VALUES (%s, %s, %s, %s)",
                 (name, json.dumps(payload, default=str), now, now))


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _blind(value: str) -> str:
    return hmac.new(_KEY, value.encode(), hashlib.sha256).hexdigest()


def _encrypt(value: str) -> str:
    nonce = secrets.token_bytes(12)
    return (nonce + _AES.encrypt(nonce, value.encode(), None)).hex()


def _decrypt(value: str) -> str:
    raw = bytes.fromhex(value)
    return _AES.decrypt(raw[:12], raw[12:], None).decode()


def _check_digit(digits: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return str((10 - total % 10) % 10)


class Refused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


# --- the endpoints' database work (run in the thread pool, as FastAPI runs sync endpoints) --------


def session_user(db: DB, token: str, csrf_cookie: str, csrf_header: str, method: str) -> dict[str, Any]:
    if not token:
        raise Refused(401, "not signed in")
    with db.tx(write=False) as c:
        row = c.one("SELECT s.user_id, s.expires_at, u.role, u.employer_id, u.branch_id FROM bare_session s "
                    "JOIN bare_user u ON u.id = s.user_id WHERE s.token_hash = %s",
                    (hashlib.sha256(token.encode()).hexdigest(),))
    if row is None:
        raise Refused(401, "not signed in")
    if method != "GET" and (not csrf_cookie or not hmac.compare_digest(csrf_cookie, csrf_header)):
        raise Refused(403, "csrf")
    return {"user_id": row[0], "role": row[2], "employer_id": row[3], "branch_id": row[4]}


def sign_in(db: DB, body: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    token = secrets.token_urlsafe(32)
    now = _now()
    with db.tx() as c:
        row = c.one("SELECT id, role FROM bare_user WHERE email = %s", (str(body.get("email", "")),))
        if row is None:
            raise Refused(401, "bad credentials")
        c.run("INSERT INTO bare_session (token_hash, user_id, created_at, last_seen_at, expires_at) VALUES "
              "(%s, %s, %s, %s, %s)", (hashlib.sha256(token.encode()).hexdigest(), row[0], now, now,
                                       now + timedelta(hours=12)))
    return token, {"id": row[0], "role": row[1]}


def file_application(db: DB, user: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    ref = "WP-" + secrets.token_hex(6).upper()
    passport = str(b["passport_number"]).upper()
    with db.tx() as c:
        row = c.one(
            "INSERT INTO bare_permit_application (reference, employer_id, family_name, given_names, nationality, "
            "birth_date, sex, passport_number, passport_hash, passport_expiry_date, position, category, "
            "contract_start_date, contract_end_date, requested_end_date, state, version, created_by_user_id, "
            "submitted_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, 'submitted', 1, %s, "
            "%s) RETURNING id",
            (ref, user["employer_id"], b["family_name"], b["given_names"], b["nationality"],
             date.fromisoformat(b["birth_date"]), b["sex"], _encrypt(passport), _blind(passport),
             date.fromisoformat(b["passport_expiry_date"]), b["position"], b["category"],
             date.fromisoformat(b["contract_start_date"]), date.fromisoformat(b["contract_end_date"]),
             date.fromisoformat(b["requested_end_date"]), user["user_id"], _now()))
        c.audit(user, "permit_application.submitted", "permit_application", row[0], None,
                {"reference": ref, "state": "submitted"})
    return {"id": row[0], "reference": ref, "state": "submitted", "version": 1}


def approve(db: DB, user: dict[str, Any], app_id: int, b: dict[str, Any]) -> dict[str, Any]:
    if b.get("action") != "approve":
        raise Refused(422, "only approve")
    now = _now()
    with db.tx() as c:
        a = c.one("SELECT employer_id, family_name, given_names, nationality, birth_date, sex, passport_number, "
                  "passport_hash, category, position, contract_start_date, requested_end_date, state, version "
                  "FROM bare_permit_application WHERE id = %s", (app_id,))
        if a is None:
            raise Refused(404, "no such application")
        if a[12] != "submitted":
            raise Refused(409, "not submitted")
        if c.run("UPDATE bare_permit_application SET state = 'approved', version = version + 1, decided_at = %s "
                 "WHERE id = %s AND version = %s", (now, app_id, int(b["version"]))).rowcount != 1:
            raise Refused(409, "stale version")
        body = f"{now.year}{app_id:09d}"
        number = f"WP{body}{_check_digit(body)}"
        notice = f"N{now.year}{app_id:09d}"
        person = c.one("INSERT INTO bare_permit_person (permit_number, family_name, given_names, nationality, "
                       "birth_date, sex, passport_number, passport_hash, created_at) VALUES (%s, %s, %s, %s, %s, %s, "
                       "%s, %s, %s) RETURNING id", (number, a[1], a[2], a[3], a[4], a[5], a[6], a[7], now))
        permit = c.one("INSERT INTO bare_permit (person_id, employer_id, application_id, notice_number, category, "
                       "position, status, valid_from_date, valid_to_date, issued_at) VALUES (%s, %s, %s, %s, %s, %s, "
                       "'valid', %s, %s, %s) RETURNING id",
                       (person[0], a[0], app_id, notice, a[8], a[9], a[10], a[11], now))
        c.run("INSERT INTO bare_permit_decision (application_id, action, note, decided_by, decided_at) VALUES "
              "(%s, 'approve', '', %s, %s)", (app_id, str(user["user_id"]), now))
        c.audit(user, "permit_application.approve", "permit_application", app_id, {"state": "submitted"},
                {"state": "approved", "permit_number": number})
        c.publish("permits.approved", {"application_id": app_id, "permit_id": permit[0], "permit_number": number})
    return {"id": app_id, "state": "approved", "version": int(b["version"]) + 1, "permit_number": number,
            "notice_number": notice}


def extend(db: DB, user: dict[str, Any], number: str, b: dict[str, Any]) -> dict[str, Any]:
    """The employer's extension of its valid permit, 90 to 30 days before its last day (category B: 5 years)."""
    today, now = date.today(), _now()
    new_end, contract_end = date.fromisoformat(b["requested_end_date"]), date.fromisoformat(b["contract_end_date"])
    passport_expiry = date.fromisoformat(b["passport_expiry_date"])
    with db.tx() as c:
        p = c.one("SELECT p.id, p.employer_id, p.status, p.valid_from_date, p.valid_to_date, p.category, p.position, "
                  "pp.family_name, pp.given_names, pp.nationality, pp.birth_date, pp.sex, pp.passport_number, "
                  "pp.passport_hash FROM bare_permit p JOIN bare_permit_person pp ON pp.id = p.person_id "
                  "WHERE pp.permit_number = %s ORDER BY p.issued_at DESC, p.id DESC LIMIT 1", (number,))
        if p is None or p[1] != user["employer_id"] or p[2] != "valid":
            raise Refused(422, "no such permit")
        valid_from, valid_to = (v if isinstance(v, date) else date.fromisoformat(str(v)) for v in (p[3], p[4]))
        if not 30 <= (valid_to - today).days <= 90:
            raise Refused(422, "outside the window")
        if new_end <= valid_to or new_end > contract_end or new_end > passport_expiry or \
                new_end > valid_from.replace(year=valid_from.year + 5):
            raise Refused(422, "new end refused")
        if c.one("SELECT id FROM bare_permit_application WHERE permit_id = %s AND kind <> 'new' AND state IN "
                 "('submitted', 'returned', 'resubmitted')", (p[0],)) is not None:
            raise Refused(409, "a change is pending")
        c.one("SELECT contract_end_date, passport_expiry_date FROM bare_permit_application WHERE permit_id = %s "
              "AND state = 'approved' ORDER BY decided_at DESC LIMIT 1", (p[0],))
        ref = "WP-" + secrets.token_hex(6).upper()
        row = c.one(
            "INSERT INTO bare_permit_application (reference, employer_id, family_name, given_names, nationality, "
            "birth_date, sex, passport_number, passport_hash, passport_expiry_date, position, category, "
            "contract_start_date, contract_end_date, requested_end_date, state, version, created_by_user_id, "
            "submitted_at, permit_id, kind) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, "
            "'submitted', 1, %s, %s, %s, 'extension') RETURNING id",
            (ref, user["employer_id"], p[7], p[8], p[9], p[10], p[11], p[12], p[13], passport_expiry, p[6], p[5],
             valid_from, contract_end, new_end, user["user_id"], now, p[0]))
        c.audit(user, "permit_application.filed", "permit_application", row[0], None,
                {"reference": ref, "kind": "extension", "state": "submitted", "requested_end_date": str(new_end)})
    return {"id": row[0], "reference": ref, "kind": "extension", "state": "submitted", "version": 1}


def register(db: DB, user: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    now = _now()
    notice = str(b.get("notice_number") or "").upper()
    passport = str(b["passport_number"]).upper()
    with db.tx() as c:
        p = c.one("SELECT pp.id, pp.permit_number, pp.family_name, pp.passport_hash, pp.nationality, pp.birth_date, "
                  "pp.sex, p.status, p.valid_to_date, e.uscc FROM bare_permit p JOIN bare_permit_person pp ON "
                  "pp.id = p.person_id JOIN bare_employer e ON e.id = p.employer_id WHERE p.notice_number = %s",
                  (notice,))
        if p is None or p[3] != _blind(passport) or p[2] != str(b["family_name"]).upper() or p[7] != "valid":
            raise Refused(422, "registry refusal")
        if user["employer_id"] != 1:
            raise Refused(403, "not your employee")
        if c.one("SELECT id FROM bare_insurance_person WHERE permit_number = %s", (p[1],)) is not None:
            raise Refused(409, "already registered")
        birth = p[5] if isinstance(p[5], date) else date.fromisoformat(str(p[5]))
        prefix = f"944{p[4]}{birth:%y%m%d}"
        seq = c.one("INSERT INTO bare_ssn_sequence (prefix, last) VALUES (%s, 1) ON CONFLICT (prefix) DO UPDATE "
                    "SET last = bare_ssn_sequence.last + 1 RETURNING last", (prefix,))[0]
        ssn = f"{prefix}{seq:04d}"[:17]
        ssn += _check_digit("".join(ch if ch.isdigit() else str(ord(ch) % 10) for ch in ssn))
        person = c.one("INSERT INTO bare_insurance_person (ssn, ssn_hash, permit_number, family_name, given_names, "
                       "passport_hash, created_at) VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING id",
                       (ssn, _blind(ssn), p[1], p[2], str(b["given_names"]), p[3], now))
        ref = "SI-" + secrets.token_hex(6).upper()
        reg = c.one("INSERT INTO bare_insurance_registration (reference, permit_number, notice_number, family_name, "
                    "given_names, employer_id, channel, state, version, person_id, created_by_user_id, created_at, "
                    "decided_at) VALUES (%s, %s, %s, %s, %s, %s, 'employer', 'registered', 2, %s, %s, %s, %s) "
                    "RETURNING id", (ref, p[1], notice, p[2], str(b["given_names"]), user["employer_id"], person[0],
                                     user["user_id"], now, now))
        c.audit(user, "insurance_registration.register", "insurance_registration", reg[0], None,
                {"reference": ref, "state": "registered", "ssn": ssn})
        c.publish("insurance.registered", {"registration_id": reg[0], "person_id": person[0], "permit_number": p[1]})
    return {"id": reg[0], "reference": ref, "state": "registered", "ssn": ssn, "permit_number": p[1]}


def upload_photo(db: DB, user: dict[str, Any], family_name: str, passport: str) -> dict[str, Any]:
    receipt = "PH" + secrets.token_hex(6).upper()
    with db.tx() as c:
        c.run("INSERT INTO bare_photo (receipt_number, family_name, passport_hash, created_at) VALUES (%s, %s, %s, %s)",
              (receipt, family_name, _blind(passport.upper()), _now()))
    return {"receipt_number": receipt}


def card_apply(db: DB, user: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    now = _now()
    passport = str(b["passport_number"]).upper()
    with db.tx() as c:
        p = c.one("SELECT pp.permit_number, pp.passport_hash, pp.family_name, p.status FROM bare_permit_person pp "
                  "JOIN bare_permit p ON p.person_id = pp.id WHERE pp.permit_number = %s", (b["permit_number"],))
        if p is None or p[1] != _blind(passport) or p[3] != "valid" or not b.get("passport_checked"):
            raise Refused(422, "permit or passport")
        if c.one("SELECT id FROM bare_insurance_person WHERE permit_number = %s", (p[0],)) is None:
            raise Refused(422, "no SSN")
        photo = c.one("SELECT id, passport_hash, used_at FROM bare_photo WHERE receipt_number = %s",
                      (b["photo_receipt"],))
        if photo is None or photo[1] != p[1] or photo[2] is not None:
            raise Refused(422, "photo")
        c.run("UPDATE bare_photo SET used_at = %s WHERE id = %s", (now, photo[0]))
        ref = "CA-" + secrets.token_hex(6).upper()
        row = c.one("INSERT INTO bare_card_application (reference, permit_number, family_name, given_names, "
                    "passport_hash, photo_id, branch_id, channel, state, version, created_at) VALUES (%s, %s, %s, %s, "
                    "%s, %s, %s, %s, 'submitted', 1, %s) RETURNING id",
                    (ref, p[0], p[2], str(b["given_names"]), p[1], photo[0], user["branch_id"], b["channel"], now))
        c.audit(user, "card_application.submitted", "card_application", row[0], None,
                {"reference": ref, "state": "submitted"})
    return {"id": row[0], "reference": ref, "state": "submitted", "version": 1}


def produce(db: DB, user: dict[str, Any], app_id: int, b: dict[str, Any]) -> dict[str, Any]:
    now = _now()
    with db.tx() as c:
        a = c.one("SELECT state, version, branch_id, channel FROM bare_card_application WHERE id = %s", (app_id,))
        if a is None or a[2] != user["branch_id"]:
            raise Refused(404, "no such application")
        if a[0] != "submitted" or a[3] != "instant":
            raise Refused(409, "not instant")
        seq = c.one("INSERT INTO bare_card_sequence (bin_prefix, last) VALUES ('622568', 1) ON CONFLICT (bin_prefix) "
                    "DO UPDATE SET last = bare_card_sequence.last + 1 RETURNING last")[0]
        digits = f"622568{seq:012d}"
        number = digits + _check_digit(digits)
        card = c.one("INSERT INTO bare_card (application_id, card_number, bank_account, branch_id, state, version, "
                     "produced_at) VALUES (%s, %s, %s, %s, 'produced', 1, %s) RETURNING id",
                     (app_id, number, _encrypt(f"6{seq:018d}"), a[2], now))
        if c.run("UPDATE bare_card_application SET state = 'ready_for_collection', version = version + 1, "
                 "ready_at = %s WHERE id = %s AND version = %s", (now, app_id, int(b["version"]))).rowcount != 1:
            raise Refused(409, "stale version")
        c.audit(user, "card_application.produce_instant", "card_application", app_id, {"state": "submitted"},
                {"state": "ready_for_collection", "card_id": card[0]})
        c.publish("cards.ready", {"application_id": app_id, "card_id": card[0]})
    return {"id": app_id, "state": "ready_for_collection", "version": int(b["version"]) + 1, "card_id": card[0]}


def hand_over(db: DB, user: dict[str, Any], app_id: int, b: dict[str, Any]) -> dict[str, Any]:
    now = _now()
    with db.tx() as c:
        a = c.one("SELECT a.state, a.branch_id, a.passport_hash, k.id FROM bare_card_application a JOIN bare_card k "
                  "ON k.application_id = a.id WHERE a.id = %s", (app_id,))
        if a is None or a[1] != user["branch_id"]:
            raise Refused(404, "no such application")
        if a[2] != _blind(str(b["passport_number"]).upper()):
            raise Refused(422, "passport")
        c.run("UPDATE bare_card SET state = 'issued', issued_at = %s WHERE id = %s", (now, a[3]))
        if c.run("UPDATE bare_card_application SET state = 'collected', version = version + 1, collected_at = %s "
                 "WHERE id = %s AND version = %s AND state = 'ready_for_collection'",
                 (now, app_id, int(b["version"]))).rowcount != 1:
            raise Refused(409, "stale version")
        c.audit(user, "card_application.hand_over", "card_application", app_id, {"state": "ready_for_collection"},
                {"state": "collected", "card_id": a[3]})
        c.publish("cards.collected", {"application_id": app_id, "card_id": a[3]})
    return {"id": app_id, "state": "collected", "version": int(b["version"]) + 1, "card_id": a[3]}


def read_card(db: DB, user: dict[str, Any], card_id: int) -> dict[str, Any]:
    with db.tx(write=False) as c:
        k = c.one("SELECT k.id, k.card_number, k.state, k.version, k.branch_id, k.bank_account, a.family_name, "
                  "a.given_names, a.permit_number FROM bare_card k JOIN bare_card_application a ON "
                  "a.id = k.application_id WHERE k.id = %s", (card_id,))
    if k is None or k[4] != user["branch_id"]:
        raise Refused(404, "no such card")
    return {"id": k[0], "card_number": k[1], "state": k[2], "version": k[3], "family_name": k[6],
            "given_names": k[7], "permit_number": k[8], "bank_account": _decrypt(k[5])}


def activate(db: DB, user: dict[str, Any], card_id: int, b: dict[str, Any]) -> dict[str, Any]:
    now = _now()
    with db.tx() as c:
        k = c.one("SELECT k.state, k.branch_id, a.passport_hash FROM bare_card k JOIN bare_card_application a ON "
                  "a.id = k.application_id WHERE k.id = %s", (card_id,))
        if k is None or k[1] != user["branch_id"]:
            raise Refused(404, "no such card")
        if k[2] != _blind(str(b["passport_number"]).upper()):
            raise Refused(422, "passport")
        if c.run("UPDATE bare_card SET state = 'active', version = version + 1, activated_at = %s WHERE id = %s AND "
                 "version = %s AND state = 'issued'", (now, card_id, int(b["version"]))).rowcount != 1:
            raise Refused(409, "stale version")
        c.audit(user, "card.activate", "card", card_id, {"state": "issued"}, {"state": "active"})
        c.publish("cards.activated", {"card_id": card_id})
    return {"id": card_id, "state": "active", "version": int(b["version"]) + 1}


# --- ASGI ---------------------------------------------------------------------------------------

_db: DB | None = None


def _database() -> DB:
    global _db
    if _db is None:
        _db = DB(_url())
    return _db


def _error(exc: Refused) -> JSONResponse:
    return JSONResponse({"status": exc.status, "detail": str(exc)}, status_code=exc.status,
                        media_type="application/problem+json")


def _endpoint(work: Any, *, status: int = 200, with_id: bool = False, body: bool = True) -> Any:
    async def endpoint(request: Request) -> Response:
        payload = json.loads(await request.body() or b"null") if body else None
        obj_id = request.path_params["obj_id"] if with_id else None  # int where the route says so

        def run() -> dict[str, Any]:
            db = _database()
            user = session_user(db, request.cookies.get("pc_session", ""), request.cookies.get("pc_csrf", ""),
                                request.headers.get("x-csrf-token", ""), request.method)
            args: list[Any] = [db, user]
            if with_id:
                args.append(obj_id)
            if body:
                args.append(payload)
            result: dict[str, Any] = work(*args)
            return result

        try:
            return JSONResponse(await run_in_threadpool(run), status_code=status)
        except Refused as exc:
            return _error(exc)

    return endpoint


async def session_endpoint(request: Request) -> Response:
    body = json.loads(await request.body() or b"{}")
    try:
        token, user = await run_in_threadpool(sign_in, _database(), body)
    except Refused as exc:
        return _error(exc)
    csrf = secrets.token_urlsafe(32)
    response = JSONResponse({**user, "csrf_token": csrf})
    response.set_cookie("pc_session", token, httponly=True, samesite="lax", path="/")
    response.set_cookie("pc_csrf", csrf, httponly=True, samesite="lax", path="/")
    return response


async def photo_endpoint(request: Request) -> Response:
    form = await request.form()
    fields = {k: str(v) for k, v in form.items() if isinstance(v, str)}

    def run() -> dict[str, Any]:
        db = _database()
        user = session_user(db, request.cookies.get("pc_session", ""), request.cookies.get("pc_csrf", ""),
                            request.headers.get("x-csrf-token", ""), request.method)
        return upload_photo(db, user, fields.get("family_name", ""), fields.get("passport_number", ""))

    try:
        return JSONResponse(await run_in_threadpool(run), status_code=201)
    except Refused as exc:
        return _error(exc)


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


app = Starlette(routes=[
    Route("/healthz", healthz),
    Route("/api/v1/session", session_endpoint, methods=["POST"]),
    Route("/api/v1/permit-applications", _endpoint(file_application, status=201), methods=["POST"]),
    Route("/api/v1/permit-applications/{obj_id:int}/decision", _endpoint(approve, with_id=True), methods=["POST"]),
    Route("/api/v1/insurance-registrations", _endpoint(register, status=201), methods=["POST"]),
    Route("/api/v1/permits/{obj_id}/extensions", _endpoint(extend, status=201, with_id=True), methods=["POST"]),
    Route("/api/v1/photos", photo_endpoint, methods=["POST"]),
    Route("/api/v1/card-applications", _endpoint(card_apply, status=201), methods=["POST"]),
    Route("/api/v1/card-applications/{obj_id:int}/produce-instant", _endpoint(produce, with_id=True),
          methods=["POST"]),
    Route("/api/v1/card-applications/{obj_id:int}/hand-over", _endpoint(hand_over, with_id=True), methods=["POST"]),
    Route("/api/v1/cards/{obj_id:int}", _endpoint(read_card, with_id=True, body=False), methods=["GET"]),
    Route("/api/v1/cards/{obj_id:int}/activate", _endpoint(activate, with_id=True), methods=["POST"]),
])
