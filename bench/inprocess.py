"""`make bench-inprocess`: permitcard's hot paths called in-process against the raw database doing the same work.

Each scenario runs N times; the report gives operations per second, median and p95 latency,
and the ratio to a hand-written SQL baseline doing the same reads/writes on the same database.
Runs on SQLite by default; set BENCH_DATABASE_URL=postgresql://... for PostgreSQL. Results go to
bench/results/inprocess-<database>.md (and stdout), which bench/REPORT.md shows as an appendix.
The HTTP benchmark of the journeys is bench/run.py (`make bench`).
"""

from __future__ import annotations

import hashlib
import os
import platform
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy import text

ROOT = Path(__file__).resolve().parents[1]
TMP = Path(tempfile.mkdtemp(prefix="permitcard-bench-"))
os.environ.setdefault("PERMITCARD_VAR_DIR", str(TMP))
os.environ.setdefault("PERMITCARD_DATA_KEY", "q2XlGx3V7yq1n0c7o5cV0r3Hc4o0w9m6G1m2k4b7s8A=")
DB_URL = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{TMP}/bench.db"
os.environ["DATABASE_URL"] = DB_URL

from bench.pgdb import own_database  # noqa: E402
from permitcard.bootstrap import bootstrap  # noqa: E402
from permitcard.db import Database, make_engine  # noqa: E402
from permitcard.migrate import upgrade  # noqa: E402


@dataclass
class Result:
    name: str
    n: int
    seconds: float
    latencies: list[float]

    @property
    def ops(self) -> float:
        return self.n / self.seconds

    def pct(self, p: float) -> float:
        s = sorted(self.latencies)
        return s[min(len(s) - 1, int(p * len(s)))] * 1000


def measure(name: str, fn: Callable[[int], object], n: int, warmup: int = 20) -> Result:
    for i in range(warmup):
        fn(i)
    lat = []
    start = time.perf_counter()
    for i in range(n):
        t = time.perf_counter()
        fn(warmup + i)
        lat.append(time.perf_counter() - t)
    return Result(name, n, time.perf_counter() - start, lat)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> None:
    global DB_URL
    if DB_URL.startswith("postgres"):
        DB_URL = own_database(DB_URL, "permitcard_bench")
        os.environ["DATABASE_URL"] = DB_URL
    bootstrap()  # the scenarios run the services in this process, with the app's adapters
    upgrade(DB_URL)
    db = Database(make_engine(DB_URL))
    from permitcard.seed import seed_demo

    seed_demo(db)
    pairs: list[tuple[Result, Result]] = []
    pairs.append(bench_session_lookup(db))
    pairs.append(bench_audit_append(db))
    pairs.append(bench_branches(db))
    pairs.append(bench_http(db))
    for extra in _context_benches():
        pairs.append(extra(db))
    write_report(pairs)


def _context_benches() -> list[Callable[[Database], tuple[Result, Result]]]:
    from bench import scenarios

    return scenarios.ALL


def bench_session_lookup(db: Database) -> tuple[Result, Result]:
    import pyotp

    from permitcard.auth import service
    from permitcard.seed import demo_secret

    code = pyotp.TOTP(demo_secret("auditor@example.com")).now()  # staff sign in with their second factor
    token, _user = service.sign_in(db, email="auditor@example.com", password="demo-auditor-pass", code=code)
    h = hashlib.sha256(token.encode()).hexdigest()
    ours = measure("session lookup (auth.service.session_user)", lambda i: service.session_user(db, token), 2000)

    def raw(i: int) -> None:
        with db.engine.connect() as c:
            c.execute(text("SELECT s.user_id, s.last_seen_at, s.expires_at, u.email, u.role, u.is_active "
                           "FROM auth_session s JOIN auth_user u ON u.id = s.user_id WHERE s.token_hash = :h"),
                      {"h": h}).one()

    return ours, measure("raw SQL: session join user", raw, 2000)


def bench_audit_append(db: Database) -> tuple[Result, Result]:
    from permitcard.shared import audit
    from permitcard.shared.audit import Actor

    actor = Actor(user_id=1, role="bench", label="bench")

    def ours(i: int) -> None:
        with db.uow() as s:
            audit.record(s, actor=actor, action="bench.audit", target_type="bench", target_id=i,
                         before={"state": "a"}, after={"state": "b"})
            s.commit()

    r1 = measure("audit append, keyed row (shared.audit.record + commit)", ours, 500)

    def raw(i: int) -> None:
        with db.engine.begin() as c:
            c.execute(text("INSERT INTO audit_log (at, actor_id, actor_role, actor_label, ip, action, "
                           "target_type, target_id, before, after, note, nonce, key_id, mac) VALUES ("
                           "CURRENT_TIMESTAMP, 1, 'bench', 'bench', '', 'bench.raw', 'bench', :t, NULL, NULL, '', "
                           "'', 'raw', :h)"), {"t": str(i), "h": secrets.token_hex(32)})

    r2 = measure("raw SQL: plain INSERT, no key", raw, 500)
    with db.engine.begin() as c:
        c.execute(text("DELETE FROM audit_log WHERE action = 'bench.raw'"))
    return r1, r2


def bench_branches(db: Database) -> tuple[Result, Result]:
    from permitcard.banks import service

    ours = measure("issuing branches (banks.service.list_branches)", lambda i: service.list_branches(db), 2000)

    def raw(i: int) -> None:
        with db.engine.connect() as c:
            c.execute(text("SELECT b.*, k.code, k.name_en, k.name_zh, k.bin_prefix FROM bank_branch b "
                           "JOIN bank k ON k.id = b.bank_id WHERE b.city_code = '4419' AND b.is_active "
                           "ORDER BY k.code, b.code")).all()

    return ours, measure("raw SQL: branches join banks", raw, 2000)


def bench_http(db: Database) -> tuple[Result, Result]:
    """GET /api/v1/branches over real HTTP from uvicorn (httptools, uvloop), one worker."""
    port = free_port()
    env = dict(os.environ)
    proc = subprocess.Popen([sys.executable, "-m", "permitcard.cli", "serve", "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        client = httpx.Client(base_url=base, timeout=5)
        ours = measure("HTTP GET /api/v1/branches (keep-alive, 1 client)", lambda i: client.get("/api/v1/branches"),
                       1000)
        # Concurrency: 8 threads for 2 s, to show the server is not serialised per request.
        done = [0]
        lock = threading.Lock()
        stop = time.perf_counter() + 2

        def hammer() -> None:
            c = httpx.Client(base_url=base, timeout=5)
            while time.perf_counter() < stop:
                c.get("/api/v1/branches")
                with lock:
                    done[0] += 1

        threads = [threading.Thread(target=hammer) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        print(f"HTTP with 8 concurrent clients: {done[0] / 2:.0f} requests/s")
        WRK.extend(_wrk(base, ["/api/v1/branches", "/branches", "/login"]))
    finally:
        proc.terminate()
        proc.wait(timeout=10)

    def raw(i: int) -> None:
        with db.engine.connect() as c:
            c.execute(text("SELECT b.*, k.code FROM bank_branch b JOIN bank k ON k.id = b.bank_id")).all()

    return ours, measure("raw SQL: the same rows, no HTTP", raw, 1000)


WRK: list[str] = []


def _wrk(base: str, paths: list[str]) -> list[str]:
    """Server throughput measured by wrk (a C load generator), when it is installed (Debian: wrk)."""
    import re
    import shutil

    if not shutil.which("wrk"):
        return ["(wrk is not installed: `apt-get install wrk` adds server throughput to this report)"]
    rows = []
    for path in paths:
        out = subprocess.run(["wrk", "-t2", "-c16", "-d5s", "--latency", base + path], capture_output=True,
                             text=True, timeout=60).stdout
        rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
        p50 = re.search(r"\s50%\s+([\d.]+\w+)", out)
        p99 = re.search(r"\s99%\s+([\d.]+\w+)", out)
        rows.append(f"| GET {path} | {float(rps.group(1)) if rps else 0:,.0f} | {p50.group(1) if p50 else '?'} | "
                    f"{p99.group(1) if p99 else '?'} |")
    return rows


def write_report(pairs: list[tuple[Result, Result]]) -> None:
    from datetime import UTC, datetime

    commit = subprocess.run(["git", "log", "-1", "--format=%h"], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip()
    lines = [
        "# permitcard in-process benchmark", "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC at {commit} (in-process).",
        f"Database: `{DB_URL.split('@')[-1] if '@' in DB_URL else DB_URL.split(':')[0]}` · "
        f"Python {platform.python_version()} · {os.cpu_count()} cores · `make bench-inprocess`", "",
        "| scenario | n | ops/s | p50 ms | p95 ms | raw baseline | raw ops/s | ratio (ours/raw time) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for ours, raw in pairs:
        ratio = (ours.seconds / ours.n) / (raw.seconds / raw.n)
        lines.append(f"| {ours.name} | {ours.n} | {ours.ops:,.0f} | {ours.pct(.5):.2f} | {ours.pct(.95):.2f} | "
                     f"{raw.name} | {raw.ops:,.0f} | {ratio:.1f}× |")
    if WRK:
        lines += ["", "Server throughput, one uvicorn worker (httptools, uvloop), "
                  "`wrk -t2 -c16 -d5s` on 127.0.0.1 (the load generator shares the 2 cores):", "",
                  "| request | requests/s | p50 | p99 |", "|---|---|---|---|", *WRK]
    report = "\n".join(lines) + "\n"
    print(report)
    dialect = "postgresql" if DB_URL.startswith("postgres") else "sqlite"
    (ROOT / "bench" / "results" / f"inprocess-{dialect}.md").write_text(report)


if __name__ == "__main__":
    main()
