"""The audit log: every state change, who/what/when/where, before/after, hash-chained.

Personal data never enters the log in clear: keys naming it are masked.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from permitcard.shared import clock
from permitcard.shared.crypto import mask
from permitcard.shared.models import AuditHead, AuditLog

GENESIS = "0" * 64
_SENSITIVE = ("passport", "ssn", "account", "password", "photo", "secret", "token", "code_hash")


@dataclass(frozen=True)
class Actor:
    """Who acts: a signed-in user, or the system (worker, CLI)."""

    user_id: int | None
    role: str
    label: str
    ip: str = ""
    employer_id: int | None = None
    branch_id: int | None = None
    permit_number: str | None = None

    @classmethod
    def system(cls, label: str = "system") -> Actor:
        return cls(user_id=None, role="system", label=label)


def _clean(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _mask_entry(k, v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def _mask_entry(key: str, value: Any) -> Any:
    if any(s in key.lower() for s in _SENSITIVE) and isinstance(value, str):
        return mask(value)
    return _clean(value)


def _digest(prev_hash: str, row: dict[str, Any]) -> str:
    canonical = json.dumps(row, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256((prev_hash + canonical).encode()).hexdigest()


def _row_content(r: AuditLog) -> dict[str, Any]:
    at = (r.at if r.at.tzinfo else r.at.replace(tzinfo=UTC)).astimezone(UTC)
    return {
        "seq": r.seq, "at": at.isoformat(), "actor_id": r.actor_id, "actor_role": r.actor_role,
        "actor_label": r.actor_label, "ip": r.ip, "action": r.action, "target_type": r.target_type,
        "target_id": r.target_id, "before": r.before, "after": r.after, "note": r.note,
    }


def record(
    session: Session,
    *,
    actor: Actor,
    action: str,
    target_type: str,
    target_id: str | int,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    note: str = "",
) -> AuditLog:
    """Append one row to the chain, inside the caller's transaction."""
    head = session.execute(select(AuditHead).where(AuditHead.id == 1).with_for_update()).scalar_one_or_none()
    if head is None:
        head = AuditHead(id=1, seq=0, hash=GENESIS)
        session.add(head)
        session.flush()
    row = AuditLog(
        seq=head.seq + 1, at=clock.now().replace(microsecond=0), actor_id=actor.user_id,
        actor_role=actor.role, actor_label=actor.label[:200], ip=actor.ip[:64], action=action,
        target_type=target_type, target_id=str(target_id),
        before=_clean(before) if before is not None else None,
        after=_clean(after) if after is not None else None, note=note, prev_hash=head.hash, hash="",
    )
    row.hash = _digest(head.hash, _row_content(row))
    session.add(row)
    head.seq, head.hash = row.seq, row.hash
    session.flush()
    return row


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    rows: int
    first_bad_seq: int | None = None


def verify(session: Session, batch: int = 2000) -> ChainReport:
    """Recompute the whole chain; the first row whose hash or link does not match is reported."""
    prev, count, last_seq = GENESIS, 0, 0
    while True:
        rows = session.execute(
            select(AuditLog).where(AuditLog.seq > last_seq).order_by(AuditLog.seq).limit(batch)
        ).scalars().all()
        if not rows:
            break
        for r in rows:
            if r.seq != last_seq + 1 or r.prev_hash != prev or _digest(prev, _row_content(r)) != r.hash:
                return ChainReport(ok=False, rows=count, first_bad_seq=r.seq)
            prev, last_seq, count = r.hash, r.seq, count + 1
    head = session.get(AuditHead, 1)
    if head is not None and (head.seq != last_seq or head.hash != prev):
        return ChainReport(ok=False, rows=count, first_bad_seq=last_seq + 1)
    return ChainReport(ok=True, rows=count)


def history(session: Session, *, target_type: str, target_id: str | int) -> list[AuditLog]:
    """Rows about one object, newest first (status timelines)."""
    return list(
        session.execute(
            select(AuditLog)
            .where(AuditLog.target_type == target_type, AuditLog.target_id == str(target_id))
            .order_by(AuditLog.seq.desc())
        ).scalars()
    )
