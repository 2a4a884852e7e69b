"""What happens in the Work-in-China registry, for the card side and notifications to follow.

Every event carries the lifelong permit number and the permit ``version`` it produced, so a
consumer can ignore an event older than what it already holds (duplicates, replays, reordering).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from permitcard.shared.events import Event


@dataclass(frozen=True)
class PermitEvent(Event):
    """A permit changed: the registry's current data for ``permit_number`` is at ``version``."""

    name: ClassVar[str] = "permit.changed"

    permit_number: str
    permit_id: int
    version: int
    employer_id: int


@dataclass(frozen=True)
class PermitApproved(PermitEvent):
    """A new application was approved: a permit and its notice were issued."""

    name: ClassVar[str] = "permit.approved"

    notice_number: str = ""


@dataclass(frozen=True)
class PermitChanged(PermitEvent):
    """An approved extension or modification made a new version of the permit."""

    name: ClassVar[str] = "permit.modified"

    change: str = ""  # "extended" | "modified"


@dataclass(frozen=True)
class PermitCancelled(PermitEvent):
    name: ClassVar[str] = "permit.cancelled"


@dataclass(frozen=True)
class PermitExpired(PermitEvent):
    name: ClassVar[str] = "permit.expired"


PERMIT_EVENTS: tuple[type[PermitEvent], ...] = (PermitApproved, PermitChanged, PermitCancelled, PermitExpired)
