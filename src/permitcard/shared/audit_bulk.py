"""Many audit rows in one statement (batch handlers): the same keyed rows ``audit.record`` writes,
built without ORM objects and inserted with one executemany."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from typing import Any, cast

from sqlalchemy import Table, insert
from sqlalchemy.orm import Session

from permitcard.shared import clock, crypto
from permitcard.shared.audit import Actor, content_mac, json_value
from permitcard.shared.models import AuditLog


def record_many(session: Session, *, actor: Actor, action: str, target_type: str,
                entries: Iterable[tuple[str | int, dict[str, Any] | None, dict[str, Any] | None]],
                note: str = "") -> int:
    """Append one keyed row per (target_id, before, after) in the caller's transaction. Returns how many."""
    key_id, key = crypto.audit_mac_key()
    at = clock.now()
    common = {"at": at, "actor_id": actor.user_id, "actor_role": actor.role[:32], "actor_label": actor.label[:200],
              "ip": actor.ip[:64], "action": action[:64], "target_type": target_type[:64], "note": note,
              "key_id": key_id}
    rows = []
    for target_id, before, after in entries:
        row = {**common, "target_id": str(target_id)[:64], "before": json_value(before), "after": json_value(after),
               "nonce": secrets.token_hex(16)}
        row["mac"] = content_mac(row, at, key)
        rows.append(row)
    if rows:
        session.connection().execute(insert(cast(Table, AuditLog.__table__)), rows)
    return len(rows)
