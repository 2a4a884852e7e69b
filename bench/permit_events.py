"""`make bench-permit-events`: permit events reaching the cards, beside raw batched SQL doing the same updates.

A generated population (``permitcard generate``) gives people with permits and cards. Each round
changes every one of those permits in the registry (a new version and position, as an approved change
does) and publishes one ``PermitChanged`` per permit into the outbox; then the timed part:

* **handler**: ``outbox.dispatch`` (what ``permitcard worker`` runs, with its batch size) delivers the
  events to the cards' handler, which loads the registry's current version onto each card (version
  guarded, audited) and marks each message delivered;
* **raw SQL**: the same card updates and the same messages marked processed by hand-written batched
  SQL (one ``UPDATE card … FROM`` the registry per 1,000 permits, one ``UPDATE outbox_message``), no
  audit, no guard.

Events per second of each and their ratio (target ≥ 0.25×). ``--events`` (default 100,000) in all.
SQLite by default; BENCH_DATABASE_URL=postgresql://... for PostgreSQL (a database of its own, dropped
at exit). The report goes to bench/REPORT-permit-events-<database>.md and stdout.
"""

from __future__ import annotations

import argparse
import atexit
import hashlib
import hmac
import json
import math
import os
import platform
import secrets
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
TMP = Path(tempfile.mkdtemp(prefix="permitcard-bench-events-"))
if not os.environ.get("BENCH_KEEP"):  # its SQLite database: tens of MB a run
    atexit.register(shutil.rmtree, TMP, True)
os.environ.setdefault("PERMITCARD_VAR_DIR", str(TMP))
os.environ.setdefault("PERMITCARD_DATA_KEY", "q2XlGx3V7yq1n0c7o5cV0r3Hc4o0w9m6G1m2k4b7s8A=")
DB_URL = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{TMP}/bench.db"
os.environ["DATABASE_URL"] = DB_URL

from sqlalchemy import bindparam, func, select, text, update  # noqa: E402

from bench.pgdb import own_database  # noqa: E402
from permitcard.db import Database, make_engine  # noqa: E402

CHUNK = 1000


def _targets(db: Database) -> list[tuple[int, str, int]]:
    """(permit id, permit number, employer id) of every current permit carried by a card."""
    from permitcard.cards.models import Card
    from permitcard.permits.models import Permit, PermitPerson

    with db.uow(write=False) as s:
        carried = set(s.execute(select(Card.permit_number).where(Card.permit_number.is_not(None))).scalars())
        rows = s.execute(select(Permit.id, PermitPerson.permit_number, Permit.employer_id)
                         .join(PermitPerson, Permit.person_id == PermitPerson.id)
                         .order_by(PermitPerson.permit_number, Permit.issued_at.desc(), Permit.id.desc())).all()
    seen: dict[str, tuple[int, str, int]] = {}
    for pid, number, employer in rows:
        if number in carried:
            seen.setdefault(number, (pid, number, employer))
    return list(seen.values())


def _change_all(db: Database, targets: list[tuple[int, str, int]], round_no: int, count: int) -> list[int]:
    """The registry changes ``count`` permits (one new version each) and publishes their events."""
    from permitcard.permits.events import PermitChanged
    from permitcard.permits.models import Permit
    from permitcard.shared import outbox
    from permitcard.shared.models import OutboxMessage

    chosen = targets[:count]
    with db.uow() as s:
        for i in range(0, len(chosen), CHUNK):
            ids = [t[0] for t in chosen[i:i + CHUNK]]
            s.execute(update(Permit).where(Permit.id.in_(ids))
                      .values(version=Permit.version + 1, position=f"Bench position {round_no}"))
        versions = dict(s.execute(select(Permit.id, Permit.version).where(
            Permit.id.in_([t[0] for t in chosen[:CHUNK]]))).all())
        first = s.scalar(select(func.coalesce(func.max(OutboxMessage.id), 0)))
        for pid, number, employer in chosen:
            outbox.publish(s, PermitChanged(permit_number=number, permit_id=pid, employer_id=employer,
                                            version=versions.get(pid, 0), change="modified"))
        s.commit()
        last = s.scalar(select(func.max(OutboxMessage.id)))
    return list(range(int(first or 0) + 1, int(last or 0) + 1))


def _handler(db: Database, batch: int) -> None:
    from permitcard.shared import outbox

    while outbox.dispatch(db, limit=batch):
        pass


def _raw(db: Database, targets: list[tuple[int, str, int]], message_ids: list[int], count: int, *,
         audited: bool) -> None:
    current = ("(SELECT p.{col} FROM permit p JOIN permit_person pp ON p.person_id = pp.id "
               "WHERE pp.permit_number = card.permit_number ORDER BY p.issued_at DESC, p.id DESC LIMIT 1)")
    columns = {"position": "position", "permit_version": "version", "permit_valid_to": "valid_to_date",
               "permit_status": "status"}
    assignments = ", ".join(f"{card_col} = {current.format(col=col)}" for card_col, col in columns.items())
    sql = text(f"UPDATE card SET {assignments}, permit_refreshed_at = :now "  # noqa: S608 - fixed names
               "WHERE permit_number IN :numbers").bindparams(bindparam("numbers", expanding=True))
    done = text("UPDATE outbox_message SET processed_at = :now, attempts = attempts + 1 "
                "WHERE id IN :ids").bindparams(bindparam("ids", expanding=True))
    from permitcard.shared import clock

    numbers = [t[1] for t in targets[:count]]
    for i in range(0, len(numbers), CHUNK):  # one transaction per chunk, as the worker commits each batch
        with db.engine.begin() as c:
            chunk = numbers[i:i + CHUNK]
            before = c.execute(_BEFORE, {"numbers": chunk}).all() if audited else []
            c.execute(sql, {"now": clock.now(), "numbers": chunk})
            if before:
                c.execute(_AUDIT, [_audit_row(row) for row in before])
            c.execute(done, {"now": clock.now(), "ids": message_ids[i:i + CHUNK]})


# The same writes with the audit: each changed card's before (its columns) and after (the registry's current
# permit) read in one SELECT, one keyed audit row per card inserted in one executemany (HMAC over the row's
# JSON, as bench/bare.py keys its rows).
_BEFORE = text(
    "SELECT card.id, card.permit_status, card.permit_version, card.permit_valid_to, p.status, p.version, "
    "p.valid_to_date FROM card JOIN permit_person pp ON pp.permit_number = card.permit_number "
    "JOIN permit p ON p.id = (SELECT p2.id FROM permit p2 WHERE p2.person_id = pp.id "
    "ORDER BY p2.issued_at DESC, p2.id DESC LIMIT 1) "
    "WHERE card.permit_number IN :numbers AND (card.permit_version IS NULL OR card.permit_version < p.version)"
).bindparams(bindparam("numbers", expanding=True))
_AUDIT = text("INSERT INTO audit_log (at, actor_id, actor_role, actor_label, ip, action, target_type, target_id, "
              "before, after, note, nonce, key_id, mac) VALUES (:at, NULL, 'system', 'bench', '', "
              "'card.permit_refreshed', 'card', :target_id, :before, :after, '', :nonce, 'bench', :mac)")
_KEY = secrets.token_bytes(32)


def _audit_row(row: Any) -> dict[str, Any]:
    from permitcard.shared import clock

    before = json.dumps({"permit_status": row[1], "permit_version": row[2], "permit_valid_to": str(row[3])})
    after = json.dumps({"permit_status": row[4], "permit_version": row[5], "permit_valid_to": str(row[6])})
    nonce = secrets.token_hex(16)
    mac = hmac.new(_KEY, f"card|{row[0]}|{before}|{after}|{nonce}".encode(), hashlib.sha256).hexdigest()
    return {"at": clock.now(), "target_id": str(row[0]), "before": before, "after": after, "nonce": nonce,
            "mac": mac}


def _run(db: Database, targets: list[tuple[int, str, int]], events: int, mode: str, batch: int) -> float:
    """Events per second of ``mode`` over ``events`` events (rounds of one event per permit)."""
    per_round = len(targets)
    rounds = math.ceil(events / per_round)
    spent, sent = 0.0, 0
    for r in range(rounds):
        count = min(per_round, events - sent)
        ids = _change_all(db, targets, r, count)
        start = time.perf_counter()
        if mode == "handler":
            _handler(db, batch)
        else:
            _raw(db, targets, ids, count, audited=mode == "raw+audit")
        spent += time.perf_counter() - start
        sent += count
        print(f"  {mode}: round {r + 1}/{rounds}, {sent:,} events, {sent / spent:,.0f}/s", flush=True)
    return sent / spent


def _check(db: Database, targets: list[tuple[int, str, int]]) -> None:
    """Every card carries its permit's latest version; no message left."""
    from permitcard.cards.models import Card
    from permitcard.shared import outbox

    with db.uow(write=False) as s:
        assert not outbox.pending(s), "messages left undelivered"
        stale = s.scalar(text("SELECT count(*) FROM card JOIN permit_person pp ON pp.permit_number = "
                              "card.permit_number JOIN permit p ON p.person_id = pp.id "
                              "WHERE card.permit_version < p.version"))
        assert not stale, f"{stale} cards behind the registry"
        assert (s.scalar(select(func.count()).select_from(Card)) or 0) >= len(targets)


def measure(events: int, people: int) -> dict[str, Any]:
    """Generate, then time the handler (the worker's batch, and PostgreSQL's on SQLite) and both raw paths."""
    global DB_URL
    if DB_URL.startswith("postgres"):
        DB_URL = own_database(DB_URL, "permitcard_bench_events")
        os.environ["DATABASE_URL"] = DB_URL
    from permitcard.bootstrap import bootstrap
    from permitcard.devtools.generate import generate
    from permitcard.migrate import upgrade
    from permitcard.shared import outbox

    load = os.getloadavg()[0]
    bootstrap()
    upgrade(DB_URL)
    engine = make_engine(DB_URL)
    db = Database(engine)
    started = time.perf_counter()
    generate(engine, people=people, seed=3)
    targets = _targets(db)
    print(f"{people:,} people generated, {len(targets):,} permits on cards "
          f"({time.perf_counter() - started:.0f} s)", flush=True)
    batch = outbox.SQLITE_BATCH if db.is_sqlite else outbox.BATCH  # what `permitcard worker` uses
    handled: dict[str, float] = {}
    for size in dict.fromkeys([batch, outbox.BATCH]):  # SQLite: also the batch PostgreSQL's workers take
        handled[str(size)] = _run(db, targets, events, "handler", size)
        _check(db, targets)
    raw = _run(db, targets, events, "raw", batch)
    _check(db, targets)
    same = _run(db, targets, events, "raw+audit", batch)
    _check(db, targets)
    engine.dispose()
    return {"db": "sqlite" if db.is_sqlite else "postgresql", "events": events, "people": people,
            "permits": len(targets), "worker_batch": batch, "handler": handled, "raw_cards": raw, "raw_same": same,
            "load": [round(load, 2), round(os.getloadavg()[0], 2)], "python": platform.python_version(),
            "cores": os.cpu_count()}


TARGET = 0.25


def best_ratio(r: dict[str, Any]) -> float:
    """The worker's batch against raw SQL doing the same writes (the issue's target)."""
    return float(r["handler"][str(r["worker_batch"])]) / float(r["raw_same"])


def render(r: dict[str, Any]) -> str:
    same, raw, batch = r["raw_same"], r["raw_cards"], r["worker_batch"]
    lines = [f"| outbox → cards handler (batch {size}{' = the worker' if int(size) == batch else ''}, audited, "
             f"version-guarded) | {eps:,.0f} | {eps / same:.2f}× | {eps / raw:.2f}× |"
             for size, eps in r["handler"].items()]
    machine = ("a quiet machine" if max(r["load"]) < 1.5 else
               "**a machine shared with other work** (compare the ratios, not the absolute numbers)")
    ratio = best_ratio(r)
    return "\n".join([
        f"# Permit events reaching the cards ({r['db']})", "",
        f"{r['events']:,} `PermitChanged` events over {r['permits']:,} permits carried by cards "
        f"(a population of {r['people']:,} generated people), Python {r['python']} on {r['cores']} cores, "
        f"{machine}: load average {r['load'][0]:.1f} at the start, {r['load'][1]:.1f} at the end. "
        "`make bench-permit-events`; `make bench` runs it too.", "",
        "| path | events/s | ÷ raw, same writes | ÷ raw, cards only |", "|---|---:|---:|---:|", *lines,
        f"| raw batched SQL, the same writes (1,000 per transaction: card UPDATE, one keyed audit row per card, "
        f"messages marked) | {same:,.0f} | 1.00× | {same / raw:.2f}× |",
        f"| raw batched SQL, cards only (1,000 per transaction, no audit, no guard) | {raw:,.0f} | {raw / same:.2f}× "
        "| 1.00× |", "",
        f"Target: the worker ≥ {TARGET}× of raw SQL doing the same writes — {'met' if ratio >= TARGET else 'NOT met'} "
        f"({ratio:.2f}×).", "", *EXPLAINED, ""])


EXPLAINED = [
    "The handler per batch: one claim of the messages (plain rows, `FOR UPDATE SKIP LOCKED` on PostgreSQL), "
    "one read of the registry's current permits through the registry port (`get_many`), one read of the "
    "cards' permit columns, one guarded executemany UPDATE, one executemany of keyed audit rows (canonical "
    "JSON and HMAC per row), one UPDATE marking the messages, one commit. The raw SQL joins the registry's "
    "tables inside its UPDATE, which the card side may not do (it reads the registry only through "
    "`shared.registry`, so a deployment can point it at the national system); its audit row is keyed over a "
    "plain string rather than the canonical row. The ratio that counts is against the raw SQL doing the same "
    "writes; the one against card updates alone shows what the audit costs. SQLite's worker takes "
    "`outbox.SQLITE_BATCH` messages per transaction to keep write locks short (a web request waits at most one "
    "batch); part of a batch's cost is fixed, hence the line with the batch PostgreSQL's workers take.",
]


def section(runs: dict[str, dict[str, Any]]) -> list[str]:
    """bench/REPORT.md's part: each label's permit-event figures (results' "permit_events")."""
    rows = [(label, r) for label, run in runs.items() for r in run.get("permit_events", {}).values()]
    if not rows:
        return []
    out = ["## Permit events reaching the cards (issue 7)", "",
           "Each `PermitChanged` through the outbox and the cards' handler (bench/permit_events.py, in-process on "
           "a generated population), beside raw batched SQL doing the same writes.", "",
           "| label | database | events | worker batch | handler /s | raw, same writes /s | ratio (≥ 0.25×) "
           "| raw, cards only /s | load |", "|---|---|---:|---:|---:|---:|---:|---:|---|"]
    for label, r in rows:
        eps = r["handler"][str(r["worker_batch"])]
        out.append(f"| {label} | {r['db']} | {r['events']:,} | {r['worker_batch']} | {eps:,.0f} | "
                   f"{r['raw_same']:,.0f} | {best_ratio(r):.2f}× | {r['raw_cards']:,.0f} | "
                   f"{r['load'][0]:.1f}–{r['load'][1]:.1f} |")
    return [*out, "", *EXPLAINED, ""]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--json", action="store_true", help="print the result as JSON on the last line")
    parser.add_argument("--no-file", action="store_true", help="do not write bench/REPORT-permit-events-*.md")
    args = parser.parse_args()
    result = measure(args.events, args.people)
    report = render(result)
    if not args.no_file:
        (ROOT / "bench" / f"REPORT-permit-events-{result['db']}.md").write_text(report, encoding="utf-8")
    print(report)
    if args.json:
        print(json.dumps(result, sort_keys=True))


if __name__ == "__main__":
    main()
