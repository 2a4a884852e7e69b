"""`make bench`: the journeys measured over HTTP against a real `permitcard serve`, beside bare endpoints.

For each database (SQLite; PostgreSQL when one answers at BENCH_DATABASE_URL, default the local
server), the bench makes a fresh database for permitcard and one for the bare app (bench/bare.py),
starts `permitcard serve` and `uvicorn bench.bare:app` with the same flags, and for each journey,
repetition and number of concurrent clients runs one cell against permitcard and one against the bare
app (in alternating order), each from a load-generator process of its own (bench/load.py). Data a
journey consumes is prepared through the same API before each cell and never timed. On PostgreSQL
the registration is run again with `permitcard serve --workers 2`. Also measured: SQL statements per
step (bench/sqlcount.py), start to first answer, RSS per process after the load.

Results go to bench/results/<label>.json (cells of the same database and journey are replaced, the
rest kept); bench/report.py writes bench/REPORT.md with the labels side by side (before, after, ...).

    python -m bench.run [--label before] [--quick] [--journey registration] [--db sqlite] ...
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.client
import json
import math
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
DATA_KEY = "q2XlGx3V7yq1n0c7o5cV0r3Hc4o0w9m6G1m2k4b7s8A="
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/postgres"
UVICORN_FLAGS = ["--http", "httptools", "--loop", "uvloop", "--no-access-log", "--no-proxy-headers"]
# Client c acts as session c % 10 of its role. An account with a second factor signs in once per
# database (a TOTP code is good once), so all clients share its one session.
SESSIONS_PER_ROLE = 10


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# --- accounts ---------------------------------------------------------------------------------------


def seed_accounts(db: Any) -> dict[str, dict[str, str]]:
    """Seed the demo (banks, branches, one account per role); the bench's credentials by e-mail.
    A seed row may carry a TOTP secret after the password (staff second factor)."""
    import importlib.util

    if importlib.util.find_spec("permitcard.bootstrap") is not None:  # a process assembled as the CLI's is
        from permitcard.bootstrap import bootstrap

        bootstrap()
    from permitcard.seed import seed_demo

    out: dict[str, dict[str, str]] = {}
    for row in seed_demo(db):
        email, password = str(row[1]), str(row[2])
        totp = str(row[3]) if len(row) > 3 and row[3] else ""  # type: ignore[misc]
        out[email] = {"password": password, **({"totp": totp} if totp else {})}
    return out


async def _sign_in_all(port: int, creds: dict[str, dict[str, str]], n: int) -> dict[str, Any]:
    """Sessions for every role of the journeys: n each, or one for an account with a second factor."""
    from bench.client import Conn, sign_in
    from bench.journeys import ROLE_EMAILS

    conn = Conn(port)
    out: dict[str, list[Any]] = {}
    try:
        for role, email in ROLE_EMAILS.items():
            c = creds.get(email, {"password": "bare"})
            out[role] = [await sign_in(conn, email, c["password"], totp_secret=c.get("totp"))
                         for _ in range(1 if c.get("totp") else n)]
    finally:
        await conn.close()
    return out


# --- processes ------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _children(pid: int) -> list[int]:
    out = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                out += [int(p) for p in f.read().split()]
    except OSError:
        pass
    return out


def tree(pid: int) -> list[int]:
    pids, todo = [], [pid]
    while todo:
        p = todo.pop()
        pids.append(p)
        todo += _children(p)
    return pids


def cpu_seconds(pids: list[int]) -> float:
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for p in pids:
        try:
            with open(f"/proc/{p}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
        except (OSError, IndexError):
            pass
    return total


def machine_busy_seconds() -> float:
    """CPU seconds all processes of the machine were busy (from /proc/stat), to see other people's load."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    idle = v[3] + (v[4] if len(v) > 4 else 0)
    return (sum(v[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            parts = f.read().split(b"\0")
    except OSError:
        return "?"
    text = " ".join(p.decode(errors="replace") for p in parts if p)
    for marker in ("permitcard.cli ", "uvicorn ", "multiprocessing"):
        if marker in text:
            return text[text.index(marker):][:60]
    return text[-60:]


@dataclass
class Server:
    name: str
    argv: list[str]
    env: dict[str, str]
    port: int
    log_path: Path
    proc: subprocess.Popen[bytes] | None = None

    def start(self) -> float:
        """Spawn and poll /healthz; seconds from spawn to the first 200."""
        t = time.perf_counter()
        with open(self.log_path, "ab") as err:
            self.proc = subprocess.Popen(self.argv, env=self.env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=err,
                                         start_new_session=True)
        deadline = t + 90
        while time.perf_counter() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited ({self.proc.returncode}); see {self.log_path}")
            try:
                c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                c.request("GET", "/healthz")
                if c.getresponse().status == 200:
                    c.close()
                    return time.perf_counter() - t
                c.close()
            except OSError:
                pass
            time.sleep(0.01)
        raise RuntimeError(f"{self.name} did not answer in 90 s; see {self.log_path}")

    def pids(self) -> list[int]:
        return tree(self.proc.pid) if self.proc else []

    def web_pids(self) -> list[int]:
        """The processes serving HTTP: uvicorn's (its supervisor and, with --workers N, its N children),
        not the outbox workers `permitcard serve` starts beside them."""
        return [p for p in self.pids() if not cmdline(p).startswith("permitcard.cli worker")]

    def rss(self) -> list[dict[str, Any]]:
        return [{"pid": p, "cmd": cmdline(p), "rss_mb": round(rss_mb(p), 1)} for p in self.pids()]

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        pids = self.pids()
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            for p in pids:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(p, signal.SIGKILL)
            self.proc.wait(timeout=10)
        for p in pids[1:]:  # helpers that outlived their parent (they are ours: started by this server)
            with contextlib.suppress(ProcessLookupError):
                os.kill(p, signal.SIGTERM)
        self.proc = None

    def quiesce(self, limit: float = 180.0) -> None:
        """Wait until the server's processes are idle: the outbox worker has delivered what the preparation
        published (thousands of events after a large one; with the 8 s this waited before, a cell could
        begin while the worker still drained them, and measure the two sharing the CPU), a checkpoint."""
        start = time.perf_counter()
        while time.perf_counter() < start + limit:
            a = cpu_seconds(self.pids())
            time.sleep(0.25)
            if cpu_seconds(self.pids()) - a < 0.02:
                break
        waited = time.perf_counter() - start
        if waited > 2:
            log(f"  waited {waited:.1f} s for the server to go idle")


# --- databases ------------------------------------------------------------------------------------


@contextlib.contextmanager
def fresh_pg_database(server_url: str, prefix: str) -> Iterator[str]:
    """An empty database on the server of server_url (as tests/conftest.py makes), dropped afterwards."""
    from sqlalchemy import text

    from permitcard.db import make_engine

    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    base = server_url.rsplit("/", 1)[0]
    admin = make_engine(base + "/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{base}/{name}"
    finally:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def pg_server_url() -> str | None:
    url = os.environ.get("BENCH_DATABASE_URL") or DEFAULT_PG
    if not url.startswith("postgres"):
        return None
    try:
        import psycopg

        psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), connect_timeout=3).close()
    except Exception as exc:
        log(f"PostgreSQL at {url.split('@')[-1]} does not answer ({type(exc).__name__}); SQLite only")
        return None
    return url


@contextlib.contextmanager
def databases(kind: str, tmp: Path, pg: str | None) -> Iterator[tuple[str, str]]:
    if kind == "sqlite":
        yield f"sqlite:///{tmp}/permitcard.db", f"sqlite:///{tmp}/bare.db"
        return
    assert pg is not None
    with fresh_pg_database(pg, "permitcard_bench") as app_url, fresh_pg_database(pg, "permitcard_bare") as bare_url:
        yield app_url, bare_url


def versions(pg: str | None) -> dict[str, str]:
    import sqlite3

    out = {"python": platform.python_version(), "sqlite": sqlite3.sqlite_version}
    if pg:
        import psycopg

        with psycopg.connect(pg.replace("postgresql+psycopg://", "postgresql://")) as c:
            row = c.execute("SHOW server_version").fetchone()
            out["postgresql"] = str(row[0]) if row else "?"
    import uvicorn

    out["uvicorn"] = uvicorn.__version__
    return out


def machine() -> dict[str, Any]:
    model = "?"
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    mem = 0.0
    with contextlib.suppress(OSError), open("/proc/meminfo") as f:
        mem = int(f.readline().split()[1]) / 1024 / 1024
    return {"cores": os.cpu_count(), "cpu": model, "memory_gb": round(mem, 1), "kernel": platform.release(),
            "loadavg_at_start": os.getloadavg()[0], "python_loop_ms": python_loop_ms()}


def python_loop_ms() -> float:
    """The machine's speed at plain Python, best of 5: a loop of a million additions. Machines of one
    kind differ (seen here: 2× between two days' virtual machines), and permitcard's request is mostly
    interpreter work, so runs of different days compare by this as well as by their bare endpoints."""
    best = math.inf
    for _ in range(5):
        t = time.perf_counter()
        total = 0
        for i in range(1_000_000):
            total += i
        best = min(best, time.perf_counter() - t)
    return round(best * 1000, 1)


# --- cells ----------------------------------------------------------------------------------------


@dataclass
class Plan:
    label: str
    dbs: list[str]
    journeys: list[str]
    clients: list[int]
    reps: int
    duration: float
    load_procs: int
    workers2: bool
    sqlcount: bool
    startup_reps: int
    max_pool: int = 6000
    events: int = 100_000  # permit events through the outbox (bench/permit_events.py); 0: none


@dataclass
class Pool:
    """Prepared items of one journey on one target; what a cell leaves is used by the next."""

    items: list[dict[str, Any]] = field(default_factory=list)
    best_rate: float = 0.0


class Bench:
    def __init__(self, plan: Plan, tmp: Path) -> None:
        self.plan, self.tmp = plan, tmp
        self.key = 1000
        self.cells: list[dict[str, Any]] = []

    def next_keys(self, n: int) -> list[int]:
        keys = list(range(self.key + 1, self.key + 1 + n))
        self.key += n
        return keys

    async def _prepare(self, port: int, journey: str, accounts: dict[str, list[Any]], n: int) -> list[dict[str, Any]]:
        from bench.client import Conn
        from bench.journeys import JOURNEYS

        j = JOURNEYS[journey]
        assert j.prepare is not None
        keys = self.next_keys(n)
        out: list[dict[str, Any]] = []
        errors: list[str] = []

        async def worker(w: int) -> None:
            conn = Conn(port)
            acc = {role: accs[w % len(accs)] for role, accs in accounts.items()}
            try:
                while keys:
                    key = keys.pop()
                    try:
                        out.append(await j.prepare(conn, acc, key))  # type: ignore[misc]
                    except Exception as exc:
                        errors.append(f"{type(exc).__name__}: {exc}"[:300])
                        await conn.close()
                        if len(errors) > 20:
                            return
            finally:
                await conn.close()

        await asyncio.gather(*(worker(w) for w in range(8)))
        if errors:
            log(f"  preparation errors ({len(errors)}): {errors[0]}")
        return out

    def top_up(self, pool: Pool, port: int, journey: str, accounts: dict[str, list[Any]], clients: int,
               duration: float) -> None:
        from bench.journeys import JOURNEYS

        if JOURNEYS[journey].prepare is None:
            return
        rate = pool.best_rate or 20.0
        need = min(self.plan.max_pool, int(rate * 2.0 * duration * 1.3) + 4 * clients)
        missing = need - len(pool.items)
        if missing > 0:
            t = time.perf_counter()
            pool.items += asyncio.run(self._prepare(port, journey, accounts, missing))
            log(f"  prepared {missing} {journey} items in {time.perf_counter() - t:.1f} s")

    def cell(self, *, server: Server, target: str, db: str, journey: str, clients: int, rep: int, workers: int,
             accounts: dict[str, list[Any]], pool: Pool, duration: float, record: bool = True) -> dict[str, Any]:
        self.top_up(pool, server.port, journey, accounts, clients, duration)
        server.quiesce()
        procs = max(1, min(self.plan.load_procs, clients))
        tasks = []
        items = pool.items
        pool.items = []
        for p in range(procs):
            n = len(range(p, clients, procs))
            tasks.append({"port": server.port, "journey": journey, "clients": n, "duration": duration,
                          "accounts": {r: [a.as_dict() for a in accs] for r, accs in accounts.items()},
                          "items": items[p::procs], "key_base": self.next_keys(200_000)[0]})
        cpu0 = cpu_seconds(server.pids())
        web_pids = server.web_pids()
        web0 = cpu_seconds(web_pids)
        busy0, loadavg = machine_busy_seconds(), os.getloadavg()[0]
        t = time.perf_counter()
        spy = _py_spy(server, f"{db}-{journey}-{target}-w{workers}-c{clients}-rep{rep}", duration) if record else None
        runners = [subprocess.Popen([sys.executable, "-m", "bench.load"], cwd=ROOT, stdin=subprocess.PIPE,
                                    stdout=subprocess.PIPE) for _ in tasks]
        for r, task in zip(runners, tasks, strict=True):
            assert r.stdin is not None
            r.stdin.write(json.dumps(task).encode())
            r.stdin.close()
        outs = []
        for r in runners:
            assert r.stdout is not None
            raw = r.stdout.read()
            r.wait(timeout=duration + 180)
            outs.append(json.loads(raw))
        wall = time.perf_counter() - t
        if spy is not None:
            spy.wait(timeout=60)
        server_cpu = cpu_seconds(server.pids()) - cpu0
        web_cpu = cpu_seconds(web_pids) - web0  # the processes serving HTTP (not the outbox workers)
        busy = machine_busy_seconds() - busy0
        for o in outs:
            pool.items += o["unused"]
        done = sum(o["done"] for o in outs)
        elapsed = max(o["elapsed"] for o in outs) or 1e-9
        totals = [x for o in outs for x in o["totals"]]
        rate = done / elapsed
        pool.best_rate = max(pool.best_rate, rate)
        steps = {}
        for name in outs[0]["steps"]:
            lat = [x for o in outs for x in o["steps"][name]]
            steps[name] = {"n": len(lat), "p50": pct(lat, 50), "p95": pct(lat, 95)}
        errors = sum(o["errors"] for o in outs)
        result = {
            "db": db, "journey": journey, "target": target, "workers": workers, "clients": clients, "rep": rep,
            "done": done, "elapsed": round(elapsed, 3), "rate": round(rate, 2), "p50": pct(totals, 50),
            "p95": pct(totals, 95), "steps": steps, "errors": errors,
            "error_samples": [s for o in outs for s in o["error_samples"]][:3],
            "load_cpu": round(sum(o["cpu"] for o in outs), 3), "load_procs": procs, "wall": round(wall, 3),
            "server_cpu": round(server_cpu, 3), "web_cpu_ms_per_journey": round(1000 * web_cpu / max(done, 1), 2),
            "short": elapsed < 0.5 * duration, "loadavg": round(loadavg, 2),
            "other_cpu": round(max(0.0, busy - server_cpu - sum(o["cpu"] for o in outs)), 3),
        }
        msg = (f"  {db:10} {journey:12} {target:4} w{workers} c{clients:<3} rep{rep} {done:5} in {elapsed:5.2f} s "
               f"= {rate:7.1f}/s p50 {result['p50']:7.1f} ms p95 {result['p95']:7.1f} ms "
               f"load cpu {result['load_cpu'] / max(wall, 1e-9):.0%} server cpu {server_cpu / max(wall, 1e-9):.0%} "
               f"others {result['other_cpu'] / max(wall, 1e-9):.0%} "
               f"web {result['web_cpu_ms_per_journey']:.1f} ms cpu/journey")
        if errors:
            msg += f" ERRORS {errors}: {result['error_samples'][:1]}"
        log(msg)
        if record:
            self.cells.append(result)
        return result


def _py_spy(server: Server, name: str, duration: float) -> subprocess.Popen[bytes] | None:
    """With BENCH_PYSPY=<folder>, sample the web process during a cell (py-spy raw stacks, for
    `python -m bench.profile --summary <file> --all`); the samples are not part of the figures.
    BENCH_PYSPY_IDLE=1 keeps the waiting threads too (where requests wait: the writer lock, the pool)."""
    folder = os.environ.get("BENCH_PYSPY")
    if not folder or server.proc is None:
        return None
    Path(folder).mkdir(parents=True, exist_ok=True)
    spy = Path(sys.executable).with_name("py-spy")
    idle = ["--idle"] if os.environ.get("BENCH_PYSPY_IDLE") else []
    return subprocess.Popen([str(spy), "record", "--pid", str(server.proc.pid), "--nonblocking", *idle,
                             "-r", "500", "-f", "raw", "-d", str(max(1, int(duration))),
                             "-o", str(Path(folder) / f"{name}.txt")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def pct(values: list[float], p: float) -> float:
    """Percentile in milliseconds (nearest rank); 0 when nothing was measured."""
    if not values:
        return 0.0
    s = sorted(values)
    k = max(0, min(len(s) - 1, math.ceil(p / 100 * len(s) - 1e-9) - 1))
    return round(s[k] * 1000, 3)


def run_database(bench: Bench, db: str, pg: str | None) -> dict[str, Any]:
    from bench import bare

    plan = bench.plan
    tmp = bench.tmp / db
    tmp.mkdir(parents=True, exist_ok=True)
    extra: dict[str, Any] = {"startup_s": [], "rss": {}}
    with databases(db, tmp, pg) as (app_url, bare_url):
        env = {k: v for k, v in os.environ.items() if not k.startswith("PERMITCARD_") and k != "DATABASE_URL"}
        env.update(DATABASE_URL=app_url, PERMITCARD_VAR_DIR=str(tmp), PERMITCARD_DATA_KEY=DATA_KEY,
                   PERMITCARD_ENVIRONMENT="development", BARE_DATABASE_URL=bare_url,
                   # This checkout's code (a worktree of an earlier commit, measured with today's harness).
                   PYTHONPATH=f"{ROOT / 'src'}{os.pathsep}{ROOT}",
                   # Each role's one account stands for many people, one session each (the cap is 10).
                   PERMITCARD_SESSION_MAX_PER_USER="100000")
        log(f"{db}: migrating and seeding a fresh database")
        creds = _migrate_and_seed(app_url, env)
        bare.create_schema(bare_url)

        def app_server(workers: int) -> Server:
            argv = [sys.executable, "-m", "permitcard.cli", "serve", "--host", "127.0.0.1", "--port", str(free_port())]
            if workers > 1:
                argv += ["--workers", str(workers)]
            argv += os.environ.get("BENCH_SERVE_ARGS", "").split()  # e.g. "--outbox-workers 0", to compare
            return Server(f"permitcard serve ({db}, {workers} workers)", argv, env, int(argv[argv.index("--port") + 1]),
                          tmp / "serve.log")

        def bare_server(workers: int) -> Server:
            port = free_port()
            argv = [sys.executable, "-m", "uvicorn", "bench.bare:app", "--host", "127.0.0.1", "--port", str(port),
                    *UVICORN_FLAGS, "--workers", str(workers)]
            return Server(f"bare ({db})", argv, env, port, tmp / "bare.log")

        for _ in range(plan.startup_reps):
            s = app_server(1)
            extra["startup_s"].append(round(s.start(), 3))
            s.stop()
        log(f"{db}: start to first answer {extra['startup_s']} s")
        app, bare_srv = app_server(1), bare_server(1)
        app.start()
        bare_srv.start()
        try:
            pools: dict[tuple[str, str], Pool] = {}
            n_sessions = min(SESSIONS_PER_ROLE, max(plan.clients))
            acc = {"app": asyncio.run(_sign_in_all(app.port, creds, n_sessions)),
                   "bare": asyncio.run(_sign_in_all(bare_srv.port, {}, n_sessions))}
            for journey in plan.journeys:
                servers = {"app": app, "bare": bare_srv}
                for target in ("app", "bare"):
                    pools[(journey, target)] = Pool()
                    bench.cell(server=servers[target], target=target, db=db, journey=journey, clients=1, rep=-1,
                               workers=1, accounts=acc[target], pool=pools[(journey, target)],
                               duration=min(1.0, plan.duration), record=False)  # warm-up
                for rep in range(plan.reps):
                    for clients in plan.clients:
                        order = ("app", "bare") if rep % 2 == 0 else ("bare", "app")
                        for target in order:
                            bench.cell(server=servers[target], target=target, db=db, journey=journey,
                                       clients=clients, rep=rep, workers=1, accounts=acc[target],
                                       pool=pools[(journey, target)], duration=plan.duration)
            extra["rss"]["app"] = app.rss()
            extra["rss"]["bare"] = bare_srv.rss()
            if plan.workers2 and "registration" in plan.journeys:
                app.stop()
                app2 = app_server(2)
                app2.start()
                try:
                    acc2 = acc["app"]  # the sessions live in the database: the same clients, two processes
                    pool = pools[("registration", "app")]
                    bench.cell(server=app2, target="app", db=db, journey="registration", clients=1, rep=-1,
                               workers=2, accounts=acc2, pool=pool, duration=min(1.0, plan.duration), record=False)
                    for rep in range(plan.reps):
                        for clients in [c for c in plan.clients if c > 1]:
                            bench.cell(server=app2, target="app", db=db, journey="registration", clients=clients,
                                       rep=rep, workers=2, accounts=acc2, pool=pool, duration=plan.duration)
                    extra["rss"]["app_2_workers"] = app2.rss()
                finally:
                    app2.stop()
        finally:
            app.stop()
            bare_srv.stop()
    return extra


def _migrate_and_seed(url: str, env: dict[str, str]) -> dict[str, dict[str, str]]:
    """Migrate with `permitcard db upgrade`, then seed in-process (the seed's rows carry the passwords)."""
    subprocess.run([sys.executable, "-m", "permitcard.cli", "db", "upgrade"], env=env, cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    for k in ("DATABASE_URL", "PERMITCARD_VAR_DIR", "PERMITCARD_DATA_KEY"):
        os.environ[k] = env[k]
    from permitcard.config import get_settings
    from permitcard.db import Database

    get_settings.cache_clear()
    db = Database.from_url(url)
    try:
        return seed_accounts(db)
    finally:
        db.engine.dispose()


# --- results ----------------------------------------------------------------------------------------


def merge_results(path: Path, new: dict[str, Any], plan: Plan) -> dict[str, Any]:
    """Keep what this run did not measure (other databases or journeys) from the label's earlier file."""
    if not path.exists():
        return new
    old = json.loads(path.read_text())
    ran = {(c["db"], c["journey"]) for c in new["cells"]}
    new["cells"] = [c for c in old.get("cells", []) if (c["db"], c["journey"]) not in ran] + new["cells"]
    for key in ("startup_s", "rss", "sqlcount", "permit_events"):
        merged = dict(old.get(key, {}))
        merged.update(new.get(key, {}))
        new[key] = merged
    return new


def parse(argv: list[str] | None) -> tuple[Plan, argparse.Namespace]:
    from bench.journeys import JOURNEYS

    ap = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    ap.add_argument("--label", default=os.environ.get("LABEL") or "latest",
                    help="results/<label>.json; the report shows labels side by side (before, after, ...)")
    ap.add_argument("--quick", action="store_true", help="a smoke run of a few seconds per journey")
    ap.add_argument("--journey", action="append", choices=sorted(JOURNEYS), help="only this journey (repeatable)")
    ap.add_argument("--db", action="append", choices=["sqlite", "postgresql"], help="only this database")
    ap.add_argument("--clients", default="", help="concurrent clients, e.g. 1,10,50")
    ap.add_argument("--reps", type=int, default=0, help="repetitions per cell (default 3)")
    ap.add_argument("--duration", type=float, default=0.0, help="seconds per cell (default 4)")
    ap.add_argument("--load-procs", type=int, default=1, help="load-generator processes per cell")
    ap.add_argument("--no-workers2", action="store_true", help="skip the two-process registration runs")
    ap.add_argument("--no-sqlcount", action="store_true", help="skip counting SQL statements")
    ap.add_argument("--events", type=int, default=-1,
                    help="permit events through the outbox and the cards' handler (default 100,000; 0: skip)")
    ap.add_argument("--no-report", action="store_true", help="do not rewrite bench/REPORT.md")
    ap.add_argument("--results", default=str(RESULTS), help="folder of the results files")
    ap.add_argument("--note", default="", help="a sentence about this run for the report (the machine's load ...)")
    a = ap.parse_args(argv)
    quick = a.quick
    plan = Plan(
        label=a.label, dbs=a.db or ["sqlite", "postgresql"], journeys=a.journey or list(JOURNEYS),
        clients=[int(c) for c in a.clients.split(",") if c] or ([1, 4] if quick else [1, 10, 50]),
        reps=a.reps or (1 if quick else 3), duration=a.duration or (1.0 if quick else 4.0), load_procs=a.load_procs,
        workers2=not (a.no_workers2 or quick), sqlcount=not (a.no_sqlcount or quick), startup_reps=1 if quick else 3,
        max_pool=300 if quick else 6000,
        events=a.events if a.events >= 0 else (2000 if quick else 100_000),
    )
    return plan, a


def main(argv: list[str] | None = None) -> dict[str, Any]:
    plan, a = parse(argv)
    pg = pg_server_url() if "postgresql" in plan.dbs else None
    if pg is None and "postgresql" in plan.dbs:
        plan.dbs = [d for d in plan.dbs if d != "postgresql"]
    tmp = Path(tempfile.mkdtemp(prefix="permitcard-bench-"))
    bench = Bench(plan, tmp)
    started = datetime.now(UTC)
    result: dict[str, Any] = {
        "label": plan.label, "started": started.isoformat(timespec="seconds"), "machine": machine(),
        "versions": versions(pg), "git": _git(),
        "plan": {"clients": plan.clients, "reps": plan.reps, "duration_s": plan.duration,
                 "load_procs": plan.load_procs, "sessions_per_role": SESSIONS_PER_ROLE, "quick": a.quick},
        "startup_s": {}, "rss": {}, "sqlcount": {}, "cells": bench.cells, "note": a.note, "permit_events": {},
    }
    if plan.sqlcount:
        for db in plan.dbs:
            log(f"{db}: counting SQL statements per step (in-process)")
            url = None
            if db == "postgresql":
                assert pg is not None
                with fresh_pg_database(pg, "permitcard_sqlcount") as url:
                    result["sqlcount"][db] = _in_subprocess_count(url)
            else:
                result["sqlcount"][db] = _in_subprocess_count(url)
    for db in plan.dbs:
        extra = run_database(bench, db, pg)
        result["startup_s"][db] = extra["startup_s"]
        result["rss"][db] = extra["rss"]
    if plan.events:
        for db in plan.dbs:
            log(f"{db}: {plan.events:,} permit events through the outbox and the cards' handler")
            result["permit_events"][db] = _permit_events(db, pg, plan.events, write_file=not a.quick)
    result["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
    out_dir = Path(a.results)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{plan.label}.json"
    result = merge_results(path, result, plan)
    path.write_text(json.dumps(result, indent=1, sort_keys=True) + "\n")
    log(f"results: {path}")
    if not a.no_report:
        from bench.report import write_report

        log(f"report: {write_report(out_dir)}")
    failed = [c for c in bench.cells if c["errors"] or not c["done"]]
    if failed or os.environ.get("BENCH_KEEP"):  # the servers' logs and databases, to look into
        log(f"kept the servers' databases and logs: {tmp}")
    else:  # hundreds of MB a run
        shutil.rmtree(tmp, ignore_errors=True)
    if failed:
        log(f"{len(failed)} cells had failed journeys or finished none, e.g. {failed[0]['error_samples'][:1]}")
        if a.quick:
            sys.exit(1)
    return result


def _permit_events(db: str, pg: str | None, events: int, *, write_file: bool) -> dict[str, Any]:
    """bench/permit_events.py in a process of its own (a fresh database, dropped at exit on PostgreSQL)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PERMITCARD_") and k != "DATABASE_URL"}
    env.pop("BENCH_DATABASE_URL", None)
    if db == "postgresql" and pg:
        env["BENCH_DATABASE_URL"] = pg
    argv = [sys.executable, "-m", "bench.permit_events", "--events", str(events), "--json",
            *([] if write_file else ["--no-file"])]
    out = subprocess.run(argv, env={**env, "PYTHONPATH": str(ROOT)}, cwd=ROOT, check=True, capture_output=True,
                         text=True)
    result = dict(json.loads(out.stdout.strip().splitlines()[-1]))
    from bench.permit_events import best_ratio

    log(f"  {db}: handler {result['handler'][str(result['worker_batch'])]:,.0f}/s, raw (same writes) "
        f"{result['raw_same']:,.0f}/s: {best_ratio(result):.2f}×")
    return result


def _in_subprocess_count(url: str | None) -> dict[str, Any]:
    """sqlcount in a process of its own (it sets the app's environment for itself)."""
    code = "import json,sys; from bench.sqlcount import count; json.dump(count(sys.argv[1] or None), sys.stdout)"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PERMITCARD_") and k != "DATABASE_URL"}
    out = subprocess.run([sys.executable, "-c", code, url or ""], env=env, cwd=ROOT, check=True, capture_output=True)
    return dict(json.loads(out.stdout))


def _git() -> str:
    try:
        return subprocess.run(["git", "log", "-1", "--format=%h %s"], cwd=ROOT, capture_output=True, text=True,
                              timeout=10).stdout.strip()[:100]
    except OSError:
        return "?"


if __name__ == "__main__":
    main()
