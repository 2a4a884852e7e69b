"""A second city beside Dongguan, from a data file only (no code): its banks, branches and rules.

Chengdu (5101, Sichuan 51) with its own branches, a three-year limit for category B, ten working
days to the promised date and a first-card fee; the whole journey runs there through the API.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from stdnum.cn import uscc

from permitcard.auth.domain import Role
from permitcard.db import Database
from permitcard.seed import seed_city
from permitcard.shared import clock
from tests.card_factories import seed_branches
from tests.factories import api_login, api_sign_up, make_user
from tests.insurance_factories import jpeg_bytes
from tests.permit_factories import employer_with_user

TODAY = date(2026, 3, 2)  # a Monday; 10 working days later is Monday 16 March 2026

CHENGDU = '''
code = "5101"
name_en = "Chengdu"
name_zh = "成都"
effective_from = 2025-01-01
branches_csv = "chengdu-branches.csv"

[rules]
permit_max_years_a = 5
permit_max_years_b = 3
permit_max_years_c = 1
card_ready_working_days = 10
fee_first = "8.00"
fee_upgrade = "0"
fee_replacement = "30.00"
ssn_province_code = "51"
instant_branches = ["CGB-CD-MAIN"]
replacement_branches = ["CGB-CD-MAIN"]
ecard_qr_seconds = 90
'''
BRANCHES = '''code,bank_code,name_en,name_zh,address_en,address_zh,phone,city_code
CGB-CD-MAIN,CGB,Chengdu Branch,成都分行营业部,"1 Tianfu Avenue, Chengdu",成都市天府大道1号,028-80000001,5101
CCB-CD-TIANFU,CCB,Tianfu Sub-branch,天府支行,"9 Jiaozi Avenue, Chengdu",成都市交子大道9号,028-80000002,5101
'''


def city_file(tmp_path: Path) -> Path:
    (tmp_path / "chengdu-branches.csv").write_text(BRANCHES, encoding="utf-8")
    path = tmp_path / "chengdu.toml"
    path.write_text(CHENGDU, encoding="utf-8")
    return path


def _uscc(region: str, n: int) -> str:
    body = f"91{region}{n:09d}"
    return body + uscc.calc_check_digit(body)


@pytest.fixture(autouse=True)
def frozen():  # type: ignore[no-untyped-def]
    with clock.frozen(TODAY):
        yield


@pytest.fixture
def chengdu(db: Database, tmp_path: Path) -> dict[str, str]:
    seed_branches(db)  # Dongguan's, beside
    city = seed_city(db, city_file(tmp_path))
    assert (city.code, city.name_en, city.name_zh, city.is_default) == ("5101", "Chengdu", "成都", False)
    assert seed_city(db, city_file(tmp_path)).revision == city.revision  # again: nothing changes
    employer_with_user(db, email="cd-hr@example.com", uscc=_uscc("510100", 1234), city_code="5101")
    employer_with_user(db, email="dg-hr@example.com", uscc=_uscc("441900", 4321))
    make_user(db, Role.PERMIT_OFFICER, "cd-officer@example.com")
    make_user(db, Role.PHOTO_STUDIO, "cd-studio@example.com")
    make_user(db, Role.AGENCY_CLERK, "cd-agency@example.com")
    with db.uow(write=False) as s:
        from permitcard.banks import repository as bank_repo

        branches = {b.code: b.id for b in bank_repo.branches(s, city_code="5101")}
    make_user(db, Role.BANK_CLERK, "cd-ccb@example.com", branch_id=branches["CCB-CD-TIANFU"])
    make_user(db, Role.BANK_CLERK, "cd-cgb@example.com", branch_id=branches["CGB-CD-MAIN"])
    return {"ccb_branch": str(branches["CCB-CD-TIANFU"]), "cgb_branch": str(branches["CGB-CD-MAIN"])}


def _as(client: TestClient, email: str) -> None:
    client.cookies.clear()
    api_login(client, email)


def _application(start: date, passport: str) -> dict[str, str]:
    return {"family_name": "SOUZA", "given_names": "BEATRIZ", "nationality": "BR", "birth_date": "1992-02-14",
            "sex": "F", "passport_number": passport, "passport_expiry_date": str(start + timedelta(days=2000)),
            "position": "Game designer", "category": "B", "contract_start_date": str(start),
            "contract_end_date": str(start + timedelta(days=1200)),
            "requested_end_date": str(start + timedelta(days=365 * 2 + 200))}  # 2.5 years


def test_the_journey_in_a_second_city(client: TestClient, chengdu: dict[str, str]) -> None:
    start = TODAY + timedelta(days=7)
    # The same 2.5-year category B permit: beyond Dongguan's two years, within Chengdu's three.
    _as(client, "dg-hr@example.com")
    refused = client.post("/api/v1/permit-applications", json=_application(start, "BR5550001"))
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "requested_end_date"
    _as(client, "cd-hr@example.com")
    filed = client.post("/api/v1/permit-applications", json=_application(start, "BR5550001"))
    assert filed.status_code == 201, filed.text

    _as(client, "cd-officer@example.com")
    approved = client.post(f"/api/v1/permit-applications/{filed.json()['id']}/decision",
                           json={"action": "approve", "version": filed.json()["version"]})
    assert approved.status_code == 200, approved.text
    permit_number, notice = approved.json()["permit_number"], approved.json()["notice_number"]

    _as(client, "cd-hr@example.com")
    reg = client.post("/api/v1/insurance-registrations", json={
        "notice_number": notice, "family_name": "SOUZA", "given_names": "BEATRIZ", "passport_number": "BR5550001"})
    assert reg.status_code == 201, reg.text
    assert reg.json()["ssn"].startswith("951076")  # 9 + Sichuan (51) + Brazil (076)

    _as(client, "cd-studio@example.com")
    photo = client.post("/api/v1/photos", data={"family_name": "SOUZA", "given_names": "BEATRIZ",
                                                "passport_number": "BR5550001"},
                        files={"file": ("me.jpg", jpeg_bytes(), "image/jpeg")})
    assert photo.status_code == 201, photo.text

    client.cookies.clear()
    api_sign_up(client, "bia@example.com", "pandas eat bamboo", "Beatriz Souza")
    linked = client.post("/api/v1/me/permit-link", json={"family_name": "Souza", "given_names": "Beatriz",
                                                         "permit_number": permit_number,
                                                         "passport_number": "BR5550001"})
    assert linked.status_code == 200, linked.text
    eligibility = client.get("/api/v1/me/card-eligibility").json()
    assert eligibility["kind"] == "first" and eligibility["fee_fen"] == 800  # Chengdu's fee, shown before
    applied = client.post("/api/v1/card-applications", json={
        "branch_id": int(chengdu["ccb_branch"]), "photo_receipt": photo.json()["receipt_number"],
        "passport_number": "BR5550001"})
    assert applied.status_code == 201, applied.text
    assert applied.json()["fee_fen"] == 800

    _as(client, "cd-agency@example.com")
    decided = client.post(f"/api/v1/card-applications/{applied.json()['id']}/decision",
                          json={"action": "approve", "version": applied.json()["version"]})
    assert decided.status_code == 200, decided.text
    assert decided.json()["promised_date"] == "2026-03-16"  # Chengdu: 10 working days, not Dongguan's 12
    assert decided.json()["state"] == "in_production"

    _as(client, "cd-ccb@example.com")  # Tianfu has no same-day production in Chengdu's rules
    instant = client.post("/api/v1/card-applications", json={
        "permit_number": permit_number, "family_name": "SOUZA", "given_names": "BEATRIZ",
        "passport_number": "BR5550001", "passport_checked": True, "photo_receipt": "X", "channel": "instant"})
    assert instant.status_code == 422


def test_branches_and_pages_per_city(client: TestClient, chengdu: dict[str, str]) -> None:
    found = {b["code"]: b for b in client.get("/api/v1/branches", params={"city": "5101"}).json()}
    assert set(found) == {"CGB-CD-MAIN", "CCB-CD-TIANFU"}
    assert found["CGB-CD-MAIN"]["instant_production"] and not found["CCB-CD-TIANFU"]["instant_production"]
    assert {c["code"] for c in client.get("/api/v1/cities").json()} == {"4419", "5101"}
    page = client.get("/branches", params={"city": "5101"}, headers={"Accept-Language": "zh-CN"})
    assert "成都" in page.text and "天府支行" in page.text and "东莞分行营业部" not in page.text
    home = client.get("/branches")  # the default city, and a link to the other
    assert "Dongguan Main Branch" in home.text and 'href="/branches?city=5101"' in home.text


def test_city_add_from_the_command_line(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cities.db'}"
    env = dict(os.environ, DATABASE_URL=url, PERMITCARD_VAR_DIR=str(tmp_path), PERMITCARD_ENVIRONMENT="production")

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "permitcard.cli", *args], text=True, capture_output=True,
                              env=env, timeout=120)

    assert cli("db", "upgrade").returncode == 0
    added = cli("city", "add", str(city_file(tmp_path)))
    assert added.returncode == 0, added.stderr
    listed = cli("city", "list")
    assert "4419 Dongguan 东莞 (default)" in listed.stdout and "5101 Chengdu 成都" in listed.stdout
    assert "card_ready_working_days    10" in listed.stdout
    broken = tmp_path / "broken.toml"
    broken.write_text(CHENGDU.replace("ssn_province_code = \"51\"\n", ""), encoding="utf-8")
    refused = cli("city", "add", str(broken))
    assert refused.returncode == 2 and "ssn_province_code" in refused.stderr
