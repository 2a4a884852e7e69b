"""Sealing and verifying the audit log (see ``shared.audit``): committed rows are sealed in batches into
``AuditSeal`` (an RFC 9162 Merkle root over ``id || mac``, chained to the seal before and signed with
Ed25519); ``verify`` checks every row's MAC and every seal's root, chain and signature in one pass."""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from permitcard.config import get_settings
from permitcard.shared import clock, crypto, merkle
from permitcard.shared.audit import as_utc, canonical, row_mac
from permitcard.shared.errors import N_, NP_
from permitcard.shared.models import AuditLog, AuditSeal

if TYPE_CHECKING:
    from permitcard.db import Database

GENESIS = "0" * 64


# --- seals ---------------------------------------------------------------------------------------


def _leaf(row_id: int, mac: str) -> bytes:
    return row_id.to_bytes(8, "big") + bytes.fromhex(mac)


def seal_message(s: AuditSeal) -> bytes:
    """The bytes a seal's signature covers."""
    return b"permitcard audit seal v1\n" + canonical({
        "first_id": s.first_id, "last_id": s.last_id, "tree_size": s.tree_size, "gaps": s.gaps,
        "root": s.root, "prev_root": s.prev_root, "sealed_at": as_utc(s.sealed_at).isoformat(), "key_id": s.key_id,
    }).encode()


def _seal_batch(db: Database, *, grace: float, gap_after: float, limit: int) -> int:
    now = clock.now()
    young, gap_young = now - timedelta(seconds=grace), now - timedelta(seconds=gap_after)
    with db.uow() as s:
        last = s.execute(select(AuditSeal).order_by(AuditSeal.first_id.desc()).limit(1)).scalar_one_or_none()
        start = last.last_id + 1 if last else 1
        rows = s.execute(select(AuditLog.id, AuditLog.mac, AuditLog.at).where(AuditLog.id >= start)
                         .order_by(AuditLog.id).limit(limit)).all()
        leaves: list[bytes] = []
        gaps: list[list[int]] = []  # [first, last] of each hole, never committed
        expect = start
        for row_id, mac, at in rows:
            if as_utc(at) > young:
                break  # may not be the last of its transaction to commit: next time
            if row_id != expect:
                if as_utc(at) > gap_young:
                    break  # the hole before it may still be an open transaction
                gaps.append([expect, row_id - 1])
            leaves.append(_leaf(row_id, mac))
            expect = row_id + 1
        if not leaves:
            return 0
        key_id, _key = crypto.audit_signing_key()
        seal = AuditSeal(first_id=start, last_id=expect - 1, tree_size=len(leaves), gaps=gaps,
                         root=merkle.root(leaves).hex(), prev_root=last.root if last else GENESIS,
                         sealed_at=now, key_id=key_id, signature="")
        seal.signature = crypto.audit_sign(seal_message(seal))[1]
        s.add(seal)
        try:
            s.commit()
        except IntegrityError:  # another sealer wrote this range first
            return 0
        return len(leaves)


def seal(db: Database, *, grace: float | None = None, gap_after: float | None = None, limit: int = 10_000) -> int:
    """Seal every committed row that can be sealed now, in batches of ``limit``; rows sealed."""
    settings = get_settings()
    grace = settings.audit_seal_grace_seconds if grace is None else grace
    gap_after = settings.audit_gap_seconds if gap_after is None else gap_after
    total = 0
    while n := _seal_batch(db, grace=grace, gap_after=gap_after, limit=limit):
        total += n
    return total


# --- verification --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    """One thing verification found; ``message`` is a msgid, translated where it is shown."""

    kind: str
    message: str
    params: dict[str, Any]
    row_id: int | None = None
    seal_id: int | None = None
    serious: bool = True


@dataclass(frozen=True)
class SealHead:
    id: int
    last_id: int
    tree_size: int
    root: str
    sealed_at: datetime
    key_id: str


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    rows: int
    sealed: int = 0
    unsealed: int = 0
    seals: int = 0
    findings: list[Finding] = field(default_factory=list)
    more: int = 0  # findings beyond the ones listed
    latest: SealHead | None = None

    @property
    def first_bad_seq(self) -> int | None:
        """The first row a serious finding names (for callers that show one place)."""
        ids = [f.row_id for f in self.findings if f.serious and f.row_id is not None]
        return min(ids) if ids else None


_MAX_FINDINGS = 100


class _Verifier:
    """One pass over the rows in id order, walking the seals beside them."""

    def __init__(self, seals: list[AuditSeal]) -> None:
        self.mac_key_id, self.mac_key = crypto.audit_mac_key()
        self.sign_key_id = crypto.audit_signing_key()[0]
        self.seals, self.findings = seals, list[Finding]()
        self.rows = self.sealed = self.unsealed = self.serious = self.more = 0
        self.oldest_unsealed: AuditLog | None = None
        self.prev_root, self.prev_last = GENESIS, (seals[0].first_id - 1 if seals else 0)

    def find(self, kind: str, message: str, row: int | None = None, seal: int | None = None,
             serious: bool = True, **params: Any) -> None:
        self.serious += serious
        if len(self.findings) >= _MAX_FINDINGS:
            self.more += 1
            return
        self.findings.append(Finding(kind, message, {"row": row, "seal": seal, **params}, row, seal, serious))

    def check_row(self, r: AuditLog) -> None:
        self.rows += 1
        if r.key_id != self.mac_key_id:
            self.find("row_key", N_("Entry %(row)s was keyed with another key (%(key)s)"), r.id, key=r.key_id)
        elif not hmac.compare_digest(row_mac(r, self.mac_key), r.mac):
            self.find("row_edited", N_("Entry %(row)s does not match its MAC: it was changed after it was written"),
                      r.id)

    def check_seal(self, s: AuditSeal, present: dict[int, str]) -> None:
        """``present``: the MACs of the rows now in the seal's range, by id."""
        if s.key_id != self.sign_key_id:
            self.find("seal_key", N_("Seal %(seal)s is signed with an unknown key (%(key)s)"), seal=s.id, key=s.key_id)
        elif not crypto.audit_signature_ok(seal_message(s), s.signature):
            self.find("seal_signature", N_("Seal %(seal)s: the signature is not valid"), seal=s.id)
        if s.prev_root != self.prev_root or s.first_id != self.prev_last + 1:
            self.find("seal_chain", N_("Seal %(seal)s does not follow the seal before it: a seal was removed "
                                       "or rewritten"), seal=s.id)
        holes = [range(int(g[0]), int(g[1]) + 1) for g in s.gaps]
        leaves = []
        for row_id in range(s.first_id, s.last_id + 1):
            if any(row_id in h for h in holes):
                if row_id in present:
                    self.find("row_late", N_("Entry %(row)s was committed after its range was sealed in seal "
                                             "%(seal)s; its MAC is valid"), row_id, s.id, serious=False)
            elif row_id in present:
                leaves.append(_leaf(row_id, present[row_id]))
            else:
                self.find("row_missing", N_("Entry %(row)s is sealed in seal %(seal)s but is missing: it was "
                                            "deleted"), row_id, s.id)
        self.sealed += len(leaves)
        if len(leaves) != s.tree_size or merkle.root(leaves).hex() != s.root:
            self.find("seal_root", N_("Seal %(seal)s: entries %(first)s to %(last)s do not give its signed root"),
                      seal=s.id, first=s.first_id, last=s.last_id)
        self.prev_root, self.prev_last = s.root, s.last_id

    def run(self, session: Session, batch: int) -> None:
        seals, si, after = self.seals, 0, 0
        present: dict[int, str] = {}
        while True:
            rows = session.execute(select(AuditLog).where(AuditLog.id > after).order_by(AuditLog.id)
                                   .limit(batch)).scalars().all()
            for r in rows:
                self.check_row(r)
                while si < len(seals) and r.id > seals[si].last_id:
                    self.check_seal(seals[si], present)
                    si, present = si + 1, {}
                if si < len(seals) and r.id >= seals[si].first_id:
                    present[r.id] = r.mac
                elif si == len(seals):
                    self.unsealed += 1
                    self.oldest_unsealed = self.oldest_unsealed or r
            if len(rows) < batch:
                break
            after = rows[-1].id
            session.expunge_all()
        for s in seals[si:]:
            self.check_seal(s, present)
            present = {}


def _find_copies(session: Session, v: _Verifier) -> None:
    """Rows written again with another id: a copy keeps its MAC (the id is not part of it, each row's
    nonce is), so two rows sharing one are an original and its copy. One grouped scan; the MACs have no
    index (an index of random MACs cost each registration about four page writes inside SQLite's one
    writer, and a constraint would not stop whoever can write the table)."""
    copied = (select(AuditLog.mac, func.min(AuditLog.id)).group_by(AuditLog.mac)
              .having(func.count() > 1).limit(_MAX_FINDINGS))
    for mac, first in session.execute(copied).all():
        for row_id in session.execute(select(AuditLog.id).where(AuditLog.mac == mac, AuditLog.id != first)
                                      .order_by(AuditLog.id)).scalars():
            v.find("row_copied", N_("Entry %(row)s is a copy of entry %(first)s (the same MAC): it was written "
                                    "into the log again"), row_id, first=first)


def verify(session: Session, batch: int = 2000) -> ChainReport:
    """Check every row's MAC and every seal's root, chain and signature, in one pass."""
    seals = list(session.execute(select(AuditSeal).order_by(AuditSeal.first_id)).scalars())
    v = _Verifier(seals)
    v.run(session, batch)
    _find_copies(session, v)
    stale = timedelta(seconds=get_settings().audit_gap_seconds * 10)
    if v.oldest_unsealed is not None and as_utc(v.oldest_unsealed.at) < clock.now() - stale:
        v.find("unsealed_old", NP_("Entry %(row)s and %(n)s after it are not sealed though written more than "
                                   "%(minutes)s minute ago: is the worker running?",
                                   "Entry %(row)s and %(n)s after it are not sealed though written more than "
                                   "%(minutes)s minutes ago: is the worker running?", "minutes"), v.oldest_unsealed.id,
               serious=False, n=v.unsealed - 1, minutes=int(stale.total_seconds() // 60))
    latest = None
    if seals:
        x = seals[-1]
        latest = SealHead(x.id, x.last_id, x.tree_size, x.root, as_utc(x.sealed_at), x.key_id)
    return ChainReport(ok=not v.serious, rows=v.rows, sealed=v.sealed, unsealed=v.unsealed, seals=len(seals),
                       findings=v.findings, more=v.more, latest=latest)
