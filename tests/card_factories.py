"""Builders for card tests (cards, e-card, e2e). Everything goes through the real services."""

from __future__ import annotations

import random
import string
import uuid
from typing import Any

from permitcard.auth.domain import Role
from permitcard.auth.service import CurrentUser, link_permit
from permitcard.banks import repository as bank_repo
from permitcard.banks import service as banks
from permitcard.cards import service as cards
from permitcard.cards.models import CardApplication
from permitcard.db import Database
from permitcard.shared.audit import Actor
from permitcard.shared.registry import PermitInfo
from tests.factories import PASSWORD, SYSTEM, create_account
from tests.insurance_factories import photo_for, register_for_ssn, user_actor
from tests.permit_factories import file_and_approve

INSTANT_BRANCH = "CGB-DG-MAIN"  # Guangfa Dongguan Main Branch: instant production
STANDARD_BRANCH = "CCB-DG-BRANCH"  # CCB Dongguan Branch: standard only


def seed_branches(db: Database) -> dict[str, int]:
    """Banks and branches from the shipped CSV (idempotent): code -> branch id."""
    with db.uow() as s:
        banks.seed_from_csv(s, actor=SYSTEM)
        s.commit()
        return {b.code: b.id for b in bank_repo.branches(s)}


def branch_id(db: Database, code: str) -> int:
    return seed_branches(db)[code]


def _user(db: Database, role: Role, prefix: str, **kw: Any) -> str:
    email = f"{prefix}-{uuid.uuid4().hex[:8]}@example.com"
    with db.uow() as s:
        create_account(s, email=email, password=PASSWORD, role=role, display_name=prefix, actor=SYSTEM, **kw)
        s.commit()
    return email


def bank_clerk(db: Database, branch_code: str = INSTANT_BRANCH) -> Actor:
    """A bank clerk of that branch (password factories.PASSWORD); ``actor.label`` is the e-mail."""
    return user_actor(db, _user(db, Role.BANK_CLERK, "clerk", branch_id=branch_id(db, branch_code)))


def agency_clerk(db: Database) -> Actor:
    return user_actor(db, _user(db, Role.AGENCY_CLERK, "agency"))


def applicant_for(db: Database, permit: PermitInfo) -> Actor:
    """An applicant account linked to this permit."""
    email = _user(db, Role.APPLICANT, "worker")
    actor = user_actor(db, email)
    assert actor.user_id is not None
    current = CurrentUser(actor.user_id, email, "worker", Role.APPLICANT.value, None, None, None)
    link_permit(db, user=current, family_name=permit.family_name, given_names=permit.given_names,
                permit_number=permit.permit_number, passport_number=permit.passport_number)
    return user_actor(db, email)


def ready_applicant(db: Database, *, with_ssn: bool = True, with_user: bool = True,
                    **permit_overrides: Any) -> tuple[PermitInfo, str | None, str, Actor | None]:
    """A person with an approved permit, (optionally) an SSN, an unused photo receipt and a linked
    applicant account: (permit_info, ssn, receipt_number, applicant actor)."""
    seed_branches(db)
    permit_overrides.setdefault("family_name", "".join(random.choice(string.ascii_uppercase) for _ in range(8)))
    permit = file_and_approve(db, **permit_overrides)
    ssn = register_for_ssn(db, permit) if with_ssn else None
    receipt = photo_for(db, permit)
    user = applicant_for(db, permit) if with_user else None
    return permit, ssn, receipt, user


def paper_application(db: Database, clerk: Actor, permit: PermitInfo, receipt: str, *,
                      channel: str = "standard") -> CardApplication:
    return cards.apply_at_branch(db, actor=clerk, permit_number=permit.permit_number,
                                 family_name=permit.family_name, given_names=permit.given_names,
                                 passport_number=permit.passport_number, passport_checked=True,
                                 photo_receipt=receipt, channel=channel)


def collected_card(db: Database) -> tuple[PermitInfo, Actor, CardApplication]:
    """A person whose card went the whole instant way and was handed over (card issued, not active)."""
    permit, _ssn, receipt, _user = ready_applicant(db)
    clerk = bank_clerk(db, INSTANT_BRANCH)
    app = paper_application(db, clerk, permit, receipt, channel="instant")
    app = cards.produce_instant(db, actor=clerk, application_id=app.id, version=app.version)
    app = cards.hand_over(db, actor=clerk, application_id=app.id, version=app.version,
                          passport_number=permit.passport_number)
    return permit, clerk, app
