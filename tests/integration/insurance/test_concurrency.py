"""SSN allocation is safe when two agency processes assign at the same moment (PostgreSQL)."""

from __future__ import annotations

import threading
import time
from datetime import date

from permitcard.db import Database
from permitcard.insurance import service
from permitcard.shared.registry import PermitInfo


def _info(n: int) -> PermitInfo:
    born = date(1901, 1, 1)  # a prefix no other test uses
    return PermitInfo(permit_number=f"CONC{n:06d}", notice_number="", family_name="X", given_names="Y",
                      nationality="NZ", birth_date=born, sex="M", passport_number=f"P{n:07d}", category="B",
                      employer_uscc="", employer_name_en="", employer_name_zh="", position="", valid_from=born,
                      valid_to=born, status="valid", version=1)


def test_two_first_allocations_racing_get_different_numbers(committed_db: Database) -> None:
    db = committed_db
    barrier = threading.Barrier(2)
    results: list[str] = []
    errors: list[BaseException] = []

    def allocate(n: int) -> None:
        try:
            with db.uow() as s:
                barrier.wait()
                results.append(service._allocate(s, _info(n)))
                time.sleep(0.3)  # hold the lock while the other one tries
                s.commit()
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=allocate, args=(n,)) for n in (1, 2)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        assert not errors, errors
        assert sorted(r[14:17] for r in results) == ["001", "003"]
    finally:
        for t in threads:
            t.join(timeout=1)
