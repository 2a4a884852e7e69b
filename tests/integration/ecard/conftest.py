"""Fixtures of the e-card tests: a person in the registry (with an SSN), the mail drop, registering."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import replace
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest

from permitcard.bootstrap import adapters, install
from permitcard.db import Database
from permitcard.ecard import service
from permitcard.notifications.adapters import FileMailer
from permitcard.shared import outbox
from permitcard.shared.registry import PermitInfo
from tests.insurance_factories import register_for_ssn
from tests.permit_factories import file_and_approve

PASSWORD = "Ecard-pass1"


@pytest.fixture
def maildir(tmp_path: Path) -> Iterator[Path]:
    """The app's adapters with the file mailer writing into this test's folder (the mail drop)."""
    assembled = adapters()
    install(replace(assembled, mailer=FileMailer(tmp_path / "mail")))
    yield tmp_path / "mail"
    install(assembled)


@pytest.fixture
def person(db: Database) -> tuple[PermitInfo, str]:
    """A person with an approved permit and a social security number: (permit, ssn)."""
    info = file_and_approve(db)
    return info, register_for_ssn(db, info)


def mails(db: Database, maildir: Path) -> list[Any]:
    while outbox.dispatch(db):  # handlers may queue notifications of their own
        pass
    return [message_from_bytes(p.read_bytes(), policy=policy.default) for p in sorted(maildir.glob("*.eml"))]


def code_mails(db: Database, maildir: Path) -> list[Any]:
    return [m for m in mails(db, maildir) if "e-card code" in str(m["Subject"])]


def last_code(db: Database, maildir: Path, to: str | None = None) -> str:
    """The newest e-card code in the mail drop (to ``to`` if given)."""
    found = [m for m in mails(db, maildir) if "e-card code" in str(m["Subject"]) and (to is None or m["To"] == to)]
    assert found, "no e-card code was sent"
    match = re.search(r"\b(\d{6})\b", str(found[-1]["Subject"]))
    assert match
    return match.group(1)


def form(info: PermitInfo, **overrides: str) -> dict[str, str]:
    data = {"family_name": info.family_name, "given_names": info.given_names, "number_kind": "permit",
            "number": info.permit_number, "passport_number": info.passport_number, "email": "me@example.com",
            "password": PASSWORD, "password_again": PASSWORD}
    data.update(overrides)
    return data


@pytest.fixture
def registered(db: Database, person: tuple[PermitInfo, str], maildir: Path) -> Callable[..., service.Holder]:
    """Register and verify an e-card for the person; returns the holder of its session."""

    def make(**overrides: str) -> service.Holder:
        info, _ssn = person
        started = service.register(db, ip="10.0.0.1", **form(info, **overrides))
        pending = service.holder_for(db, started.token, kinds=("pending",))
        assert pending is not None
        token = service.verify_code(db, holder=pending, code=last_code(db, maildir), ip="10.0.0.1")
        holder = service.holder_for(db, token, kinds=("session",))
        assert holder is not None and holder.verified
        return holder

    return make
