"""The audit log: every state change and security event — who, what, when, from where, before/after.

Tamper-evident without a row every write must lock (the way Certificate Transparency logs work,
RFC 9162):

* **Keyed as written.** ``record`` computes ``mac = HMAC-SHA256(audit key, canonical row)`` (the key
  from settings, never in the database) and inserts the row in the caller's transaction. Rows do
  not link to each other, so concurrent writers never wait for one another; the order is the
  table's own primary key.
* **Sealed after commit.** ``audit_seal.seal`` (a scheduled job of ``permitcard worker``, every few seconds, and
  ``permitcard audit seal``) takes the committed rows after the last seal and writes an
  ``AuditSeal``: the Merkle root (RFC 9162 §2.1) over ``id || mac`` of each row, the previous
  seal's root chained in, signed with Ed25519.
* **Verified end to end.** ``audit_seal.verify`` reports each row whose MAC fails (edited, or rewritten by
  someone without the key), each sealed id that is gone (deleted, truncated), each seal whose root,
  chain or signature fails (seals recomputed without the signing key), and the unsealed tail.

Gaps. On PostgreSQL ids come from a sequence: a rolled-back transaction leaves a hole forever, and
a row with id 10 can commit after id 11. ``seal`` therefore (1) seals only rows older than a grace
period (``audit_seal_grace_seconds``) and (2) stops before a hole until the row after it is older
than ``audit_gap_seconds``; only then is the hole recorded in the seal's ``gaps`` as never
committed. A transaction that holds an audit row uncommitted for longer than that and commits
afterwards lands inside a recorded gap: ``verify`` lists it as committed late (its MAC still
proves the application wrote it). On SQLite writers are serialised and ids are not lost to
rollbacks, so a hole there is a deletion. Rows not yet sealed (at most a few seconds' worth while
the worker runs) are protected by their MACs only; ``verify`` reports how many there are.

Personal data never enters the log in clear: keys naming it are masked.
"""

from __future__ import annotations

import functools
import hmac
import json
import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from permitcard.db import append
from permitcard.shared import clock, crypto
from permitcard.shared.crypto import mask
from permitcard.shared.models import AuditLog

if TYPE_CHECKING:
    from permitcard.db import Database

log = logging.getLogger("permitcard.audit")

_PLAIN = (str, int, float, bool, type(None))
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

    @classmethod
    def anonymous(cls, ip: str = "", label: str = "") -> Actor:
        return cls(user_id=None, role="anonymous", label=label, ip=ip)


def _clean(value: Any) -> Any:
    if type(value) in _PLAIN:
        return value
    if isinstance(value, str):  # a StrEnum: its text, as JSON would write it
        return str.__str__(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _mask_entry(str(k), v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


@functools.lru_cache(maxsize=1024)
def _sensitive(key: str) -> bool:
    lowered = key.lower()
    return any(s in lowered for s in _SENSITIVE)


def _mask_entry(key: str, value: Any) -> Any:
    if isinstance(value, str) and _sensitive(key):
        return mask(value)
    return _clean(value)


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def json_value(value: dict[str, Any] | None) -> dict[str, Any] | None:
    # Stored exactly as keyed: what the JSON column gives back must give the same MAC. A flat dict of
    # JSON scalars (most rows) already is that; anything else goes through JSON once to become it.
    if value is None:
        return None
    cleaned = _clean(value)
    if all(type(v) in _PLAIN for v in cleaned.values()):
        return cleaned  # type: ignore[no-any-return]
    return json.loads(canonical(cleaned))  # type: ignore[no-any-return]


def as_utc(value: datetime) -> datetime:
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)


_COLUMNS = ("actor_id", "actor_role", "actor_label", "ip", "action", "target_type", "target_id", "before", "after",
            "note", "nonce", "key_id")


def content_mac(values: dict[str, Any], at: datetime, key: bytes) -> str:
    """The MAC of a row given as its column values (a batch writes rows without ORM objects)."""
    return hmac.digest(key, _content(at, values), "sha256").hex()


def _content(at: datetime, values: Any) -> bytes:
    """The canonical bytes a row's MAC covers (everything but its id, which the seals bind)."""
    get = values.__getitem__ if isinstance(values, dict) else values.__getattribute__
    return canonical({"v": 1, "at": as_utc(at).isoformat(), **{k: get(k) for k in _COLUMNS}}).encode()


def row_content(r: AuditLog) -> bytes:
    return _content(r.at, r)


def row_mac(r: AuditLog, key: bytes) -> str:
    return content_mac({k: getattr(r, k) for k in _COLUMNS}, r.at, key)


_TABLE = cast(Table, AuditLog.__table__)


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
) -> dict[str, Any]:
    """Append one keyed row inside the caller's transaction (its values; written with the unit of
    work's next flush). Locks nothing: the insert is all."""
    key_id, key = crypto.audit_mac_key()
    at = clock.now()
    row = {
        "at": at, "actor_id": actor.user_id, "actor_role": actor.role[:32], "actor_label": actor.label[:200],
        "ip": actor.ip[:64], "action": action[:64], "target_type": target_type[:64],
        "target_id": str(target_id)[:64], "before": json_value(before), "after": json_value(after), "note": note,
        "nonce": secrets.token_hex(16), "key_id": key_id,
    }
    row["mac"] = content_mac(row, at, key)
    append(session, _TABLE, row)
    return row


def record_security(
    db: Database,
    *,
    actor: Actor,
    action: str,
    target_type: str = "request",
    target_id: str | int = "",
    after: dict[str, Any] | None = None,
    note: str = "",
) -> None:
    """Record a security event (failed sign-in, denied request, export) in a unit of work of its
    own: the request's own transaction is rolled back, or was only reading. A failure to write it
    is logged, never turned into an error for the person on the other end."""
    try:
        with db.uow() as s:
            record(s, actor=actor, action=action, target_type=target_type, target_id=target_id,
                   after=after, note=note)
            s.commit()
    except Exception:
        log.exception("could not record the security event %s", action)


def history(session: Session, *, target_type: str, target_id: str | int) -> list[AuditLog]:
    """Rows about one object, newest first (status timelines)."""
    return list(
        session.execute(
            select(AuditLog)
            .where(AuditLog.target_type == target_type, AuditLog.target_id == str(target_id))
            .order_by(AuditLog.id.desc())
        ).scalars()
    )


def by_actors(session: Session, *, actor_ids: list[int], limit: int = 50) -> list[AuditLog]:
    """What these people did, newest first (an employer's team activity)."""
    if not actor_ids:
        return []
    return list(session.execute(select(AuditLog).where(AuditLog.actor_id.in_(actor_ids))
                                .order_by(AuditLog.id.desc()).limit(limit)).scalars())
