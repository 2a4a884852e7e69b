"""JSON: cities and their rules per day; administrators schedule new values (tag "policy")."""

from __future__ import annotations

from datetime import date

from fastapi import Depends, Path

from permitcard.auth.deps import acting, get_db, require
from permitcard.auth.service import CurrentUser
from permitcard.db import Database
from permitcard.policy import service, views
from permitcard.policy.schemas import CityOut, PolicyOut, RuleValueIn, RuleValueOut
from permitcard.shared import clock
from permitcard.shared.audit import Actor
from permitcard.shared.openapi import errors
from permitcard.shared.routes import Routes

router = Routes(prefix="/api/v1", tags=["policy"])

CityCode = Path(pattern=r"^[0-9]{4}$", description="City code, e.g. 4419 (Dongguan)")


def _entry(e: service.Entry) -> RuleValueOut:
    return RuleValueOut(key=e.key, value=e.value, effective_from=e.effective_from, status=e.status, note=e.note,
                        created_by=e.created_by)


@router.get("/cities", response_model=list[CityOut], responses=errors())
def cities(db: Database = Depends(get_db)) -> list[CityOut]:
    """The cities this installation serves (public)."""
    return [CityOut(code=c.code, name_en=c.name_en, name_zh=c.name_zh, is_default=c.is_default)
            for c in views.all_cities(db)]


@router.get("/cities/{code}/policy", response_model=PolicyOut, responses=errors(401, 403, 404))
def policy(code: str = CityCode, on: date | None = None, db: Database = Depends(get_db),
           _user: CurrentUser = Depends(require("policy.read"))) -> PolicyOut:
    """Every rule of the city as in force on `on` (default: today, Asia/Shanghai)."""
    p = views.policy_on(db, code=code, on=on or clock.today())
    return PolicyOut(city=p.city, day=p.day, permit_max_years=p.permit_limits,
                     card_ready_working_days=p.card_ready_working_days, fee_first_fen=p.fee_first,
                     fee_upgrade_fen=p.fee_upgrade, fee_replacement_fen=p.fee_replacement,
                     ssn_province_code=p.ssn_province_code, instant_branches=sorted(p.instant_branches),
                     replacement_branches=sorted(p.replacement_branches), ecard_qr_seconds=p.ecard_qr_seconds)


@router.get("/cities/{code}/rules", response_model=list[RuleValueOut], responses=errors(401, 403, 404))
def rules(code: str = CityCode, db: Database = Depends(get_db),
          _user: CurrentUser = Depends(require("policy.read"))) -> list[RuleValueOut]:
    """Every value of every rule of the city, past, current and planned."""
    sched = views.schedule(db, code=code, include_past=True)
    return [_entry(e) for entries in sched.entries.values() for e in entries]


@router.post("/cities/{code}/rules", response_model=RuleValueOut, status_code=201,
             responses=errors(401, 403, 404, 422))
def add_rule_value(body: RuleValueIn, code: str = CityCode, db: Database = Depends(get_db),
                   actor: Actor = Depends(acting("policy.manage"))) -> RuleValueOut:
    """Schedule a new value of a rule from `effective_from` (today or later; the past is never
    rewritten). A value planned for the same future day is replaced. Audited."""
    entry = service.add_value(db, actor=actor, city_code=code, key=body.key,
                              value=body.value, effective_from=body.effective_from, note=body.note)
    return _entry(entry)
