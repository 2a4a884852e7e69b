"""``permitcard generate --people N``: a synthetic population written in batches.

Needs a migrated database. Banks and branches come from the banks CSV when there are none;
employers (valid USCCs), one placeholder photo (or one per card application with ``photos``),
then chunks of people with their applications, permits, registrations and cards, each chunk one
transaction of batched inserts. The SSN and card counters are written back at the end, so the
application goes on numbering after the generated people.
"""

from __future__ import annotations

import io
import os
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, cast

from sqlalchemy import Connection, Engine, Table, select, update
from sqlalchemy.orm import Session

from permitcard.auth.models import Employer, User
from permitcard.banks.models import Bank, BankBranch
from permitcard.cards.models import Card, CardApplication, CardSequence
from permitcard.devtools import names as ref
from permitcard.devtools import population
from permitcard.devtools.bulk import BulkWriter
from permitcard.insurance.models import InsurancePerson, InsuranceRegistration, InsuranceSsnSequence
from permitcard.permits.models import Permit, PermitApplication, PermitDecision, PermitPerson, PermitVersion
from permitcard.photos.models import Photo
from permitcard.policy import service as policy
from permitcard.shared import clock, search


def _t(model: Any) -> Table:
    return cast(Table, model.__table__)


CHUNK = 5_000  # people per transaction; part of the seed's meaning (chunks draw from their own stream)
# SQLite: the write-ahead log is copied into the file when a chunk leaves it larger than this. Every
# commit appends each page it changed to the log, again; with no checkpoint until the end, 1,000,000
# people grew the log past 40 GB for a 3.6 GB database (the disk of the machine it ran on filled up).
WAL_LIMIT = 1 << 30
# Numbers (permit numbers, references, passports) scramble a counter that continues from the rows
# already there, with one fixed salt: a second run, with any seed, never repeats a number.
NUMBERING_SALT = 0x2F1C3A5B7
TABLES: dict[str, Table] = {_t(m).name: _t(m) for m in (
    PermitPerson, Permit, PermitApplication, PermitDecision, PermitVersion, InsurancePerson,
    InsuranceRegistration, CardApplication, Card)}


@dataclass(frozen=True)
class Summary:
    people: int
    rows: dict[str, int]


def generate(engine: Engine, *, people: int, seed: int = 1, photos: bool = False, today: date | None = None,
             progress: Callable[[int], None] | None = None) -> Summary:
    """Write ``people`` people (and what they have) into the database of ``engine``."""
    today = today or clock.today()
    rows = {t: 0 for t in TABLES}
    with engine.connect() as conn:
        _fast(conn)
        with conn.begin():
            plan = _plan(conn, people=people, seed=seed, today=today)
        with search.bulk_load(conn):
            done, index = 0, 0
            while done < people:
                n = min(CHUNK, people - done)
                batch = population.chunk(seed, index, n, plan)
                with conn.begin():
                    writer = BulkWriter(conn)
                    if photos:
                        _photos_for(writer, batch)
                    for name in population.TABLES:
                        writer.insert(TABLES[name], batch[name])
                        rows[name] += len(batch[name])
                done, index = done + n, index + 1
                _bound_wal(conn)
                if progress:
                    progress(n)
        with conn.begin():
            writer = BulkWriter(conn)
            writer.reset_sequences([*TABLES.values(), _t(Photo)])
            _save_counters(conn, writer, plan)
        if conn.dialect.name == "postgresql":
            # The tables as autovacuum leaves them after a load (PostgreSQL 13+ vacuums after inserts too):
            # with their visibility map set, a count or a look-up reads the index alone. Without it, counting
            # the 8,529 returned card applications of 1,000,000 people visited 6,468 heap pages (20 ms, 3 ms after).
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM ANALYZE")
        else:
            conn.exec_driver_sql("ANALYZE")
            conn.commit()
        if conn.dialect.name == "sqlite":
            raw: Any = conn.connection.driver_connection
            raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            raw.execute("PRAGMA wal_autocheckpoint=1000")
    return Summary(people, rows)


def _fast(conn: Connection) -> None:
    """Generated data can be generated again: no waiting for the disk after each chunk."""
    raw: Any = conn.connection.driver_connection
    if conn.dialect.name == "sqlite":
        raw.execute("PRAGMA synchronous=OFF")  # outside a transaction (pysqlite is in autocommit mode here)
        raw.execute("PRAGMA cache_size=-200000")
        # No checkpoint after each chunk: the WAL would copy the same index pages back into the file
        # at every commit (most of the disk writes of a large run); one when the log passes WAL_LIMIT
        # (_bound_wal) and one at the end instead.
        raw.execute("PRAGMA wal_autocheckpoint=0")
    else:
        raw.execute("SET synchronous_commit = off")


def _bound_wal(conn: Connection) -> None:
    """SQLite: copy the log into the file (and empty it) once it is over ``WAL_LIMIT``."""
    path = conn.engine.url.database if conn.dialect.name == "sqlite" else None
    if not path or path == ":memory:":
        return
    try:
        size = os.path.getsize(path + "-wal")
    except OSError:
        return
    if size > WAL_LIMIT:
        raw: Any = conn.connection.driver_connection
        raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def _province(conn: Connection, today: date) -> str:
    """The default city's SSN province code in force today (a rule of the city, not a setting)."""
    from permitcard.shared.audit import Actor

    with Session(bind=conn, join_transaction_mode="create_savepoint") as s:
        if not policy.cities(s):  # an empty database: the default city first, as the migration gives it
            policy.seed_city(s, spec=policy.load_city_file(policy.DEFAULT_CITY_FILE), actor=Actor.system("generate"))
            s.commit()  # releases the savepoint into the caller's transaction
        return policy.policy_for(s, city=None, on=today).ssn_province_code


def _plan(conn: Connection, *, people: int, seed: int, today: date) -> population.Plan:
    province = _province(conn, today)
    writer = BulkWriter(conn)
    salt = NUMBERING_SALT
    branches = [(r.id, r.bin_prefix) for r in conn.execute(
        select(BankBranch.id, Bank.bin_prefix).join(Bank).where(BankBranch.issues_cards.is_(True),
                                                                BankBranch.is_active.is_(True)))]
    if not branches:
        _seed_banks(conn)
        return _plan(conn, people=people, seed=seed, today=today)
    employers = _employers(conn, writer, count=max(5, people // 25), seed=seed, salt=salt)
    photo_id = writer.next_id(_t(Photo))
    _photo_rows(conn, writer, photo_id, 1)
    plan = population.Plan(today=today, salt=salt, province=province, employers=employers,
                           branches=branches, photo_id=photo_id,
                           next_id={t: writer.next_id(table) for t, table in TABLES.items()})
    plan.ssn_last = {r.prefix: [r.last_odd, r.last_even] for r in conn.execute(select(InsuranceSsnSequence))}
    plan.counters = {r.name: r.value for r in conn.execute(select(CardSequence))}
    # References continue after the ones a previous run made (the counter is what keeps them unique).
    for prefix, table in (("WPA", PermitApplication), ("SI", InsuranceRegistration), ("SSC", CardApplication),
                          ("FWPN", Permit), ("passport", PermitApplication)):
        plan.counters[prefix] = writer.next_id(_t(table)) - 1
    return plan


def _seed_banks(conn: Connection) -> None:
    from sqlalchemy.orm import Session

    from permitcard.banks import service as banks
    from permitcard.shared.audit import Actor

    with Session(bind=conn, join_transaction_mode="create_savepoint") as s:
        banks.seed_from_csv(s, actor=Actor.system("generate"))
        s.commit()  # releases the savepoint into the caller's transaction


def _employers(conn: Connection, writer: BulkWriter, *, count: int, seed: int, salt: int) -> list[tuple[int, str, str]]:
    rng = random.Random(f"{seed}:employers")
    first = writer.next_id(_t(Employer))
    rows: list[dict[str, Any]] = []
    for i in range(first, first + count):
        code, city_en, city_zh = rng.choice(ref.CITIES)
        (word_en, word_zh), (ind_en, ind_zh) = rng.choice(ref.WORDS), rng.choice(ref.INDUSTRIES)
        rows.append({"id": i, "uscc": population.employer_uscc(i, code, salt),
                     "name_en": f"{city_en} {word_en} {ind_en} Co., Ltd. ({i})",
                     "name_zh": f"{city_zh}{word_zh}{ind_zh}有限公司（{i}）",
                     "address": f"{1 + i % 300} {city_en} Avenue",
                     "reference": population.reference("ER", i, salt), "state": "approved",
                     "created_at": clock.now(), "submitted_at": clock.now(), "decided_at": clock.now()})
    writer.insert(_t(Employer), rows)
    writer.reset_sequences([_t(Employer)])
    return [(r["id"], r["name_en"], r["name_zh"]) for r in rows]


def _placeholder_jpeg() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (358, 441), (232, 236, 240)).save(buf, format="JPEG", quality=70)
    return buf.getvalue()


def _photo_rows(conn: Connection, writer: BulkWriter, first_id: int, count: int) -> None:
    studio = conn.execute(select(User.id).where(User.role == "photo_studio").limit(1)).scalar() or 0
    image = _placeholder_jpeg()
    writer.insert(_t(Photo), [
        {"id": i, "receipt_number": population.reference("GEN", i, 0)[:16], "studio_user_id": studio,
         "family_name": "Generated", "given_names": "", "passport_hash": "", "image": image, "width": 358,
         "height": 441, "created_at": clock.now(), "used_at": None, "used_for": None}
        for i in range(first_id, first_id + count)])


def _photos_for(writer: BulkWriter, batch: population.Rows) -> None:
    """One photo per card application of the batch (``--photos``)."""
    apps = batch["card_application"]
    if not apps:
        return
    first = writer.next_id(_t(Photo))
    _photo_rows(writer.conn, writer, first, len(apps))
    by_app = {}
    for k, app in enumerate(apps):
        app["photo_id"] = by_app[app["id"]] = first + k
    for card in batch["card"]:
        card["photo_id"] = by_app.get(card["application_id"], card["photo_id"])


def _save_counters(conn: Connection, writer: BulkWriter, plan: population.Plan) -> None:
    """SSN sequences per prefix and the card vendor's counters, where the generated numbers stopped."""
    known = set(conn.execute(select(InsuranceSsnSequence.prefix)).scalars())
    seq = _t(InsuranceSsnSequence)
    changed = [{"p": p, "o": o, "e": e} for p, (o, e) in plan.ssn_last.items() if p in known]
    if changed:
        from sqlalchemy import bindparam

        conn.execute(update(seq).where(seq.c.prefix == bindparam("p"))
                     .values(last_odd=bindparam("o"), last_even=bindparam("e")), changed)
    writer.insert(seq, [{"prefix": p, "last_odd": o, "last_even": e}
                        for p, (o, e) in plan.ssn_last.items() if p not in known])
    names = set(conn.execute(select(CardSequence.name)).scalars())
    for name, value in plan.counters.items():
        if name != "card_number" and not name.startswith("account:"):
            continue
        if name in names:
            conn.execute(update(CardSequence).where(CardSequence.name == name).values(value=value))
        else:
            conn.execute(_t(CardSequence).insert().values(name=name, value=value))
