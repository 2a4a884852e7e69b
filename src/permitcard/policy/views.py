"""Reads of the policy context for pages and the API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from permitcard.db import Database
from permitcard.policy import domain
from permitcard.policy import service as policy
from permitcard.policy.domain import RULES, Policy
from permitcard.policy.service import City, Schedule
from permitcard.shared import i18n


def all_cities(db: Database) -> list[City]:
    with db.uow(write=False) as s:
        return policy.cities(s)


def policy_on(db: Database, *, code: str, on: date) -> Policy:
    with db.uow(write=False) as s:
        return policy.policy_for(s, city=code, on=on)


def schedule(db: Database, *, code: str, include_past: bool = False) -> Schedule:
    with db.uow(write=False) as s:
        return policy.schedule(s, code=code, include_past=include_past)


@dataclass(frozen=True)
class RuleLine:
    """One rule on the administrator's page: the value in force and those planned."""

    key: str
    label: str
    current: policy.Entry | None
    planned: list[policy.Entry]

    def shown(self, entry: policy.Entry) -> str:
        return domain.display(entry.key, entry.value, i18n.get_locale())


def rule_lines(sched: Schedule) -> list[RuleLine]:
    lines = []
    for key, spec in RULES.items():
        entries = sched.entries.get(key, [])
        current = next((e for e in entries if e.status == "current"), None)
        lines.append(RuleLine(key=key, label=i18n.gettext(spec.label), current=current,
                              planned=[e for e in entries if e.status == "future"]))
    return lines


def rule_choices() -> list[tuple[str, str]]:
    return [(key, i18n.gettext(spec.label)) for key, spec in RULES.items()]


def hints() -> dict[str, str]:
    return {key: i18n.gettext(spec.hint) for key, spec in RULES.items()}
