from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from permitcard.banks.models import Bank, BankBranch

# The one order of branches in every list, page and API: grouped by bank, its main branch first, then by name.
ORDER = (Bank.name_en, BankBranch.is_main.desc(), BankBranch.name_en, BankBranch.code)


def branches(s: Session, *, city_code: str | None = None, active_only: bool = True) -> list[BankBranch]:
    q = select(BankBranch).join(Bank).order_by(*ORDER)
    if city_code:
        q = q.where(BankBranch.city_code == city_code)
    if active_only:
        q = q.where(BankBranch.is_active.is_(True))
    return list(s.execute(q).scalars())


def branch(s: Session, branch_id: int) -> BankBranch | None:
    return s.get(BankBranch, branch_id)


def branch_by_code(s: Session, code: str) -> BankBranch | None:
    return s.execute(select(BankBranch).where(BankBranch.code == code)).scalar_one_or_none()


def bank_by_code(s: Session, code: str) -> Bank | None:
    return s.execute(select(Bank).where(Bank.code == code)).scalar_one_or_none()
