"""The benchmark's own parts, fast: its HTTP client, its bare app driven by the journeys, its report.

The whole harness (servers, preparation, load processes) is `make bench-smoke`: it migrates, seeds
and starts two servers, which takes tens of seconds on a shared machine — too slow for `make test`.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from bench import bare
from bench.client import Conn, sign_in, totp_code
from bench.journeys import JOURNEYS, ROLE_EMAILS
from bench.report import write_report
from bench.run import pct
from bench.sqlcount import InProcessConn
from starlette.testclient import TestClient


def _run(go):  # type: ignore[no-untyped-def]
    """asyncio.run in a thread of its own: a browser test earlier in the session (Playwright's sync API)
    leaves an event loop running in this one."""
    import threading

    errors: list[BaseException] = []

    def target() -> None:
        try:
            asyncio.run(go())
        except BaseException as exc:  # re-raised in the test's thread
            errors.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]


def test_client_keeps_one_connection_for_sized_and_chunked_answers() -> None:
    connections = []

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(writer)
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 21\r\nSet-Cookie: pc_session=abc; Path=/\r\n\r\n"
                     b'{"csrf_token": "tok"}')
        head = await reader.readuntil(b"\r\n\r\n")
        assert b"Cookie: pc_session=abc" in head and b"X-CSRF-Token: tok" in head
        await reader.readexactly(int(head.split(b"Content-Length: ")[1].split(b"\r\n")[0]))
        writer.write(b"HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{\"a\":\r\n2\r\n1}\r\n0\r\n\r\n")
        await writer.drain()
        await reader.read()

    async def go() -> None:
        server = await asyncio.start_server(handler, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        conn = Conn(port)
        account = await sign_in(conn, "hr@example.com", "pw")
        assert account.cookies == {"pc_session": "abc"} and account.csrf == "tok"
        assert await conn.json("POST", "/x", {"b": 2}, account=account, expect=(201,)) == {"a": 1}
        await conn.close()
        server.close()
        await server.wait_closed()

    _run(go)
    assert len(connections) == 1


def test_totp_is_rfc_6238() -> None:
    secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"  # "12345678901234567890", the RFC's SHA-1 key
    assert totp_code(secret, at=59, digits=8) == "94287082"
    assert totp_code(secret, at=1111111109, digits=8) == "07081804"


def test_percentiles_are_nearest_rank_in_milliseconds() -> None:
    values = [i / 1000 for i in range(1, 101)]  # 1..100 ms
    assert pct(values, 50) == 50.0 and pct(values, 95) == 95.0 and pct([], 50) == 0.0


def test_the_journeys_run_against_the_bare_app(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/bare.db"
    bare.create_schema(url)
    bare._db = bare.DB(url)
    try:
        with TestClient(bare.app, base_url="http://127.0.0.1") as client:
            conn = InProcessConn(client, [])

            async def go() -> None:
                acc = {role: await sign_in(conn, email, "x") for role, email in ROLE_EMAILS.items()}  # type: ignore[arg-type]
                for key, journey in enumerate(JOURNEYS.values(), start=1):
                    item = await journey.prepare(conn, acc, key) if journey.prepare else {"key": key}  # type: ignore[arg-type]
                    rec: list[tuple[str, float]] = []
                    await journey.run(conn, acc, item, rec)  # type: ignore[arg-type]
                    assert [s for s, _ in rec] == list(journey.steps)

            _run(go)
        c = bare._connect(url)
        audits = dict(c.execute("SELECT action, count(*) FROM bare_audit GROUP BY action").fetchall())
        outbox = c.execute("SELECT count(*) FROM bare_outbox").fetchone()[0]
        c.close()
    finally:
        bare._db = None
    # permits approved: the permit journey, and one prepared for each of the others; registrations: the
    # registration journey's and the one prepared for the card; one extension filed
    assert audits["permit_application.approve"] == 4 and audits["insurance_registration.register"] == 2
    assert audits["card.activate"] == 1 and audits["permit_application.filed"] == 1
    assert outbox == 4 + 2 + 3  # approvals, registrations, produce/hand-over/activate


def _cell(label_rate: float, target: str, clients: int, journey: str = "registration") -> dict:
    return {"db": "sqlite", "journey": journey, "target": target, "workers": 1, "clients": clients, "rep": 0,
            "done": 10, "elapsed": 1.0, "rate": label_rate, "p50": 1000 / label_rate, "p95": 2000 / label_rate,
            "steps": {"register": {"n": 10, "p50": 1000 / label_rate, "p95": 2000 / label_rate}}, "errors": 0,
            "error_samples": [], "load_cpu": 0.05, "load_procs": 1, "wall": 1.0, "server_cpu": 0.9, "short": False,
            "loadavg": 1.0, "other_cpu": 0.1}


def test_the_report_puts_labels_side_by_side_with_the_targets(tmp_path: Path) -> None:
    for label, app_rate in (("before", 25.0), ("after", 400.0)):
        run = {"label": label, "plan": {"quick": False, "reps": 1, "clients": [1, 10]}, "machine": {"cores": 2},
               "versions": {}, "startup_s": {"sqlite": [3.0]}, "rss": {},
               "sqlcount": {"sqlite": {"journeys": {"registration": {"register": {
                   "total": 39 if label == "before" else 9, "kinds": {}, "writes": {}}}}}},
               "cells": [_cell(app_rate, "app", 1), _cell(800.0, "bare", 1), _cell(app_rate, "app", 10),
                         _cell(900.0, "bare", 10)]}
        (tmp_path / f"{label}.json").write_text(json.dumps(run))
    text = write_report(tmp_path).read_text()
    targets = text.split("## Targets")[1].split("\n## ")[0]
    assert "| target | goal | before | after |" in targets
    assert "40.0 ms — missed: 8.0× over" in targets and "2.5 ms — met" in targets
    assert "25.0 /s — missed: 12.0× short" in targets and "400.0 /s — met" in targets
    assert "39 (SQLite) — missed: 3.9× over" in targets and "9 (SQLite) — met" in targets
