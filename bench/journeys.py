"""The journeys a client drives, step by step, over HTTP; the same code drives permitcard and bench/bare.py.

Each journey is a sequence of timed steps on one keep-alive connection. Data a journey needs before
its timed steps (approved permits for the registration; permit, SSN and photo for the card) is
prepared through the same API beforehand by `prepare`, and is never timed.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

from bench.client import Account, Conn, multipart

# The bench acts as these demo accounts (bench/run.py signs them in; the bare app accepts the same).
ROLE_EMAILS = {
    "employer": "hr@example.com",
    "officer": "officer@example.com",
    "clerk": "clerk.cgb@example.com",  # Guangfa Dongguan main branch: instant issue
    "studio": "studio@example.com",
}
NATIONALITIES = ("DE", "BR", "US", "GB", "FR", "JP", "KR", "IN", "NG", "RU", "IT", "ES", "AU", "CA", "MX")
Record = list[tuple[str, float]]
Accounts = dict[str, Account]


def person(key: int) -> dict[str, Any]:
    """A unique, valid person and job for key (names of letters, a passport of letters and digits)."""
    letters = ""
    n = key
    for _ in range(6):
        letters += chr(ord("A") + n % 26)
        n //= 26
    today = date.today()
    start = today + timedelta(days=10)
    return {
        "family_name": f"BENCH{letters}", "given_names": "ALEX KIM",
        "nationality": NATIONALITIES[key % len(NATIONALITIES)],
        "birth_date": str(date(1966, 1, 1) + timedelta(days=(key * 37) % 12000)), "sex": "MF"[key % 2],
        "passport_number": f"P{key:09d}", "passport_expiry_date": str(start + timedelta(days=365 * 6)),
        "position": "Process engineer", "category": "B", "contract_start_date": str(start),
        "contract_end_date": str(start + timedelta(days=800)), "requested_end_date": str(start + timedelta(days=700)),
    }


async def _step(rec: Record, name: str, call: Awaitable[Any]) -> Any:
    t = time.perf_counter()
    out = await call
    rec.append((name, time.perf_counter() - t))
    return out


# --- the timed journeys ---------------------------------------------------------------------------


async def run_permit(conn: Conn, acc: Accounts, item: dict[str, Any], rec: Record) -> dict[str, Any]:
    """(2) The employer files a permit application; the officer approves it."""
    p = person(int(item["key"]))
    filed = await _step(rec, "file", conn.json("POST", "/api/v1/permit-applications", p, account=acc["employer"],
                                               expect=(201,), what="file a permit application"))
    done = await _step(rec, "approve", conn.json(
        "POST", f"/api/v1/permit-applications/{filed['id']}/decision",
        {"action": "approve", "version": filed["version"]}, account=acc["officer"], what="approve"))
    if done["state"] != "approved":
        raise AssertionError(f"permit not approved: {done['state']}")
    return {"key": item["key"], "permit_number": done["permit_number"], "notice_number": done["notice_number"],
            "family_name": p["family_name"], "given_names": p["given_names"], "passport_number": p["passport_number"]}


async def run_registration(conn: Conn, acc: Accounts, item: dict[str, Any], rec: Record) -> dict[str, Any]:
    """(1) The employer registers a worker for social insurance with the notice number."""
    reg = await _step(rec, "register", conn.json(
        "POST", "/api/v1/insurance-registrations",
        {"notice_number": item["notice_number"], "family_name": item["family_name"],
         "given_names": item["given_names"], "passport_number": item["passport_number"]},
        account=acc["employer"], expect=(201,), what="register for insurance"))
    if reg["state"] != "registered":
        raise AssertionError(f"registration {reg['state']}: {reg.get('refusal_reason')}")
    return {**item, "ssn": reg["ssn"]}


async def run_card(conn: Conn, acc: Accounts, item: dict[str, Any], rec: Record) -> dict[str, Any]:
    """(3) At an instant-issue branch: the clerk takes the application, produces the card at once,
    hands it over (passport checked), reads the card and activates it."""
    clerk, passport = acc["clerk"], item["passport_number"]
    app = await _step(rec, "apply", conn.json("POST", "/api/v1/card-applications", {
        "permit_number": item["permit_number"], "family_name": item["family_name"],
        "given_names": item["given_names"], "passport_number": passport, "passport_checked": True,
        "photo_receipt": item["photo_receipt"], "channel": "instant"}, account=clerk, expect=(201,),
        what="card application"))
    base = f"/api/v1/card-applications/{app['id']}"
    made = await _step(rec, "produce", conn.json("POST", base + "/produce-instant", {"version": app["version"]},
                                                 account=clerk, what="produce instantly"))
    handed = await _step(rec, "hand_over", conn.json("POST", base + "/hand-over", {
        "version": made["version"], "passport_number": passport}, account=clerk, what="hand over"))
    card = await _step(rec, "read_card", conn.json("GET", f"/api/v1/cards/{handed['card_id']}", account=clerk,
                                                   expect=(200,), what="read the card"))
    active = await _step(rec, "activate", conn.json("POST", f"/api/v1/cards/{card['id']}/activate", {
        "version": card["version"], "passport_number": passport}, account=clerk, what="activate"))
    if active["state"] != "active":
        raise AssertionError(f"card not active: {active['state']}")
    return {"card_id": card["id"]}


async def run_extension(conn: Conn, acc: Accounts, item: dict[str, Any], rec: Record) -> dict[str, Any]:
    """(4) The employer files the extension of a permit whose last day is 60 days away (in its window)."""
    later = date.today() + timedelta(days=400)
    filed = await _step(rec, "extend", conn.json(
        "POST", f"/api/v1/permits/{item['permit_number']}/extensions",
        {"requested_end_date": str(later), "contract_end_date": str(later),
         "passport_expiry_date": item["passport_expiry_date"]},
        account=acc["employer"], expect=(201,), what="file an extension"))
    if filed["state"] != "submitted":
        raise AssertionError(f"extension {filed['state']}")
    return {"application_id": filed["id"]}


# --- preparation (untimed) ------------------------------------------------------------------------


async def prepare_registration(conn: Conn, acc: Accounts, key: int) -> dict[str, Any]:
    return await run_permit(conn, acc, {"key": key}, [])


async def prepare_extension(conn: Conn, acc: Accounts, key: int) -> dict[str, Any]:
    """An approved permit whose last day is 60 days away: its extension may be filed today."""
    p = person(int(key) + 5_000_000)  # never the people of the other journeys
    end = date.today() + timedelta(days=60)
    p |= {"contract_start_date": str(date.today() + timedelta(days=1)), "contract_end_date": str(end),
          "requested_end_date": str(end)}
    filed = await conn.json("POST", "/api/v1/permit-applications", p, account=acc["employer"], expect=(201,),
                            what="file a permit application")
    done = await conn.json("POST", f"/api/v1/permit-applications/{filed['id']}/decision",
                           {"action": "approve", "version": filed["version"]}, account=acc["officer"], what="approve")
    return {"permit_number": done["permit_number"], "passport_expiry_date": p["passport_expiry_date"]}


@lru_cache(maxsize=1)
def photo_jpeg() -> bytes:
    """One valid card photo (413×531 px JPEG), made once."""
    import io

    from PIL import Image

    img = Image.new("RGB", (413, 531), (205, 185, 165))
    for y in range(531 // 4, 531 // 2):
        for x in range(413 // 3, 2 * 413 // 3, 4):
            img.putpixel((x, y), (120, 90, 70))
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=90)
    return buf.getvalue()


async def prepare_card(conn: Conn, acc: Accounts, key: int) -> dict[str, Any]:
    item = await run_registration(conn, acc, await prepare_registration(conn, acc, key), [])
    body, ctype = multipart({"family_name": item["family_name"], "given_names": item["given_names"],
                             "passport_number": item["passport_number"]}, "file", "photo.jpg", photo_jpeg())
    r = await conn.request("POST", "/api/v1/photos", body, account=acc["studio"], content_type=ctype)
    if r.status != 201:
        raise AssertionError(f"photo upload: HTTP {r.status} {r.body[:200]!r}")
    return {**item, "photo_receipt": r.json()["receipt_number"]}


@dataclass(frozen=True)
class Journey:
    name: str
    title: str
    steps: tuple[str, ...]
    roles: tuple[str, ...]
    run: Callable[[Conn, Accounts, dict[str, Any], Record], Awaitable[dict[str, Any]]]
    prepare: Callable[[Conn, Accounts, int], Awaitable[dict[str, Any]]] | None  # None: items are bare keys


JOURNEYS: dict[str, Journey] = {j.name: j for j in (
    Journey("registration", "insurance registration with the notice number (employer)", ("register",),
            ("employer", "officer"), run_registration, prepare_registration),
    Journey("permit", "permit application filed (employer) and approved (officer)", ("file", "approve"),
            ("employer", "officer"), run_permit, None),
    Journey("card", "card at an instant branch: apply, produce, hand over, read, activate (bank clerk)",
            ("apply", "produce", "hand_over", "read_card", "activate"), ("employer", "officer", "studio", "clerk"),
            run_card, prepare_card),
    Journey("extension", "extension of a permit filed in its window (employer)", ("extend",),
            ("employer", "officer"), run_extension, prepare_extension),
)}
