"""No raw code reaches people: every role's pages, read in Chinese, show no state, role, action or
record kind as the code the program stores (``valid``, ``bank_clerk``, ``user.signed_in``)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from permitcard.auth.domain import Role
from permitcard.db import Database
from permitcard.main import NAV
from permitcard.shared import clock, labels
from permitcard.shared.models import AuditLog
from tests.card_factories import collected_card
from tests.factories import make_user, page_login

TODAY = date(2025, 9, 1)
# A code as the program writes it: snake_case or dotted (``bank_clerk``, ``user.signed_in``).
CODE = re.compile(r"(?<![\w@./-])[a-z]+(?:[._][a-z]+)+(?![\w@/-])")


@pytest.fixture(autouse=True)
def frozen_today() -> Iterator[date]:
    with clock.frozen(TODAY):
        yield TODAY


def _text(html: str) -> str:
    main = html.split('<main id="main"', 1)[-1]
    main = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", main, flags=re.S)
    # The audit diff names the stored columns (set in <code>, for the auditor to match the database).
    main = re.sub(r"<code>.*?</code>", " ", main, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html.split("<main", 1)[0] + main)


def _raw_codes(text: str, single_words: set[str]) -> set[str]:
    found = {m.group(0) for m in CODE.finditer(text)}
    words = set(re.findall(r"(?<![\w@./-])[a-z]+(?![\w@/-])", text))  # zh pages: no English word at all
    return found | (words & single_words)


def test_pages_of_every_role_in_chinese_show_no_raw_code(db: Database, client: TestClient) -> None:
    _permit, clerk, app = collected_card(db)
    emails = {Role.BANK_CLERK: clerk.label}
    for role in (Role.AGENCY_CLERK, Role.AUDITOR, Role.ADMIN, Role.PERMIT_OFFICER):
        emails[role] = f"{role.value.replace('_', '')}1@example.com"
        make_user(db, role, emails[role])
    with db.uow(write=False) as s:
        audit_ids = list(s.execute(select(AuditLog.id).order_by(AuditLog.id.desc()).limit(15)).scalars())
    single = {code for kind in labels.kinds().values() for code in kind if code.isalpha() and code.islower()}
    extra = {Role.AGENCY_CLERK: [f"/agency/cards/{app.id}"], Role.AUDITOR: [f"/audit/{i}" for i in audit_ids],
             Role.BANK_CLERK: [f"/branch/applications/{app.id}"]}
    problems: dict[str, set[str]] = {}
    for role, email in emails.items():
        client.cookies.clear()
        client.cookies.set("lang", "zh-Hans")
        page_login(client, email)
        for path in [href for href, _label in NAV[role]] + extra.get(role, []):
            r = client.get(path)
            assert r.status_code == 200, (role, path, r.status_code)
            raw = _raw_codes(_text(r.text), single)
            if raw:
                problems[f"{role.value} {path}"] = raw
    assert not problems, problems


def test_every_audit_action_the_code_writes_has_a_label_in_both_languages() -> None:
    """Every audit action the source writes (literals on lines that name an action, the exports, every
    state machine's actions) reads as words in Chinese."""
    from pathlib import Path

    from permitcard.bootstrap import context_modules
    from permitcard.shared import i18n
    from permitcard.shared.state import Machine

    src = Path(__file__).resolve().parents[3] / "src" / "permitcard"
    actions: set[str] = set()
    for path in src.rglob("*.py"):
        for line in path.read_text().splitlines():
            if "action" in line.lower() or "_ACTIONS" in line:
                actions |= set(re.findall(r"\"([a-z_]+\.[a-z_]+)\"", line))
            actions |= {f"export.{w}" for w in re.findall(r"what=\"([a-z_]+)\"", line)}
    for module in context_modules("domain"):
        for m in vars(module).values():
            if isinstance(m, Machine):
                actions |= {f"{m.name}.{m.verbs.get(a, a)}" for (_s, a) in m.transitions}
    assert len(actions) > 40
    with i18n.use_locale("zh_Hans"):
        missing = sorted(a for a in actions if re.search(r"[a-z]{2,}", labels.label(a, "audit_action")))
    assert not missing, missing
