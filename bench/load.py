"""The load generator: a process of its own driving N concurrent clients (one keep-alive connection each).

`python -m bench.load` reads its task as JSON on stdin and writes what it measured as JSON on stdout:
per-step latencies, journeys done, wall time, errors, and its own CPU time (so the report can say
how much of the 2 cores the client took). Loops are bounded by a deadline and by the items given.
"""

from __future__ import annotations

import asyncio
import json
import resource
import sys
import time
from typing import Any

from bench.client import Account, Conn, HTTPError
from bench.journeys import JOURNEYS, Record


async def drive(task: dict[str, Any]) -> dict[str, Any]:
    journey = JOURNEYS[task["journey"]]
    port, clients = int(task["port"]), int(task["clients"])
    accounts = {role: [Account.from_dict(a) for a in accs] for role, accs in task["accounts"].items()}
    items: list[dict[str, Any]] = list(task.get("items") or [])
    keyed = journey.prepare is None  # items are made here from a key range
    next_key = int(task.get("key_base", 0))
    max_items = int(task.get("max_items", 10**9))
    deadline = time.perf_counter() + float(task["duration"])
    steps: dict[str, list[float]] = {s: [] for s in journey.steps}
    totals: list[float] = []
    errors: list[str] = []
    done = 0
    taken = 0
    last_finish = 0.0

    def take() -> dict[str, Any] | None:
        nonlocal next_key, taken
        if taken >= max_items or time.perf_counter() >= deadline:
            return None
        if keyed:
            next_key += 1
            taken += 1
            return {"key": next_key}
        if taken >= len(items):
            return None
        taken += 1
        return items[taken - 1]

    async def client(c: int) -> None:
        nonlocal done, last_finish
        acc = {role: accs[c % len(accs)] for role, accs in accounts.items()}
        conn = Conn(port)
        try:
            while (item := take()) is not None:
                rec: Record = []
                t = time.perf_counter()
                try:
                    await journey.run(conn, acc, item, rec)
                except (HTTPError, AssertionError, KeyError, OSError, asyncio.IncompleteReadError) as exc:
                    errors.append(f"{type(exc).__name__}: {exc}"[:300])
                    await conn.close()
                    continue
                last_finish = time.perf_counter()
                totals.append(last_finish - t)
                for name, seconds in rec:
                    steps[name].append(seconds)
                done += 1
        finally:
            await conn.close()

    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    start = time.perf_counter()
    await asyncio.gather(*(client(c) for c in range(clients)))
    end = time.perf_counter()
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "done": done, "elapsed": (last_finish or end) - start, "wall": end - start, "steps": steps,
        "totals": totals, "errors": len(errors), "error_samples": errors[:5],
        "cpu": (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime),
        "unused": [] if keyed else items[taken:], "key_end": next_key,
    }


def main() -> None:
    task = json.load(sys.stdin)
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    json.dump(asyncio.run(drive(task)), sys.stdout)


if __name__ == "__main__":
    main()
