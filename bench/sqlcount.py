"""SQL statements per journey step, counted in one in-process run (SQLAlchemy before_cursor_execute).

The same journey code as the HTTP bench drives the app through Starlette's TestClient, so what is
counted is exactly one request of each step (session lookup, use case, read-back), nothing else.
`python -m bench.sqlcount [DATABASE_URL]` prints the table; bench/run.py stores it with the results.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import os
import re
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from bench.client import Account, Response, sign_in

_KIND = re.compile(r"^\s*(\w+)")
_TABLE = re.compile(r"^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+\"?(\w+)", re.IGNORECASE)


class InProcessConn:
    """Looks like bench.client.Conn, answers through TestClient, and keeps the SQL of each request."""

    def __init__(self, client: Any, statements: list[str]) -> None:
        self.client, self.statements = client, statements
        self.per_request: list[tuple[str, list[str]]] = []

    async def request(self, method: str, path: str, body: bytes = b"", *, account: Account | None = None,
                      content_type: str = "application/json") -> Response:
        headers = {"content-type": content_type, "accept-language": "en"}
        if account is not None:
            headers["cookie"] = "; ".join(f"{k}={v}" for k, v in account.cookies.items())
            headers["x-csrf-token"] = account.csrf
        self.client.cookies.clear()
        self.statements.clear()
        r = self.client.request(method, path, content=body or None, headers=headers)
        self.per_request.append((f"{method} {path}", list(self.statements)))
        return Response(r.status_code, [(k.lower(), v) for k, v in r.headers.multi_items()], r.content)

    async def json(self, method: str, path: str, payload: Any = None, *, account: Account | None = None,
                   expect: tuple[int, ...] = (200, 201), what: str = "") -> Any:
        from bench.client import HTTPError

        r = await self.request(method, path, json.dumps(payload).encode() if payload is not None else b"",
                               account=account)
        if r.status not in expect:
            raise HTTPError(what or path, r)
        return r.json()

    async def close(self) -> None:
        return None


def classify(statements: list[str]) -> dict[str, Any]:
    kinds: Counter[str] = Counter()
    written: Counter[str] = Counter()
    for sql in statements:
        m = _KIND.match(sql)
        kind = (m.group(1).upper() if m else "?")
        if kind == "WITH":
            kind = "SELECT"
        if kind in ("RELEASE", "ROLLBACK") and "SAVEPOINT" in sql.upper():
            kind = "SAVEPOINT"
        kinds[kind] += 1
        t = _TABLE.match(sql)
        if t:
            written[f"{kind} {t.group(1)}"] += 1
    return {"total": len(statements), "kinds": dict(kinds), "writes": dict(written)}


def count(database_url: str | None = None) -> dict[str, Any]:
    """Run each journey once in-process on a fresh database; statements per step."""
    tmp = Path(tempfile.mkdtemp(prefix="permitcard-sqlcount-"))
    os.environ.setdefault("PERMITCARD_VAR_DIR", str(tmp))
    os.environ.setdefault("PERMITCARD_DATA_KEY", "q2XlGx3V7yq1n0c7o5cV0r3Hc4o0w9m6G1m2k4b7s8A=")
    url = database_url or f"sqlite:///{tmp}/sqlcount.db"
    os.environ["DATABASE_URL"] = url

    from fastapi.testclient import TestClient
    from sqlalchemy import event

    from permitcard.config import get_settings
    from permitcard.db import Database, make_engine
    from permitcard.main import create_app
    from permitcard.migrate import upgrade

    get_settings.cache_clear()
    upgrade(url)
    db = Database(make_engine(url))
    from bench.run import seed_accounts

    passwords = seed_accounts(db)
    statements: list[str] = []
    event.listen(db.engine, "before_cursor_execute",
                 lambda conn, cursor, statement, params, context, executemany: statements.append(statement))
    # No outbox delivery in this process: only the requests' statements are counted (older versions
    # ran the outbox inside the web process unless told not to).
    inline: dict[str, Any] = {}
    if "inline_worker" in inspect.signature(create_app).parameters:
        inline["inline_worker"] = False
    app = create_app(get_settings(), db, **inline)
    from bench import journeys

    async def go(conn: InProcessConn) -> dict[str, Any]:
        acc = {role: await sign_in(conn, email, passwords[email]["password"],  # type: ignore[arg-type]
                                   totp_secret=passwords[email].get("totp"))
               for role, email in journeys.ROLE_EMAILS.items()}
        out: dict[str, Any] = {}
        for name, key in (("permit", 900_001), ("registration", 900_002), ("card", 900_003), ("extension", 900_004)):
            j = journeys.JOURNEYS[name]
            item = await j.prepare(conn, acc, key) if j.prepare else {"key": key}  # type: ignore[arg-type]
            conn.per_request.clear()
            await j.run(conn, acc, item, [])  # type: ignore[arg-type]
            out[name] = {step: {"request": req, **classify(sql)}
                         for step, (req, sql) in zip(j.steps, conn.per_request, strict=True)}
        return out

    with TestClient(app, base_url="http://127.0.0.1") as client:
        result = asyncio.run(go(InProcessConn(client, statements)))
    db.engine.dispose()
    return {"database": url.split(":", 1)[0], "journeys": result}


def main() -> None:
    result = count(sys.argv[1] if len(sys.argv) > 1 else None)
    for name, steps in result["journeys"].items():
        for step, c in steps.items():
            print(f"{name:13} {step:10} {c['total']:3}  {c['kinds']}")
            for w, n in sorted(c["writes"].items()):
                print(f"{'':28}{n} × {w}")


if __name__ == "__main__":
    main()
