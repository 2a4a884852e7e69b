"""Import of social security cards issued before the integration (2024-12-01) (R: no change, no replacement).

Each row becomes a ``Card`` as it was — active (or issued, if never activated), with its SSN, bank
account and branch, and **no** permit information (those cards never carried it). The holder's SSN is
kept on the insurance record of their permit (imported first with ``import-legacy permits``). Once that
permit is electronic, the holder may apply for the free upgrade (SPEC §4 case 2); the old card is
invalidated when the new one is issued. The CSV format is in the README and docs/examples/legacy-cards.csv.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, time
from pathlib import Path

from sqlalchemy import update
from sqlalchemy.orm import Session

from permitcard.banks import service as banks
from permitcard.cards import domain
from permitcard.cards import repository as repo
from permitcard.cards.domain import CardState
from permitcard.cards.models import Card, CardSequence
from permitcard.db import Database
from permitcard.insurance import service as insurance
from permitcard.shared import audit, clock, ids
from permitcard.shared.audit import Actor
from permitcard.shared.crypto import blind_index
from permitcard.shared.legacy_import import AlreadyImported, ImportReport, RowError, need, parse_date, run_import
from permitcard.shared.registry import names_match, registry_for

INTEGRATION_DAY = date(2024, 12, 1)
COLUMNS = ("card_number", "ssn", "permit_number", "family_name", "given_names", "branch_code", "bank_account",
           "issued_on", "activated_on")
_ACCOUNT_RE = re.compile(r"^\d{12,19}$")


def _local(day: date) -> datetime:
    return datetime.combine(day, time(9, 0), tzinfo=clock.SHANGHAI)


def _reserve(s: Session, number: str) -> None:
    """The card vendor's counter goes past an imported number, so no new card is ever given it again."""
    used = domain.CARD_LETTERS.index(number[0]) * 10**domain.CARD_BODY_DIGITS + int(number[1:-1])
    if s.execute(update(CardSequence).where(CardSequence.name == "card_number", CardSequence.value < used)
                 .values(value=used)).rowcount == 0 and s.get(CardSequence, "card_number") is None:  # type: ignore[attr-defined]
        s.add(CardSequence(name="card_number", value=used))
        s.flush()


def import_row(s: Session, row: dict[str, str], *, actor: Actor) -> Card:
    """One legacy card, as it was (RowError / AlreadyImported otherwise)."""
    number = need(row, "card_number").upper()
    if not domain.card_number_valid(number):
        raise RowError(f"card_number {number!r} is not a card number (a letter, 8 digits, last one a check digit)")
    if repo.card_by_number(s, number) is not None:
        raise AlreadyImported()
    permit_number = ids.normalise_permit_number(need(row, "permit_number"))
    permit = registry_for(s).get(permit_number) if permit_number else None
    if permit is None:
        raise RowError(f"no work permit {row.get('permit_number')!r} is registered (import the permits first)")
    if not names_match(need(row, "family_name"), row.get("given_names", ""), permit.family_name, permit.given_names):
        raise RowError("the name does not match the name on the work permit")
    branch = banks.branch_by_code(s, need(row, "branch_code"))
    if branch is None:
        raise RowError(f"branch_code {row.get('branch_code')!r} is not a known branch")
    account = re.sub(r"\s+", "", need(row, "bank_account"))
    if not _ACCOUNT_RE.match(account):
        raise RowError("bank_account must be 12 to 19 digits")
    issued = parse_date(row, "issued_on")
    activated = parse_date(row, "activated_on", required=False)
    assert issued is not None
    if issued >= INTEGRATION_DAY:
        raise RowError(f"issued_on {issued} is not before 2024-12-01: only cards issued before the integration "
                       "are imported")
    if activated is not None and activated < issued:
        raise RowError("activated_on is before issued_on")
    problem = insurance.adopt_legacy_ssn(s, info=permit, ssn=need(row, "ssn"), actor=actor)
    if problem:
        raise RowError(problem)
    ssn = insurance.ssn_for(s, permit_number=permit.permit_number)
    assert ssn is not None
    state = CardState.ACTIVE if activated else CardState.ISSUED
    held = repo.held_cards_by_ssn(s, blind_index(ssn))
    if state == CardState.ACTIVE and any(c.state == CardState.ACTIVE for c in held):
        raise RowError("this person already holds an active card")
    card = Card(card_number=number, bank_account=account, bank_account_last4=account[-4:], application_id=None,
                branch_id=branch.id, ssn=ssn, ssn_hash=blind_index(ssn), photo_id=None, state=state.value, version=1,
                family_name=permit.family_name, given_names=permit.given_names, produced_at=_local(issued),
                issued_at=_local(issued), activated_at=_local(activated) if activated else None)
    s.add(card)
    s.flush()
    _reserve(s, number)
    audit.record(s, actor=actor, action="card.imported", target_type="card", target_id=card.id,
                 after={"card_number": number, "branch_id": branch.id, "state": card.state, "ssn": ssn,
                        "bank_account": account, "issued_on": issued.isoformat()},
                 note="legacy card issued before the integration (no permit information)")
    return card


def import_file(db: Database, path: Path, *, actor: Actor | None = None,
                progress: Callable[[int], None] | None = None) -> ImportReport:
    """Import a legacy card register CSV; a row report (ok / skipped-already-imported / error and why)."""
    who = actor or Actor.system("import-legacy cards")
    return run_import(db, path, required=COLUMNS, key="card_number",
                      import_row=lambda s, row: import_row(s, row, actor=who), progress=progress)
