"""`make bench-ecard`: the e-card's dynamic QR code.

* QR tokens signed and verified per second (Ed25519). The offline verification is ``ecard.qr.verify``
  with the public keys in memory: it touches no database (measured before the process has one).
* The public verification page ``GET /verify/<token>`` and its JSON twin over real HTTP (uvicorn, one
  worker), beside the bare ``GET /healthz`` of the same server: one keep-alive client, and wrk when it is
  installed.

Runs on SQLite by default; BENCH_DATABASE_URL=postgresql://... for PostgreSQL (a database of its own,
dropped at exit). The report goes to bench/REPORT-ecard-<database>.md and stdout. Kept apart from
bench/run.py so the two can change independently.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from email import message_from_bytes, policy
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TMP = Path(tempfile.mkdtemp(prefix="permitcard-bench-ecard-"))
os.environ.setdefault("PERMITCARD_VAR_DIR", str(TMP))
os.environ.setdefault("PERMITCARD_DATA_KEY", "q2XlGx3V7yq1n0c7o5cV0r3Hc4o0w9m6G1m2k4b7s8A=")
DB_URL = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{TMP}/bench.db"
os.environ["DATABASE_URL"] = DB_URL

import httpx  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402

from bench.pgdb import own_database  # noqa: E402
from permitcard.db import Database, make_engine  # noqa: E402


def rate(fn: Callable[[int], object], seconds: float = 2.0) -> tuple[float, int]:
    """Calls per second of ``fn`` over about ``seconds`` (after a short warm-up)."""
    for i in range(50):
        fn(i)
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for _ in range(100):
            fn(n)
            n += 1
    return n / (time.perf_counter() - start), n


def bench_tokens() -> list[str]:
    from permitcard.ecard import qr

    key = Ed25519PrivateKey.generate()
    keys = {qr.kid_of(key.public_key()): key.public_key()}
    now = int(time.time())
    token = qr.sign(key, card_ref="bench-card-reference", expires_at=now + 60)
    signed, n_signed = rate(lambda i: qr.sign(key, card_ref="bench-card-reference", expires_at=now + 60))
    verified, n_verified = rate(lambda i: qr.verify(token, keys, now=now))
    assert qr.verify(token, keys, now=now).ok
    return [f"| QR tokens signed (ecard.qr.sign, Ed25519) | {n_signed:,} | {signed:,.0f} |",
            f"| QR tokens verified offline (ecard.qr.verify, no database) | {n_verified:,} | {verified:,.0f} |"]


def _holder_token(db: Database) -> Callable[[], str]:
    """A verified e-card of a new permit holder, and a QR token of it (through the real services)."""
    from datetime import date

    from permitcard.auth import repository as auth_repo
    from permitcard.auth.service import CurrentUser
    from permitcard.ecard import service as ecard
    from permitcard.ecard import views
    from permitcard.permits import service as permits
    from permitcard.shared import outbox
    from permitcard.shared.audit import Actor

    with db.uow(write=False) as s:
        hr = auth_repo.user_by_email(s, "hr@example.com")
        assert hr is not None
        employer = CurrentUser(hr.id, hr.email, hr.display_name, hr.role, hr.employer_id, None, None)
    start = date.today() + timedelta(days=10)
    app = permits.file_application(db, actor=employer.actor(), data={
        "family_name": "BENCH", "given_names": "ECARD", "nationality": "DE", "birth_date": date(1990, 1, 2),
        "sex": "F", "passport_number": "C01234567", "passport_expiry_date": start + timedelta(days=3000),
        "position": "Engineer", "category": "B", "contract_start_date": start,
        "contract_end_date": start + timedelta(days=1000), "requested_end_date": start + timedelta(days=700)})
    approved = permits.decide(db, actor=Actor(None, "permit_officer", "bench"), application_id=app.id,
                              version=app.version, action="approve", reason="")
    password = "Bench-pass1"
    started = ecard.register(db, family_name="BENCH", given_names="ECARD", number_kind="permit",
                             number=approved.permit_number or "", passport_number="C01234567",
                             email="bench@example.com", password=password, password_again=password)
    while outbox.dispatch(db):
        pass
    code = ""
    for path in sorted((TMP / "mail").glob("*.eml")):
        mail = message_from_bytes(path.read_bytes(), policy=policy.default)
        found = re.search(r"\b(\d{6})\b", str(mail["Subject"]))
        if mail["To"] == "bench@example.com" and found:
            code = found.group(1)
    pending = ecard.holder_for(db, started.token, kinds=("pending",))
    assert pending is not None and code
    session = ecard.verify_code(db, holder=pending, code=code)
    holder = ecard.holder_for(db, session, kinds=("session",))
    assert holder is not None
    return lambda: views.issue_qr(db, holder=holder).token  # a fresh code (the city's lifetime, 60 s)


def _wrk(base: str, paths: list[str]) -> list[str]:
    if not shutil.which("wrk"):
        return ["(wrk is not installed: `apt-get install wrk` adds server throughput to this report)"]
    rows = []
    for path in paths:
        out = subprocess.run(["wrk", "-t2", "-c16", "-d5s", "--latency", base + path], capture_output=True,
                             text=True, timeout=60).stdout
        rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
        p50 = re.search(r"\s50%\s+([\d.]+\w+)", out)
        p99 = re.search(r"\s99%\s+([\d.]+\w+)", out)
        label = "/verify/<token>" if path.startswith("/verify/") else (
            "/api/v1/ecard/verifications/<token>" if "verifications" in path else path)
        rows.append(f"| GET {label} | {float(rps.group(1)) if rps else 0:,.0f} | {p50.group(1) if p50 else '?'} | "
                    f"{p99.group(1) if p99 else '?'} |")
    return rows


def bench_http(db: Database) -> tuple[list[str], list[str]]:
    fresh = _holder_token(db)
    port = socket.socket()
    port.bind(("127.0.0.1", 0))
    number = int(port.getsockname()[1])
    port.close()
    proc = subprocess.Popen([sys.executable, "-m", "permitcard.cli", "serve", "--port", str(number),
                             "--outbox-workers", "0"], env=dict(os.environ), stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, cwd=ROOT)
    base = f"http://127.0.0.1:{number}"
    try:
        for _ in range(150):
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        client = httpx.Client(base_url=base, timeout=5)
        token = fresh()
        page = client.get(f"/verify/{token}")
        assert page.status_code == 200 and 'data-reason' not in page.text, page.text[:500]
        rows = []
        for label, path in (("GET /healthz (bare endpoint)", "/healthz"),
                            ("GET /verify/<token> (public verification page)", f"/verify/{fresh()}"),
                            ("GET /api/v1/ecard/verifications/<token> (JSON)",
                             f"/api/v1/ecard/verifications/{fresh()}")):
            def get(i: int, p: str = path) -> object:
                return client.get(p)

            per_second, n = rate(get, seconds=3)
            rows.append(f"| {label} | {n:,} | {per_second:,.0f} |")
        wrk = _wrk(base, ["/healthz", f"/verify/{fresh()}", f"/api/v1/ecard/verifications/{fresh()}"])
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    return rows, wrk


def main() -> None:
    global DB_URL
    token_rows = bench_tokens()
    if DB_URL.startswith("postgres"):
        DB_URL = own_database(DB_URL, "permitcard_bench_ecard")
        os.environ["DATABASE_URL"] = DB_URL
    from permitcard.bootstrap import bootstrap
    from permitcard.config import get_settings
    from permitcard.migrate import upgrade
    from permitcard.seed import seed_demo

    get_settings.cache_clear()
    bootstrap()
    upgrade(DB_URL)
    db = Database(make_engine(DB_URL))
    seed_demo(db)
    http_rows, wrk = bench_http(db)
    kind = "postgresql" if DB_URL.startswith("postgres") else "sqlite"
    lines = ["# permitcard e-card benchmark", "",
             f"Database: `{kind}` · Python {sys.version.split()[0]} · {os.cpu_count()} cores · `make bench-ecard`", "",
             "| operation | n | per second |", "|---|---|---|", *token_rows, "",
             "One keep-alive HTTP client against one uvicorn worker (httptools, uvloop):", "",
             "| request | n | requests/s |", "|---|---|---|", *http_rows, "",
             "Server throughput, `wrk -t2 -c16 -d5s` on 127.0.0.1 (the load generator shares the cores):", "",
             "| request | requests/s | p50 | p99 |", "|---|---|---|---|", *wrk]
    report = "\n".join(lines) + "\n"
    (ROOT / "bench" / f"REPORT-ecard-{kind}.md").write_text(report)
    print(report)


if __name__ == "__main__":
    main()
