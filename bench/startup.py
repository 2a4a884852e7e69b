"""Start to first answer and memory per process: `python -m bench.startup [--reps 5] [--requests 2000]`.

Starts `permitcard serve` (with its outbox worker beside it, as `make run` does) on a fresh, migrated
SQLite database (or DATABASE_URL's PostgreSQL with ``--db-url``), polls /healthz every 10 ms and
records for each start: the wall time from spawn to the first 200, and the CPU seconds the server
process had used by then (on a loaded machine the wall time is mostly waiting for a core; the CPU
time is what the start costs). Then it sends ``--requests`` requests over one keep-alive
connection to pages and API reads of both languages, waits for the processes to go idle, and
reads every process's RSS from /proc. The journeys' load (registrations, permits, cards) and the
RSS after it are in `make bench` (bench/REPORT.md); this is the quick check of the two targets.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.run import DATA_KEY, ROOT, Server, cmdline, cpu_seconds, free_port, rss_mb

PATHS = [("/healthz", "en"), ("/login", "en"), ("/login", "zh-CN"), ("/api/v1/branches", "en"),
         ("/", "zh-CN"), ("/openapi.json", "en")]


def load(port: int, n: int) -> int:
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    ok = 0
    for i in range(n):
        path, lang = PATHS[i % len(PATHS)]
        c.request("GET", path, headers={"Accept-Language": lang})
        r = c.getresponse()
        r.read()
        ok += r.status < 500
    c.close()
    return ok


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--db-url", default="")
    ap.add_argument("--json", default="", help="write the figures here too")
    a = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="permitcard-startup-"))
    url = a.db_url or f"sqlite:///{tmp}/app.db"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PERMITCARD_") and k != "DATABASE_URL"}
    env.update(DATABASE_URL=url, PERMITCARD_VAR_DIR=str(tmp), PERMITCARD_DATA_KEY=DATA_KEY,
               PERMITCARD_ENVIRONMENT="development", PYTHONPATH=f"{ROOT / 'src'}{os.pathsep}{ROOT}")
    subprocess.run([sys.executable, "-m", "permitcard.cli", "db", "upgrade"], env=env, cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    starts: list[dict[str, float]] = []
    after: list[dict[str, object]] = []
    for rep in range(a.reps):
        port = free_port()
        server = Server("serve", [sys.executable, "-m", "permitcard.cli", "serve", "--host", "127.0.0.1",
                                  "--port", str(port)], env, port, tmp / "serve.log")
        wall = server.start()
        assert server.proc is not None
        cpu = cpu_seconds([server.proc.pid])
        starts.append({"wall_s": round(wall, 3), "cpu_s": round(cpu, 2), "rss_mb": round(rss_mb(server.proc.pid), 1)})
        print(f"start {rep + 1}: {wall:.2f} s to first answer, {cpu:.2f} s CPU, load {os.getloadavg()[0]:.1f}",
              flush=True)
        if rep == a.reps - 1:
            t = time.perf_counter()
            ok = load(port, a.requests)
            took = time.perf_counter() - t
            server.quiesce()
            after = [{"pid": p, "cmd": cmdline(p), "rss_mb": round(rss_mb(p), 1)} for p in server.pids()]
            print(f"{ok}/{a.requests} requests in {took:.1f} s; RSS after: "
                  + "; ".join(f"{r['rss_mb']} MB {r['cmd']}" for r in after), flush=True)
        server.stop()
    walls, cpus = [s["wall_s"] for s in starts], [s["cpu_s"] for s in starts]
    out = {"db": url.split(":")[0], "starts": starts, "rss_after": after, "load_average": os.getloadavg(),
           "median_wall_s": statistics.median(walls), "median_cpu_s": statistics.median(cpus)}
    print(f"median start to first answer {out['median_wall_s']:.2f} s (min {min(walls):.2f}, max {max(walls):.2f}); "
          f"CPU {out['median_cpu_s']:.2f} s; largest RSS after {max(float(str(r['rss_mb'])) for r in after):.0f} MB; "
          f"load average {os.getloadavg()[0]:.1f}")
    if a.json:
        Path(a.json).write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
