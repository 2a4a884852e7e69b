"""`make bench-scale`: look-ups, queue pages and name search at 10,000 and 1,000,000 people.

For each database (SQLite, and PostgreSQL when BENCH_PG_URL or a local server answers) and each
size, a database with ``permitcard generate --people N`` is made once and kept (var/bench-scale/,
PostgreSQL databases ``permitcard_scale_N``; ``--fresh`` makes them again). Then each operation
runs through the application's own repositories and views (no HTTP: this measures the data layer)
on keys drawn from the generated people, and the report gives the median and p95 per operation
and the ratio of the largest size to the smallest. Results: bench/SCALE.md.

    python -m bench.scale --people 10000,1000000 [--db sqlite,postgresql] [--repeat 200] [--fresh]
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
VAR = ROOT / "var" / "bench-scale"
os.environ.setdefault("PERMITCARD_VAR_DIR", str(VAR))
os.environ.setdefault("PERMITCARD_DATA_KEY", "q2XlGx3V7yq1n0c7o5cV0r3Hc4o0w9m6G1m2k4b7s8A=")
PG_SERVER = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")

from sqlalchemy import func, select, text  # noqa: E402

from permitcard.bootstrap import bootstrap  # noqa: E402
from permitcard.cards import repository as cards_repo  # noqa: E402
from permitcard.cards import views as cards_views  # noqa: E402
from permitcard.cards.models import CardApplication  # noqa: E402
from permitcard.cards.repository import QueueFilter  # noqa: E402
from permitcard.db import Database, make_engine  # noqa: E402
from permitcard.devtools.generate import generate  # noqa: E402
from permitcard.insurance import repository as insurance_repo  # noqa: E402
from permitcard.insurance import views as insurance_views  # noqa: E402
from permitcard.insurance.models import InsurancePerson, InsuranceRegistration  # noqa: E402
from permitcard.migrate import upgrade  # noqa: E402
from permitcard.permits import repository as permits_repo  # noqa: E402
from permitcard.permits import views as permit_views  # noqa: E402
from permitcard.permits.models import PermitPerson  # noqa: E402
from permitcard.permits.registry import BuiltinRegistry  # noqa: E402
from permitcard.shared.audit import Actor  # noqa: E402
from permitcard.shared.crypto import blind_index  # noqa: E402

OFFICER = Actor(user_id=None, role="permit_officer", label="bench")
AGENCY = Actor(user_id=None, role="agency_clerk", label="bench")


@dataclass
class Keys:
    """What the look-ups ask for: real numbers and names of generated people."""

    permit_numbers: list[str]
    ssns: list[str]
    passports: list[tuple[str, str]]  # (nationality, passport)
    references: list[str]
    card_references: list[str]
    full_names: list[str]
    partial_names: list[str]


def database_url(db: str, people: int) -> str:
    if db == "sqlite":
        return f"sqlite:///{VAR}/sqlite-{people}.db"
    return PG_SERVER.rsplit("/", 1)[0] + f"/permitcard_scale_{people}"


def prepare(db: str, people: int, *, fresh: bool) -> tuple[Database, float | None]:
    """The database of this size, generated now if it is not there; and the generation time if it was."""
    url = database_url(db, people)
    VAR.mkdir(parents=True, exist_ok=True)
    if db == "postgresql":
        admin = make_engine(PG_SERVER, isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            name = f"permitcard_scale_{people}"
            exists = c.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first()
            if fresh and exists:
                c.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
            if fresh or not exists:
                c.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
    elif fresh:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{VAR}/sqlite-{people}.db{suffix}").unlink(missing_ok=True)
    engine = make_engine(url)
    upgrade(url)
    with engine.connect() as c:
        have = c.execute(select(func.count()).select_from(PermitPerson)).scalar_one()
    took = None
    if have < people:
        started = time.perf_counter()
        generate(engine, people=people - have, seed=people)
        took = time.perf_counter() - started
    return Database(engine), took


def sample_keys(db: Database, n: int) -> Keys:
    rng = random.Random(42)
    with db.uow(write=False) as s:
        top = s.execute(select(func.max(InsurancePerson.id))).scalar_one()
        ids = sorted({rng.randrange(1, top + 1) for _ in range(n)})
        people = s.execute(select(InsurancePerson).where(InsurancePerson.id.in_(ids))).scalars().all()
        refs = s.execute(select(InsuranceRegistration.reference)
                         .where(InsuranceRegistration.id.in_(ids))).scalars().all()
        cards = s.execute(select(CardApplication.reference).where(CardApplication.id.in_(ids))).scalars().all()
        return Keys([p.permit_number for p in people], [p.ssn for p in people],
                    [(p.nationality, p.passport_number) for p in people], list(refs), list(cards),
                    [f"{p.given_names} {p.family_name}" for p in people],
                    [f"{p.family_name[:4]} {p.given_names[:3]}" for p in people])


def timed(fn: Callable[[Any], Any], keys: list[Any], repeat: int, *, start: int = 0) -> list[float]:
    """Milliseconds of ``fn`` over ``repeat`` keys from the ``start``-th (after a warm-up)."""
    for k in keys[:5]:
        fn(k)
    samples = []
    for i in range(start, start + repeat):
        k = keys[i % len(keys)]
        began = time.perf_counter()
        fn(k)
        samples.append((time.perf_counter() - began) * 1000)
    return samples


def median_p95(samples: list[float]) -> tuple[float, float]:
    samples = sorted(samples)
    return statistics.median(samples), samples[max(0, int(len(samples) * 0.95) - 1)]


ROUNDS = 5  # each operation alternates between the sizes this many times


def operations(db: Database, keys: Keys) -> dict[str, tuple[Callable[[Any], Any], list[Any]]]:
    def read(fn: Callable[..., Any]) -> Callable[[Any], Any]:
        def run(key: Any) -> Any:
            with db.uow(write=False) as s:
                return fn(s, key)
        return run

    def second_page(list_page: Callable[..., Any]) -> Callable[[Any], Any]:
        first = list_page()
        return lambda _k: list_page(after=first.next_after, page=2)

    officer_queue = lambda **kw: permit_views.list_applications(db, actor=OFFICER, states=("submitted",  # noqa: E731
                                                                                          "resubmitted"), **kw)
    insurance_queue = lambda **kw: insurance_views.list_registrations(db, actor=AGENCY, **kw)  # noqa: E731
    card_queue = lambda **kw: cards_views.queue(db, actor=AGENCY, f=QueueFilter(), **kw)  # noqa: E731
    one = [None]
    return {
        "permit number (registry)": (read(lambda s, k: BuiltinRegistry(s).get(k)), keys.permit_numbers),
        "SSN (blind index)": (read(insurance_repo.person_by_ssn), keys.ssns),
        "passport (blind index)": (read(lambda s, k: permits_repo.person_by_passport(
            s, nationality=k[0], passport_hash=blind_index(k[1]))), keys.passports),
        "registration reference": (read(insurance_repo.registration_by_reference), keys.references),
        "card application reference": (read(cards_repo.application_by_reference), keys.card_references),
        "permit officer queue, page 1": (lambda _k: officer_queue(), one),
        "permit officer queue, next page (cursor)": (second_page(officer_queue), one),
        "insurance queue, page 1": (lambda _k: insurance_queue(), one),
        "insurance queue, next page (cursor)": (second_page(insurance_queue), one),
        "agency card queue, page 1": (lambda _k: card_queue(), one),
        "agency card queue, next page (cursor)": (second_page(card_queue), one),
        "branch queue": (lambda _k: cards_views.branch_queue(db, actor=Actor(
            user_id=None, role="bank_clerk", label="bench", branch_id=_first_branch(db))), one),
        "name search, full name (permit queue)": (
            lambda k: permit_views.list_applications(db, actor=OFFICER, q=k), keys.full_names),
        "name search, partial name (insurance queue)": (
            lambda k: insurance_views.list_registrations(db, actor=AGENCY, q=k), keys.partial_names),
        "name search, partial name (card queue)": (
            lambda k: cards_views.queue(db, actor=AGENCY, f=QueueFilter(q=k)), keys.partial_names),
    }


def _first_branch(db: Database) -> int:
    with db.uow(write=False) as s:
        return int(s.execute(select(func.min(CardApplication.branch_id))).scalar_one())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", default="10000,1000000")
    parser.add_argument("--db", default="sqlite,postgresql")
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--fresh", action="store_true")
    parser.add_argument("--out", default=str(ROOT / "bench" / "SCALE.md"))
    parser.add_argument("--append", action="store_true", help="add this run's tables to --out")
    parser.add_argument("--only", default="", help="run only the operations whose name contains this")
    args = parser.parse_args()
    bootstrap()  # the app's adapters (registry, card producer), as the web process has them
    sizes = [int(x) for x in args.people.split(",")]
    results: dict[str, dict[int, dict[str, tuple[float, float]]]] = {}
    generated: dict[str, dict[int, float | None]] = {}
    for dbname in args.db.split(","):
        ops: dict[int, dict[str, tuple[Callable[[Any], Any], list[Any]]]] = {}
        dbs = []
        for people in sizes:
            db, took = prepare(dbname, people, fresh=args.fresh)
            generated.setdefault(dbname, {})[people] = took
            ops[people] = operations(db, sample_keys(db, 400))
            dbs.append(db)
        # Every operation once over its first keys at each size before any is timed: the first operation
        # measured otherwise paid for the caches (PostgreSQL's buffers, the OS's pages) of a database just
        # generated or opened (the registry look-up at 1,000,000 people: 2.4x in one run, 1.1x in the next).
        for people in sizes:
            for fn, keys in ops[people].values():
                for k in keys[:50]:
                    fn(k)
        # The sizes take turns, operation by operation, in ROUNDS rounds: a machine whose speed drifts
        # (other processes, a shared host) slows both sizes alike instead of the one measured second.
        for name in [n for n in ops[sizes[0]] if args.only in n]:
            samples: dict[int, list[float]] = {n: [] for n in sizes}
            for r in range(ROUNDS):
                for people in sizes:
                    fn, keys = ops[people][name]
                    repeat = args.repeat if len(keys) > 1 else max(20, args.repeat // 5)
                    samples[people] += timed(fn, keys, max(1, repeat // ROUNDS), start=r * repeat // ROUNDS)
            for people in sizes:
                med, p95 = median_p95(samples[people])
                results.setdefault(dbname, {}).setdefault(people, {})[name] = (med, p95)
                print(f"{dbname:<10} {people:>9,}  {name:<45} {med:8.2f} ms  p95 {p95:8.2f} ms", flush=True)
        for db in dbs:
            db.engine.dispose()
    text_ = report(results, generated, sizes)
    if args.append and Path(args.out).exists():
        tables = text_.split("\n## ", 1)[1].split("\n## How the figures", 1)[0]
        old = Path(args.out).read_text(encoding="utf-8")
        head, sep, notes = old.partition("## How the figures")
        text_ = head + "## " + tables + "\n" + sep + notes
    Path(args.out).write_text(text_, encoding="utf-8")
    print(f"written {args.out}")


def report(results: dict[str, dict[int, dict[str, tuple[float, float]]]],
           generated: dict[str, dict[int, float | None]], sizes: list[int]) -> str:
    lo, hi = min(sizes), max(sizes)
    lines = ["# Data at scale: look-ups, queues and name search (`make bench-scale`)", "",
             f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
             f"load average {os.getloadavg()[0]:.1f} at the end (the machine is shared: medians, not means).",
             "Each operation goes through the application's repositories/views in a read-only unit of work; "
             "median and p95 in milliseconds; ratio = median at the largest size / median at the smallest "
             f"(target ≤ 1.5). The sizes take turns for each operation ({ROUNDS} rounds), so a drift in the "
             "machine's speed touches both.", ""]
    for dbname, by_size in results.items():
        lines += [f"## {dbname}", "", "| operation | " + " | ".join(f"{n:,} people" for n in sizes) + " | ratio |",
                  "|---|" + "---|" * len(sizes) + "---|"]
        for name in by_size[lo]:
            cells = [f"{by_size[n][name][0]:.2f} (p95 {by_size[n][name][1]:.2f})" for n in sizes]
            ratio = by_size[hi][name][0] / max(by_size[lo][name][0], 1e-6)
            lines.append(f"| {name} | " + " | ".join(cells) + f" | {ratio:.2f}{'' if ratio <= 1.5 else ' ✗'} |")
        gen = ", ".join(f"{n:,}: {t:.0f} s" for n, t in generated[dbname].items() if t)
        lines += ["", f"Generated in this run: {gen or 'none (databases kept from an earlier run)'}.", ""]
    return "\n".join(lines + NOTES) + "\n"


NOTES = [
    "## How the figures stay flat", "",
    "- Look-ups are equality on a unique or plain B-tree index: permit number, reference, the SSN's and "
    "passport's blind index (HMAC, `shared.crypto.blind_index`): one index descent, log(N).",
    "- Queue pages are keyset pages: `WHERE (sort key, id) < (:last key, :last id) ORDER BY sort key, id "
    "LIMIT 26` on an index per (filter, sort key, id) (`ix_*_state_submitted`, `ix_*_state_created`, "
    "`ix_card_application_created` …), so page 1000 costs what page 1 costs. `page=N` (OFFSET) still works "
    "for old links and API clients.",
    "- Counts per state are capped: each reads at most 10,001 entries of the state's index range "
    "(`SELECT count(*) FROM (SELECT 1 … LIMIT 10001)`), and a page says \"10,000+\". A count found above "
    "the cap is remembered for 30 s (per process, query and parameters: `shared.pagination.AT_CAP_SECONDS`), "
    "so the next pages do not read those 10,001 entries again; counts below the cap are read every time, "
    "exact. Without that memory a page at 1,000,000 people read up to 10,001 entries per state (9 card "
    "states: 90,000 entries) where one at 10,000 read a few thousand: the 2–4× growth of the earlier runs. "
    "An exact count of a million rows costs what reading them costs; a counter table kept by triggers is "
    "the next step if exact figures above 10,000 are wanted.",
    "- The branch queue and the SLA table read one index range per state (and, for the branch, channel: "
    "`ix_card_application_branch_state` is branch, state, channel, updated_at, id), the 50 longest waiting / "
    "most urgent first, as plain rows of the columns the page shows rather than whole applications; a "
    "branch section's heading counts up to 1,000 (\"1,000+\"). With 100 whole applications per section "
    "and exact counts of every section the branch page cost 2.5× as much at 1,000,000 people as at 10,000.",
    "- A name search is looked up once per page (`shared.search.hits`): one statement reads the matching "
    "records' ids, states and sort columns, at most `SEARCH_CAP` (200), the most recent first; the total and "
    "the counts per state are counted from those, the page is sorted and cut from them in Python "
    "(`search.page_of`) and only its 25 rows are read. Past 200 matches the page says that it lists those "
    "among the 200 most recent, and how to find older ones (more of the name, or a number); the counts then "
    "read \"12+\" and the API answers `search_capped: true`. Before, the name went through its index three "
    "or four times per page (the rows, the total, the counts) and every match was sorted and counted.",
    "- Name search: SQLite FTS5 with the trigram tokenizer (an external-content table kept in step by "
    "triggers), PostgreSQL a GIN `gin_trgm_ops` index on `lower(family_name || ' ' || given_names)`. "
    "Each word of 3+ characters goes through the index. SQLite's FTS5 walks its lists from the highest rowid "
    "down and stops at the 201st match; what remains of the growth is the walk itself: a word's trigrams "
    "(\"mar\", \"art\", \"rti\", \"tin\" for \"martin\") are among the commonest of a city's names, and "
    "their lists, which the phrase match reads with their positions, grow with the people (2–10 ms for a "
    "full name at 1,000,000 people against 0.3–1 ms at 10,000, for the same 201 matches). PostgreSQL's GIN "
    "index gives its matches unordered, so the most recent 200 are found by reading every match's row "
    "(\"Lee Seo\": 1,994 rows on 1,867 heap pages, 8 of the query's 14 ms at 1,000,000 people; 31 rows at "
    "10,000). The generator draws names from small pools (about 10 given names and 10–20 family names per "
    "country), so a full name matches about 100 times more people at 1,000,000 than at 10,000 — more "
    "namesakes than a real population has, which makes these rows the hardest case. Staying within 1.5× "
    "would take an index that gives the matches in recency order from word-level entries: FTS5 with a word "
    "tokenizer and prefix queries on SQLite (a search by the start of each word instead of any part of it), "
    "on PostgreSQL a RUM index ordered by id, or a search engine beside the database.",
]


if __name__ == "__main__":
    main()
