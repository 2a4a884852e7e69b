"""The synthetic population, as rows: people, permits, registrations, cards (``permitcard generate``).

Pure: no database. The numbers come from the domains' own plans (``permits.domain.permit_number``,
``insurance.domain`` SSNs, ``cards.domain`` card and account numbers, USCC via python-stdnum), so
their check characters are valid. Unique numbers come from a bijection of a counter (multiplying by
a number prime to the modulus), so a million references never collide and still look random.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import Any

from stdnum.cn import uscc

from permitcard.cards import domain as cards
from permitcard.devtools import names as ref
from permitcard.insurance import domain as insurance
from permitcard.permits import domain as permits
from permitcard.shared.crypto import blind_index

Rows = dict[str, list[dict[str, Any]]]
_REF = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # shared.ids' reference alphabet


def scrambled(counter: int, modulus: int, salt: int) -> int:
    """A bijection of 0..modulus-1 (the multiplier is prime to any power of 2, 5 or 32)."""
    return (counter * 387_420_489 + salt) % modulus


def reference(prefix: str, counter: int, salt: int) -> str:
    n = scrambled(counter, 32**8, salt)
    return prefix + "-" + "".join(_REF[(n >> (5 * k)) & 31] for k in range(7, -1, -1))


def employer_uscc(counter: int, division: str, salt: int) -> str:
    """91 (enterprise) + division + organisation code (GB 11714 check) + USCC check (python-stdnum)."""
    body = f"{scrambled(counter, 10**8, salt):08d}"
    total = sum(int(c) * w for c, w in zip(body, (3, 7, 9, 10, 5, 8, 4, 2), strict=True))
    org_check = {10: "X", 11: "0"}.get(11 - total % 11, str(11 - total % 11))
    first17 = "91" + division + body + org_check
    return first17 + uscc.calc_check_digit(first17)


@cache
def _ssn_prefix(province: str, nationality: str, birth: date) -> str:
    return insurance.ssn_prefix(province_code=province, nationality=nationality, birth_date=birth)


def _at(day: date, rng: random.Random) -> datetime:
    """A moment in Shanghai office hours of ``day``, in UTC."""
    return datetime.combine(day, time(1 + rng.randrange(9), rng.randrange(60), rng.randrange(60)), UTC)


@dataclass
class Plan:
    """Everything a chunk needs besides its random stream; counters move on as rows are made."""

    today: date
    salt: int
    province: str
    employers: list[tuple[int, str, str]]  # (id, name_en, name_zh)
    branches: list[tuple[int, str]]  # (id, bin_prefix)
    photo_id: int
    next_id: dict[str, int]
    ssn_last: dict[str, list[int]] = field(default_factory=dict)  # prefix -> [last odd, last even]
    counters: dict[str, int] = field(default_factory=dict)  # card_number, account:<bin>, references

    def take(self, table: str) -> int:
        n = self.next_id[table]
        self.next_id[table] = n + 1
        return n

    def count(self, name: str) -> int:
        n = self.counters.get(name, 0) + 1
        self.counters[name] = n
        return n


def _weighted(pairs: Any) -> tuple[list[Any], list[int]]:
    """Values and cumulative weights, for ``rng.choices(values, cum_weights=...)``."""
    values, total, cum = [], 0, []
    for pair in pairs:
        values.append(pair[0])
        total += pair[1]
        cum.append(total)
    return values, cum


_NAT = _weighted(ref.NATIONALITIES)
_GROUP = {n: g for n, _, g in ref.NATIONALITIES}
_CAT = _weighted(ref.CATEGORIES)
_STATUS = _weighted((("valid", 78), ("expired", 14), ("cancelled", 8)))
_CHANNEL = _weighted((("employer", 70), ("individual", 20), ("agency", 10)))


def _pick(rng: random.Random, weighted: tuple[list[Any], list[int]]) -> Any:
    return rng.choices(weighted[0], cum_weights=weighted[1])[0]


def _identity(rng: random.Random, plan: Plan) -> dict[str, Any]:
    nationality = _pick(rng, _NAT)
    families, men, women = ref.NAMES[_GROUP[nationality]]
    sex = "M" if rng.random() < 0.6 else "F"
    given = rng.choice(men if sex == "M" else women)
    if rng.random() < 0.25:
        given += " " + rng.choice(men if sex == "M" else women)
    family = rng.choice(families)
    if _GROUP[nationality] == "ru" and sex == "F":
        family += "a"
    birth = plan.today - timedelta(days=365 * 22 + rng.randrange(365 * 38))
    n = plan.count("passport")
    passport = chr(ord("A") + n % 26) + f"{scrambled(n, 10**8, plan.salt):08d}"
    return {"family_name": family, "given_names": given, "nationality": nationality, "birth_date": birth,
            "sex": sex, "passport_number": passport, "passport_hash": blind_index(passport)}


def _application(rng: random.Random, plan: Plan, who: dict[str, Any], *, state: str, employer: int,
                 category: str, start: date, end: date, submitted: datetime, decided: datetime | None,
                 permit_id: int | None) -> dict[str, Any]:
    return {"id": plan.take("permit_application"),
            "reference": reference("WPA", plan.count("WPA"), plan.salt), "kind": "new", "employer_id": employer,
            **who, "passport_expiry_date": end + timedelta(days=400 + rng.randrange(2000)),
            "position": rng.choice(ref.POSITIONS), "category": category, "contract_start_date": start,
            "contract_end_date": end, "requested_end_date": end, "state": state, "version": 1,
            "officer_note": "Please attach the signed contract." if state == "returned" else "", "locale": "en",
            "created_by_user_id": None, "created_at": submitted, "submitted_at": submitted, "decided_at": decided,
            "permit_id": permit_id}


PENDING_STATES = _weighted((("submitted", 35), ("resubmitted", 10), ("returned", 20), ("rejected", 25),
                            ("cancelled", 10)))


def pending_application(rng: random.Random, plan: Plan, out: Rows) -> None:
    """An application that issued no permit (waiting, returned, rejected or withdrawn)."""
    state = _pick(rng, PENDING_STATES)
    submitted = _at(plan.today - timedelta(days=rng.randrange(45)), rng)
    decided = submitted + timedelta(days=2) if state in ("rejected", "returned") else None
    start = plan.today + timedelta(days=rng.randrange(10, 60))
    category = _pick(rng, _CAT)
    row = _application(rng, plan, _identity(rng, plan), state=state, employer=rng.choice(plan.employers)[0],
                       category=category, start=start, end=permits.last_allowed_day(start, ref.YEARS[category]),
                       submitted=submitted, decided=decided, permit_id=None)
    out["permit_application"].append(row)
    if decided is not None:
        out["permit_decision"].append({"id": plan.take("permit_decision"), "application_id": row["id"],
                                       "action": "reject" if state == "rejected" else "return",
                                       "reason": "Position does not match the category." if state == "rejected"
                                       else row["officer_note"], "actor_user_id": None, "at": decided})


def person(rng: random.Random, plan: Plan, out: Rows) -> None:
    """One foreign worker: application, permit, perhaps social insurance and a card."""
    who = _identity(rng, plan)
    category = _pick(rng, _CAT)
    years = ref.YEARS[category]
    status = _pick(rng, _STATUS)
    span = 365 * years - 2
    back = rng.randrange(span) if status != "expired" else span + 1 + rng.randrange(700)
    start = plan.today - timedelta(days=back)
    end = permits.last_allowed_day(start, years)
    submitted = _at(start - timedelta(days=10 + rng.randrange(50)), rng)
    decided = submitted + timedelta(days=1 + rng.randrange(9), hours=rng.randrange(6))
    employer_id, employer_en, employer_zh = rng.choice(plan.employers)
    person_id, permit_id = plan.take("permit_person"), plan.take("permit")
    number = permits.permit_number(decided.year, scrambled(person_id, 10**9, plan.salt))
    notice = reference(f"FWPN-{decided.year:04d}", plan.count("FWPN"), plan.salt)
    app = _application(rng, plan, who, state="approved", employer=employer_id, category=category, start=start,
                       end=end, submitted=submitted, decided=decided, permit_id=permit_id)
    out["permit_person"].append({"id": person_id, "permit_number": number, **{k: who[k] for k in (
        "family_name", "given_names", "nationality", "birth_date", "sex", "passport_number", "passport_hash")},
        "created_at": decided})
    out["permit"].append({"id": permit_id, "person_id": person_id, "employer_id": employer_id,
                          "category": category, "position": app["position"], "valid_from_date": start,
                          "valid_to_date": end, "status": status, "notice_number": notice, "version": 1,
                          "issued_at": decided})
    out["permit_application"].append(app)
    out["permit_decision"].append({"id": plan.take("permit_decision"), "application_id": app["id"],
                                   "action": "approve", "reason": "", "actor_user_id": None, "at": decided})
    out["permit_version"].append({"id": plan.take("permit_version"), "permit_id": permit_id, "version": 1,
                                  "application_id": app["id"], "reason": "issued", "created_at": decided,
                                  "snapshot": {"permit_number": number, "notice_number": notice,
                                               "family_name": who["family_name"], "given_names": who["given_names"],
                                               "nationality": who["nationality"], "employer_id": employer_id,
                                               "category": category, "position": app["position"],
                                               "valid_from": start.isoformat(), "valid_to": end.isoformat(),
                                               "status": "valid"}})
    if status == "cancelled" or rng.random() >= 0.9:
        if rng.random() < 0.03:
            _registration(rng, plan, out, who, number, notice, employer_id, decided, person_id=None,
                          state="submitted" if status != "cancelled" else "refused")
        return
    ssn = _ssn(plan, who)
    if ssn is None:
        return
    insured_at = min(decided + timedelta(days=1 + rng.randrange(30)), _at(plan.today, rng))
    insured_id = plan.take("insurance_person")
    out["insurance_person"].append({"id": insured_id, "ssn": ssn, "ssn_hash": blind_index(ssn),
                                    "permit_number": number, **{k: who[k] for k in (
                                        "family_name", "given_names", "nationality", "birth_date", "sex",
                                        "passport_number", "passport_hash")},
                                    "ssn_source": "assigned", "created_at": insured_at})
    _registration(rng, plan, out, who, number, notice, employer_id, insured_at, person_id=insured_id,
                  state="registered")
    if status == "valid" and rng.random() < 0.8:
        permit = {"permit_number": number, "permit_category": category, "employer_name_en": employer_en,
                  "employer_name_zh": employer_zh, "position": app["position"], "permit_valid_from": start,
                  "permit_valid_to": end, "permit_status": "valid", "permit_version": 1}
        _card(rng, plan, out, who, ssn, permit, insured_at)


def _ssn(plan: Plan, who: dict[str, Any]) -> str | None:
    """The next SSN of the person's prefix and parity (the plan's sequence rule), or None when exhausted."""
    prefix = _ssn_prefix(plan.province, who["nationality"], who["birth_date"])
    last = plan.ssn_last.setdefault(prefix, [0, 0])
    slot = 0 if who["sex"] == "M" else 1
    try:
        seq = insurance.next_sequence(last[slot] or None, who["sex"])
    except insurance.SequenceExhausted:
        return None
    last[slot] = seq
    return insurance.ssn_for_sequence(prefix, seq)


def _registration(rng: random.Random, plan: Plan, out: Rows, who: dict[str, Any], number: str, notice: str,
                  employer_id: int, at: datetime, *, person_id: int | None, state: str) -> None:
    channel = _pick(rng, _CHANNEL)
    out["insurance_registration"].append({
        "id": plan.take("insurance_registration"), "reference": reference("SI", plan.count("SI"), plan.salt),
        "person_id": person_id, "permit_number": number, "notice_number": notice,
        "family_name": who["family_name"], "given_names": who["given_names"],
        "employer_id": employer_id if channel == "employer" else None, "channel": channel,
        "credential": "ecard" if channel == "individual" and rng.random() < 0.5 else "notice", "state": state,
        "refusal_reason": "not_valid" if state == "refused" else None, "version": 1, "created_by_user_id": None,
        "created_at": at, "decided_at": at if state != "submitted" else None})


CARD_APP_STATES = _weighted((("submitted", 40), ("returned", 15), ("resubmitted", 10), ("approved", 20),
                             ("in_production", 30), ("ready_for_collection", 30), ("collected", 800),
                             ("rejected", 30), ("cancelled", 25)))
COLLECTED_CARD_STATES = _weighted((("active", 85), ("issued", 7), ("suspended", 3), ("invalidated", 5)))


def _card(rng: random.Random, plan: Plan, out: Rows, who: dict[str, Any], ssn: str, permit: dict[str, Any],
          insured_at: datetime) -> None:
    state = _pick(rng, CARD_APP_STATES)
    recent = state not in ("collected", "rejected", "cancelled")
    created = _at(plan.today - timedelta(days=rng.randrange(20)), rng) if recent else min(
        insured_at + timedelta(days=1 + rng.randrange(40)), _at(plan.today, rng))
    branch_id, bin_prefix = rng.choice(plan.branches)
    channel = "instant" if rng.random() < 0.1 else "standard"
    approved = created + timedelta(days=2) if state in ("approved", "in_production", "ready_for_collection",
                                                        "collected") else None
    ready = approved + timedelta(days=10) if approved and state in ("ready_for_collection", "collected") else None
    collected = ready + timedelta(days=3) if ready and state == "collected" else None
    app_id = plan.take("card_application")
    out["card_application"].append({
        "id": app_id, "reference": reference("SSC", plan.count("SSC"), plan.salt),
        "permit_number": permit["permit_number"], "applicant_user_id": None, "family_name": who["family_name"],
        "given_names": who["given_names"], "kind": "first", "channel": channel,
        "submitted_via": "branch" if rng.random() < 0.3 else "online", "branch_id": branch_id,
        "photo_id": plan.photo_id, "passport_checked": collected is not None,
        "passport_checked_by_user_id": None, "state": state, "version": 1, "fee_fen": 0,
        "promised_date": (approved + timedelta(days=16)).date() if approved else None, "approved_at": approved,
        "production_started_at": approved + timedelta(days=1) if approved and state != "approved" else None,
        "ready_at": ready, "collected_at": collected,
        "decided_at": approved or (created + timedelta(days=3) if state == "rejected" else None),
        "return_note": "The photo is too dark." if state in ("returned", "resubmitted") else "",
        "reject_reason": "The permit does not match the applicant." if state == "rejected" else "",
        "created_at": created, "updated_at": collected or ready or approved or created,
        "created_by_user_id": None, "notify_locale": "en"})
    if state not in ("in_production", "ready_for_collection", "collected"):
        return
    card_state = "produced" if collected is None else _pick(rng, COLLECTED_CARD_STATES)
    account = cards.account_number(bin_prefix, plan.count(f"account:{bin_prefix}"))
    produced = approved + timedelta(days=1)  # type: ignore[operator]
    out["card"].append({
        "id": plan.take("card"), "card_number": cards.card_number(plan.count("card_number")),
        "bank_account": account, "bank_account_last4": account[-4:], "application_id": app_id,
        "branch_id": branch_id, "ssn": ssn, "ssn_hash": blind_index(ssn), "photo_id": plan.photo_id,
        "state": card_state, "version": 1, "family_name": who["family_name"], "given_names": who["given_names"],
        **permit, "permit_refreshed_at": produced, "produced_at": produced,
        "issued_at": collected, "activated_at": collected + timedelta(hours=1)
        if collected and card_state != "issued" else None,
        "invalidated_at": collected + timedelta(days=30) if collected and card_state == "invalidated" else None})


TABLES = ("permit_person", "permit", "permit_application", "permit_decision", "permit_version",
          "insurance_person", "insurance_registration", "card_application", "card")


def chunk(seed: int, index: int, people: int, plan: Plan) -> Rows:
    """The rows of ``people`` people (chunk ``index`` of a run): deterministic for a seed."""
    rng = random.Random(f"{seed}:{index}")
    out: Rows = {t: [] for t in TABLES}
    for _ in range(people):
        person(rng, plan, out)
        if rng.random() < 0.12:
            pending_application(rng, plan, out)
    return out
