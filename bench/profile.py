"""Where a registration's time goes: `python -m bench.profile [N] [DATABASE_URL]`, in-process.

Prepares N registrations (permit filed and approved through the API), then runs the registration
request N times through Starlette's TestClient. The app runs in the TestClient's thread and the
use case in the thread pool, so sample every thread from outside with py-spy:

    py-spy record -r 250 -f raw -o /tmp/reg.txt -- .venv/bin/python -m bench.profile 300
    python -m bench.profile --summary /tmp/reg.txt     # own and inclusive share per function

(the preparation is in the samples too: the summary counts only stacks under the registration
endpoint). The outbox worker then delivers what the registrations published, timed on its own
(`--summary /tmp/reg.txt worker.py` for its samples). Another journey: BENCH_JOURNEY=permit (its
samples under `permits/api.py`), card, extension.
"""

from __future__ import annotations

import asyncio
import collections
import os
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.client import sign_in
from bench.sqlcount import InProcessConn


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    tmp = Path(tempfile.mkdtemp(prefix="permitcard-profile-"))
    os.environ.setdefault("PERMITCARD_VAR_DIR", str(tmp))
    os.environ.setdefault("PERMITCARD_DATA_KEY", "q2XlGx3V7yq1n0c7o5cV0r3Hc4o0w9m6G1m2k4b7s8A=")
    url = sys.argv[2] if len(sys.argv) > 2 else f"sqlite:///{tmp}/profile.db"
    os.environ["DATABASE_URL"] = url
    from fastapi.testclient import TestClient

    from bench import journeys
    from bench.run import seed_accounts
    from permitcard.config import get_settings
    from permitcard.db import Database, make_engine
    from permitcard.main import create_app
    from permitcard.migrate import upgrade

    get_settings.cache_clear()
    upgrade(url)
    db = Database(make_engine(url))
    passwords = seed_accounts(db)
    app = create_app(get_settings(), db)
    j = journeys.JOURNEYS[os.environ.get("BENCH_JOURNEY", "registration")]

    async def go(conn: InProcessConn) -> float:
        acc = {role: await sign_in(conn, email, passwords[email]["password"],  # type: ignore[arg-type]
                                   totp_secret=passwords[email].get("totp"))
               for role, email in journeys.ROLE_EMAILS.items()}
        items: list[Any] = [await j.prepare(conn, acc, 800_000 + k) if j.prepare else {"key": k}  # type: ignore[arg-type]
                            for k in range(n)]
        t = time.perf_counter()
        for item in items:
            await j.run(conn, acc, item, [])  # type: ignore[arg-type]
        return time.perf_counter() - t

    with TestClient(app, base_url="http://127.0.0.1") as client:
        took = asyncio.run(go(InProcessConn(client, [])))
    print(f"{n} {j.name} journeys in {took:.2f} s ({took / n * 1000:.1f} ms each), load {os.getloadavg()[0]:.1f}")
    # Then what the outbox worker does with what they published (the marker for --summary: worker.py).
    from permitcard import worker

    t = time.perf_counter()
    delivered = worker.run(db, once=True)
    took = time.perf_counter() - t
    db.engine.dispose()
    print(f"worker: {delivered} messages in {took:.2f} s ({took / max(delivered, 1) * 1000:.2f} ms each, "
          f"{took / n * 1000:.2f} ms per registration)")


def summary(path: str, marker: str = "insurance/api.py", top: int = 40) -> None:
    """Own and inclusive samples per function, over the stacks that pass through ``marker``."""
    own: collections.Counter[str] = collections.Counter()
    incl: collections.Counter[str] = collections.Counter()
    total = 0
    for line in Path(path).read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = [re.sub(r":\d+\)$", ")", f) for f in stack.split(";")]  # one entry per function
        if not any(marker in f for f in frames):
            continue
        n = int(count)
        total += n
        own[frames[-1]] += n
        for f in set(frames):
            incl[f] += n
    print(f"{total} samples under {marker!r}")
    print("own:")
    for f, c in own.most_common(top):
        print(f"{100 * c / total:5.1f}%  {f}")
    print("inclusive (permitcard):")
    for f, c in [x for x in incl.most_common() if "permitcard" in x[0]][:top]:
        print(f"{100 * c / total:5.1f}%  {f}")


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--summary":
        summary(sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else "insurance/api.py")
    else:
        main()
