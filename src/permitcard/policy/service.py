"""Rules per city as one immutable ``Policy`` for a (city, day); cities; the administrator's changes.

Reads cost no SQL in the steady state: a process keeps the cities (with each city's ``revision``)
for ``CITIES_TTL`` seconds, each city's rows for the revision it read, and the ``Policy`` values
built from them. A change writes a new revision and clears this process's cache at once; other
processes see it within ``CITIES_TTL`` seconds (a new value takes effect on a day, never
retroactively, so a two-second lag is harmless). A unit of work that changed rules reads its
own uncommitted rows and never shares them with the process.
"""

from __future__ import annotations

import threading
import time
import tomllib
import uuid
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from permitcard.db import Database
from permitcard.policy import domain
from permitcard.policy import repository as repo
from permitcard.policy.domain import RULES, Policy, PolicyMissing, RuleRow
from permitcard.policy.models import PolicyCity, PolicyRule
from permitcard.shared import audit, clock, i18n
from permitcard.shared.audit import Actor
from permitcard.shared.errors import N_, Forbidden, NotFound, ValidationFailed

__all__ = ["City", "Policy", "add_value", "cities", "default_city", "get_city", "policy_for", "seed_city"]

DATA_DIR = Path(__file__).with_name("data")
DEFAULT_CITY_FILE = DATA_DIR / "dongguan.toml"
MANAGERS = ("admin", "system")


@dataclass(frozen=True)
class City:
    code: str
    name_en: str
    name_zh: str
    is_default: bool
    revision: str

    @property
    def name(self) -> str:
        return self.name_zh if i18n.get_locale() == "zh_Hans" else self.name_en


# --- reading: the cache --------------------------------------------------------------------------

_lock = threading.Lock()
_names: dict[str, Any] = {"at": 0.0, "cities": ()}  # for page headers, see city_names
_cities: dict[str, Any] = {"at": 0.0, "map": None}  # the process's view of the cities
_rows: dict[str, tuple[str, tuple[RuleRow, ...]]] = {}  # city -> (revision, rows)
_policies: dict[tuple[str, str, date], Policy] = {}  # (city, revision, day) -> Policy
_MAX_POLICIES = 4096
CITIES_TTL = 2.0
_INFO_KEY = "permitcard.policy.cities"
_DIRTY_KEY = "permitcard.policy.changed"


def invalidate() -> None:
    """Forget every cached city and rule in this process (after a change; tests after a rollback)."""
    with _lock:
        _cities.update(at=0.0, map=None)
        _names.update(at=0.0, cities=())
        _rows.clear()
        _policies.clear()


def _changed(s: Session) -> None:
    """This unit of work changed cities or rules: it reads its own rows, and the process forgets."""
    s.info.pop(_INFO_KEY, None)
    s.info[_DIRTY_KEY] = True
    invalidate()


def _city_map(s: Session) -> dict[str, City]:
    known: dict[str, City] | None = s.info.get(_INFO_KEY)
    if known is not None:
        return known
    dirty = bool(s.info.get(_DIRTY_KEY))
    now = time.monotonic()
    shared = _cities["map"]
    if not dirty and shared is not None and now - float(_cities["at"]) < CITIES_TTL:
        known = shared
    else:
        known = {c.code: City(c.code, c.name_en, c.name_zh, c.is_default, c.revision) for c in repo.cities(s)}
        if not dirty:
            with _lock:
                _cities.update(at=now, map=known)
    s.info[_INFO_KEY] = known
    return known


def cities(s: Session) -> list[City]:
    """Every city, the default first."""
    return list(_city_map(s).values())


def default_city(s: Session) -> City:
    for c in _city_map(s).values():
        if c.is_default:
            return c
    raise PolicyMissing(N_("No default city is set up. Run “permitcard db upgrade” or “permitcard city add”."))


def get_city(s: Session, code: str | None = None) -> City:
    """The city with this code; None means the default city."""
    if code is None:
        return default_city(s)
    found = _city_map(s).get(code)
    if found is None:
        raise NotFound(N_("No city with the code %(code)s is set up"), code=code)
    return found


def _city_rows(s: Session, c: City) -> tuple[RuleRow, ...]:
    hit = _rows.get(c.code)
    if hit is not None and hit[0] == c.revision:
        return hit[1]
    rows = tuple(RuleRow(r.key, r.value, r.effective_from) for r in repo.rules(s, c.code))
    with _lock:
        _rows[c.code] = (c.revision, rows)
    return rows


def policy_for(s: Session, *, city: str | None, on: date) -> Policy:
    """The rules of ``city`` (None: the default city) in force on the business day ``on``."""
    c = get_city(s, city)
    key = (c.code, c.revision, on)
    found = _policies.get(key)
    if found is None:
        found = domain.resolve(_city_rows(s, c), city=c.code, day=on)
        with _lock:
            if len(_policies) >= _MAX_POLICIES:
                _policies.clear()
            _policies[key] = found
    return found


NAMES_TTL = 60.0


def city_names(db: Database) -> tuple[City, ...]:
    """Cities for page headers, without a unit of work per page (refreshed every minute)."""
    now = time.monotonic()
    if now - float(_names["at"]) > NAMES_TTL or not _names["cities"]:
        with db.uow(write=False) as s:
            _names["cities"] = tuple(cities(s))
        _names["at"] = now
    return tuple(_names["cities"])


# --- the schedule of values, for the administrator ------------------------------------------------

@dataclass(frozen=True)
class Entry:
    key: str
    value: str
    effective_from: date
    status: str  # "current" | "future" | "past"
    note: str
    created_by: str


@dataclass(frozen=True)
class Schedule:
    """One city's rules: for each rule, the value in force today and those planned."""

    city: City
    today: date
    entries: dict[str, list[Entry]] = field(default_factory=dict)


def schedule(s: Session, *, code: str, include_past: bool = False) -> Schedule:
    c = get_city(s, code)
    today = clock.today()
    rows = repo.rules(s, c.code)
    as_rows = [RuleRow(r.key, r.value, r.effective_from) for r in rows]
    entries: dict[str, list[Entry]] = {key: [] for key in RULES}
    for r in rows:
        if r.key not in RULES:
            continue
        current = domain.in_force(as_rows, r.key, today)
        if r.effective_from > today:
            status = "future"
        elif current is not None and current.effective_from == r.effective_from:
            status = "current"
        else:
            status = "past"
        if status != "past" or include_past:
            entries[r.key].append(Entry(r.key, r.value, r.effective_from, status, r.note, r.created_by))
    return Schedule(city=c, today=today, entries=entries)


# --- changing: the administrator ------------------------------------------------------------------

def _require_manager(actor: Actor) -> None:
    if actor.role not in MANAGERS:
        raise Forbidden()


def add_value(db: Database, *, actor: Actor, city_code: str, key: str, value: str,
              effective_from: date | None, note: str = "") -> Entry:
    """A new value of a rule from a day on (today or later). A value already planned for that
    future day is replaced; the past and the value in force today are never rewritten."""
    _require_manager(actor)
    canonical = domain.parse_value(key, value)
    today = clock.today()
    day = domain.check_effective_from(effective_from, today)
    note = " ".join(note.split())[:500]
    with db.uow() as s:
        c = get_city(s, city_code)
        rows = [RuleRow(r.key, r.value, r.effective_from) for r in repo.rules(s, c.code)]
        existing = repo.rule(s, c.code, key, day)
        if existing is not None and existing.effective_from <= today:
            raise ValidationFailed.one("effective_from", N_(
                "A value of this rule already took effect on %(day)s. Choose a later date."), day=day)
        previous = domain.in_force(rows, key, day)
        before = {"key": key, "effective_from": day, "value": previous.value if previous else None,
                  "value_from": previous.effective_from if previous else None}
        label = actor.label[:200]
        if existing is not None:
            existing.value, existing.note = canonical, note
            existing.created_at, existing.created_by = clock.now(), label
        else:
            s.add(PolicyRule(city_code=c.code, key=key, value=canonical, effective_from=day, note=note,
                             created_at=clock.now(), created_by=label))
        row = repo.city(s, c.code)
        assert row is not None
        row.revision = uuid.uuid4().hex
        s.flush()
        audit.record(s, actor=actor, action="policy_rule.set", target_type="policy_city", target_id=c.code,
                     before=before, after={"key": key, "effective_from": day, "value": canonical}, note=note)
        _changed(s)
        s.commit()
    invalidate()
    return Entry(key, canonical, day, "current" if day == today else "future", note, label)


# --- cities: seeding from a data file -------------------------------------------------------------

@dataclass(frozen=True)
class CitySpec:
    """A city as described in its data file (``policy/data/*.toml``)."""

    code: str
    name_en: str
    name_zh: str
    is_default: bool
    effective_from: date
    rules: dict[str, str]  # canonical values
    banks_csv: Path | None = None
    branches_csv: Path | None = None


def load_city_file(path: Path) -> CitySpec:
    """Read and check a city file; ValidationFailed names what is wrong."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    raw_rules = data.get("rules", {})
    missing = [k for k in RULES if k not in raw_rules]
    unknown = [k for k in raw_rules if k not in RULES]
    if missing or unknown:
        raise ValidationFailed.one("rules", N_("The city file must set every rule once: missing %(missing)s, "
                                               "unknown %(unknown)s"),
                                   missing=", ".join(missing) or "-", unknown=", ".join(unknown) or "-")
    rules = {}
    for key, value in raw_rules.items():
        text = " ".join(value) if isinstance(value, list) else str(value)
        rules[key] = domain.parse_value(key, text)
    effective = data.get("effective_from", date(2024, 12, 1))
    if not isinstance(effective, date):
        raise ValidationFailed.one("effective_from", N_("Enter the date the value takes effect"))

    def beside(name: str) -> Path | None:
        return (path.parent / data[name]) if data.get(name) else None

    return CitySpec(code=domain.check_city_code(str(data.get("code", ""))), name_en=str(data.get("name_en", "")),
                    name_zh=str(data.get("name_zh", "")), is_default=bool(data.get("default", False)),
                    effective_from=effective, rules=rules, banks_csv=beside("banks_csv"),
                    branches_csv=beside("branches_csv"))


def seed_city(s: Session, *, spec: CitySpec, actor: Actor) -> City:
    """Create the city and its first values (inside the caller's unit of work). Running it again adds
    only what is missing: values an administrator set are never overwritten."""
    if not spec.name_en.strip() or not spec.name_zh.strip():
        raise ValidationFailed.one("name_en", N_("Enter the city's name in English and in Chinese"))
    row = repo.city(s, spec.code)
    created = row is None
    if row is None:
        row = PolicyCity(code=spec.code, name_en=spec.name_en, name_zh=spec.name_zh, is_default=False,
                         revision=uuid.uuid4().hex, created_at=clock.now())
        s.add(row)
        s.flush()
    if spec.is_default and not row.is_default:
        for other in repo.cities(s):
            other.is_default = other.code == spec.code
    set_before = {r.key for r in repo.rules(s, spec.code) if r.effective_from <= spec.effective_from}
    added = {}
    for key, value in spec.rules.items():
        if key not in set_before:
            s.add(PolicyRule(city_code=spec.code, key=key, value=value, effective_from=spec.effective_from,
                             note="seed", created_at=clock.now(), created_by=actor.label[:200]))
            added[key] = value
    if created or added:
        row.revision = uuid.uuid4().hex
        s.flush()
        audit.record(s, actor=actor, action="policy_city.seeded", target_type="policy_city", target_id=spec.code,
                     after={"name_en": spec.name_en, "default": row.is_default,
                            "effective_from": spec.effective_from, "rules": added})
    _changed(s)
    return City(row.code, row.name_en, row.name_zh, row.is_default, row.revision)
