"""The audit log: every row opens to its entry (before/after, the record it touched); the CSV gives
times with their offset and says which zone."""

from __future__ import annotations

import csv
import io
import re

from fastapi.testclient import TestClient
from sqlalchemy import select

from permitcard.auth.domain import Role
from permitcard.db import Database
from permitcard.shared.models import AuditLog
from tests.factories import make_user, page_login


def test_every_audit_row_opens_to_its_entry_with_before_and_after(db: Database, client: TestClient) -> None:
    make_user(db, Role.AUDITOR, "auditor.rows@example.com")
    page_login(client, "auditor.rows@example.com")
    with db.uow(write=False) as s:
        ids = list(s.execute(select(AuditLog.id)).scalars())
    page = client.get("/audit").text
    rows = re.findall(r"<tr><td>.*?</tr>", page, flags=re.S)
    assert rows
    for row in rows:
        assert re.search(r'href="/audit/\d+"', row), row
    created = next(i for i in ids if client.get(f"/audit/{i}").text.count("Before and after"))
    entry = client.get(f"/audit/{created}").text
    assert "Before and after" in entry and "<th scope=\"col\">Before</th>" in entry


def test_audit_csv_times_carry_the_shanghai_offset_and_the_header_says_so(db: Database, client: TestClient) -> None:
    make_user(db, Role.AUDITOR, "auditor.csv@example.com")
    page_login(client, "auditor.csv@example.com")
    body = client.get("/audit.csv").content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0][1] == "at (Asia/Shanghai, UTC+08:00)"
    assert len(rows) > 1
    for row in rows[1:]:
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00", row[1]), row[1]
