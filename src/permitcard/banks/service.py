"""Banks and branches: what other contexts ask (``get_branch``, answering a ``Branch`` value), the public
finder, seeding."""

from __future__ import annotations

import csv
from pathlib import Path

from sqlalchemy.orm import Session

from permitcard.banks import repository as repo
from permitcard.banks.domain import Branch
from permitcard.banks.models import Bank, BankBranch
from permitcard.db import Database
from permitcard.policy import service as policy
from permitcard.shared import audit, clock
from permitcard.shared.audit import Actor
from permitcard.shared.errors import N_, NotFound

DATA_DIR = Path(__file__).with_name("data")


def _value(s: Session, b: BankBranch) -> Branch:
    rules = policy.policy_for(s, city=b.city_code, on=clock.today())
    return Branch(
        id=b.id, code=b.code, bank_code=b.bank.code, bank_name_en=b.bank.name_en, bank_name_zh=b.bank.name_zh,
        name_en=b.name_en, name_zh=b.name_zh, address_en=b.address_en, address_zh=b.address_zh, phone=b.phone,
        city_code=b.city_code, bin_prefix=b.bank.bin_prefix, instant_production=rules.instant(b.code),
        immediate_replacement=rules.immediate_replacement(b.code), issues_cards=b.issues_cards,
        is_main=b.is_main,
    )


def get_branch(s: Session, branch_id: int) -> Branch:
    """For other contexts, inside their unit of work (capabilities as of today)."""
    row = repo.branch(s, branch_id)
    if row is None or not row.is_active:
        raise NotFound(N_("No issuing branch with this reference"))
    return _value(s, row)


def branch_by_code(s: Session, code: str) -> Branch | None:
    """An active branch by its code (imports name branches by code), or None."""
    row = repo.branch_by_code(s, code.strip().upper())
    return None if row is None or not row.is_active else _value(s, row)


def issuing_branches(s: Session, *, city: str | None = None) -> list[Branch]:
    """Active issuing branches of one city, or of every city (None)."""
    return [_value(s, b) for b in repo.branches(s, city_code=city) if b.issues_cards]


def list_branches(db: Database, *, city: str | None = None) -> list[Branch]:
    with db.uow(write=False) as s:
        return issuing_branches(s, city=city)


def seed_from_csv(s: Session, *, actor: Actor, banks_csv: Path | None = None,
                  branches_csv: Path | None = None) -> int:
    """Load banks and branches (idempotent: existing codes are updated). Returns branches written.

    Which branches make cards the same day is a rule of their city (policy), not a column here."""
    banks_csv = banks_csv or DATA_DIR / "banks.csv"
    branches_csv = branches_csv or DATA_DIR / "branches.csv"
    with banks_csv.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            bank = repo.bank_by_code(s, row["code"])
            if bank is None:
                bank = Bank(code=row["code"])
                s.add(bank)
            bank.name_en, bank.name_zh, bank.bin_prefix = row["name_en"], row["name_zh"], row["bin_prefix"]
    s.flush()
    count = 0
    with branches_csv.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            bank = repo.bank_by_code(s, row["bank_code"])
            assert bank is not None, f"unknown bank {row['bank_code']}"
            branch = repo.branch_by_code(s, row["code"])
            created = branch is None
            if branch is None:
                branch = BankBranch(code=row["code"], bank_id=bank.id)
                s.add(branch)
            branch.name_en, branch.name_zh = row["name_en"], row["name_zh"]
            branch.address_en, branch.address_zh = row["address_en"], row["address_zh"]
            branch.phone, branch.city_code = row["phone"], row["city_code"]
            branch.issues_cards = True
            branch.is_main = row.get("is_main", "0").strip() in ("1", "true", "yes")
            s.flush()
            if created:
                audit.record(s, actor=actor, action="branch.created", target_type="bank_branch",
                             target_id=branch.id, after={"code": branch.code, "city_code": branch.city_code})
            count += 1
    return count
