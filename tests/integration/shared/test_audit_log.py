"""The audit log: keyed rows, signed seals, and each kind of tampering named by verify."""

from __future__ import annotations

import base64
import itertools
import time
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import delete, event, select, text, update

from permitcard.shared import audit, audit_seal, clock, merkle
from permitcard.shared.audit import Actor
from permitcard.shared.models import AuditLog, AuditSeal

ACTOR = Actor(user_id=7, role="agency_clerk", label="clerk@example.com", ip="127.0.0.1")


def _write(db, n, action="thing.changed"):
    with db.uow() as s:
        for i in range(n):
            audit.record(s, actor=ACTOR, action=action, target_type="thing", target_id=i,
                         before={"state": "a"}, after={"state": "b", "passport_number": "E12345678"})
        s.commit()
    with db.uow(write=False) as s:
        return list(s.execute(select(AuditLog.id).where(AuditLog.action == action).order_by(AuditLog.id)).scalars())


def _seal_all(db):
    return audit_seal.seal(db, grace=0, gap_after=0, limit=4)  # small batches: several seals


def _verify(db):
    with db.uow(write=False) as s:
        return audit_seal.verify(s)


def _kinds(report):
    return {(f.kind, f.row_id, f.seal_id) for f in report.findings if f.serious}


def test_a_clean_log_verifies_seals_in_signed_batches_and_masks_personal_data(db):
    ids = _write(db, 10)
    assert _seal_all(db) >= 10
    report = _verify(db)
    assert report.ok and report.findings == [] and report.unsealed == 0
    assert report.rows >= 10 and report.sealed == report.rows and report.seals >= 3
    with db.uow(write=False) as s:
        row = s.get(AuditLog, ids[0])
        seals = s.execute(select(AuditSeal).order_by(AuditSeal.first_id)).scalars().all()
    assert row.after["passport_number"] == "•••••5678"
    assert seals[0].prev_root == audit_seal.GENESIS
    assert all(b.prev_root == a.root and b.first_id == a.last_id + 1 for a, b in itertools.pairwise(seals))
    _write(db, 2, action="thing.later")
    report = _verify(db)
    assert report.ok and report.unsealed == 2  # the newest rows are reported until the worker seals them


def _edit(db, ids):
    with db.uow() as s:
        s.execute(update(AuditLog).where(AuditLog.id == ids[3]).values(actor_label="someone-else"))
        s.commit()
    return {("row_edited", ids[3])}


def _delete_middle(db, ids):
    with db.uow() as s:
        s.execute(delete(AuditLog).where(AuditLog.id == ids[5]))
        s.commit()
    return {("row_missing", ids[5])}


def _truncate(db, ids):
    with db.uow() as s:
        s.execute(delete(AuditLog).where(AuditLog.id >= ids[8]))
        s.commit()
    return {("row_missing", ids[8]), ("row_missing", ids[9])}


def _rewrite(db, ids):
    """Someone with the database but without the keys recomputes every MAC and every seal."""
    forged_key, forged_signer = b"k" * 32, Ed25519PrivateKey.generate()
    with db.uow() as s:
        rows = s.execute(select(AuditLog).order_by(AuditLog.id)).scalars().all()
        for r in rows:
            r.actor_label = "nobody" if r.id == ids[2] else r.actor_label
            r.mac = audit.row_mac(r, forged_key)
        macs, prev = {r.id: r.mac for r in rows}, audit_seal.GENESIS
        for seal in s.execute(select(AuditSeal).order_by(AuditSeal.first_id)).scalars():
            leaves = [i.to_bytes(8, "big") + bytes.fromhex(macs[i]) for i in range(seal.first_id, seal.last_id + 1)
                      if i in macs]
            seal.root, seal.prev_root = merkle.root(leaves).hex(), prev
            prev = seal.root
            seal.signature = base64.urlsafe_b64encode(forged_signer.sign(audit_seal.seal_message(seal))).decode()
        s.commit()
    return {("row_edited", i) for i in ids}


def _copy(db, ids):
    """A row written again (a replay): valid MAC, new id, after the last seal."""
    with db.uow() as s:
        row = s.get(AuditLog, ids[4])
        values = {c.key: getattr(row, c.key) for c in AuditLog.__table__.columns if c.key != "id"}
        copy_id = s.execute(AuditLog.__table__.insert().values(**values).returning(AuditLog.id)).scalar_one()
        s.commit()
    return {("row_copied", copy_id)}


@pytest.mark.parametrize("tamper", [_edit, _delete_middle, _truncate, _rewrite, _copy],
                         ids=["edited", "deleted", "truncated", "rewritten", "copied"])
def test_each_kind_of_tampering_is_detected_and_named(db, tamper):
    ids = _write(db, 10)
    _seal_all(db)
    assert _verify(db).ok
    expected = tamper(db, ids)
    report = _verify(db)
    assert not report.ok
    found = {(k, row) for k, row, _seal in _kinds(report)}
    assert expected <= found, report.findings
    if tamper is _rewrite:  # the roots were recomputed too: only the signatures can tell
        assert {k for k, _r, _s in _kinds(report)} == {"row_edited", "seal_signature"}
    if tamper in (_delete_middle, _truncate):
        missing = [f for f in report.findings if f.kind == "row_missing"]
        assert all(f.seal_id is not None for f in missing)  # names the seal that promised the row
        assert any(k == "seal_root" for k, _r, _s in _kinds(report))
    assert report.first_bad_seq == min(row for _k, row in expected)


def test_a_removed_seal_breaks_the_chain_of_seals(db):
    _write(db, 10)
    _seal_all(db)
    with db.uow() as s:
        second = s.execute(select(AuditSeal).order_by(AuditSeal.first_id).offset(1).limit(1)).scalar_one()
        s.delete(second)
        s.commit()
    report = _verify(db)
    assert not report.ok and any(f.kind == "seal_chain" for f in report.findings)


def test_young_rows_wait_and_a_hole_is_recorded_only_once_it_is_old(db):
    _write(db, 1, action="thing.before")
    _seal_all(db)  # everything so far (including ids other tests used and rolled back) sealed
    start = clock.now()
    with clock.frozen(start):
        _a, b, c = _write(db, 3)
    with db.uow() as s:  # b's transaction rolled back (on SQLite, deleted: the sealer cannot tell)
        s.execute(delete(AuditLog).where(AuditLog.id == b))
        s.commit()
    with clock.frozen(start):
        assert audit_seal.seal(db, grace=2, gap_after=60) == 0  # too young: may still be committing
    with clock.frozen(start + timedelta(seconds=3)):
        assert audit_seal.seal(db, grace=2, gap_after=60) == 1  # a; the hole at b may be an open transaction
    with clock.frozen(start + timedelta(seconds=61)):
        assert audit_seal.seal(db, grace=2, gap_after=60) == 1  # c, the hole recorded as never committed
    with db.uow(write=False) as s:
        last = s.execute(select(AuditSeal).order_by(AuditSeal.first_id.desc()).limit(1)).scalar_one()
    assert (last.first_id, last.last_id, last.gaps, last.tree_size) == (b, c, [[b, b]], 1)
    assert _verify(db).ok
    with db.uow() as s:  # a transaction older than the gap time commits after all: reported, not failed
        late = audit.record(s, actor=ACTOR, action="thing.late", target_type="thing", target_id=b)
        late["id"] = b
        s.commit()
    report = _verify(db)
    assert report.ok and [(f.kind, f.row_id, f.serious) for f in report.findings] == [("row_late", b, False)]


def test_two_writers_append_without_waiting_for_each_other(committed_db):
    """PostgreSQL, two connections: A holds its transaction open with an audit row written; B writes
    and commits its own row meanwhile. With the old locked head row B would wait for A (and fail
    on the lock timeout here instead of hanging)."""
    db = committed_db
    a, b = db.session(), db.session()
    try:
        with a.begin():
            audit.record(a, actor=ACTOR, action="writer.a", target_type="thing", target_id=1)
            a.flush()
            started = time.perf_counter()
            with b.begin():
                b.execute(text("SET LOCAL lock_timeout = '2s'"))
                b.execute(text("SET LOCAL statement_timeout = '5s'"))
                audit.record(b, actor=ACTOR, action="writer.b", target_type="thing", target_id=2)
            assert time.perf_counter() - started < 1.0
            # B committed after A took the lower id: the sealer must not seal past A's open hole.
            assert audit_seal.seal(db, grace=0, gap_after=60) == 0
        assert audit_seal.seal(db, grace=0, gap_after=60) == 2
    finally:
        a.close()
        b.close()
    with db.uow(write=False) as s:
        report = audit_seal.verify(s)
        actions = s.execute(select(AuditLog.action).order_by(AuditLog.id)).scalars().all()
    assert actions == ["writer.a", "writer.b"]
    assert report.ok and report.sealed == 2 and report.findings == []


def test_the_cli_seals_and_names_the_altered_entry(db, monkeypatch):
    from typer.testing import CliRunner

    from permitcard import cli

    monkeypatch.setattr(cli, "_db", lambda: db)
    runner = CliRunner()
    ids = _write(db, 3)
    with clock.frozen(clock.now() + timedelta(minutes=2)):  # older than the grace and gap times
        sealed = runner.invoke(cli.app, ["audit", "seal"])
    assert sealed.exit_code == 0 and "audit entries sealed" in sealed.output
    ok = runner.invoke(cli.app, ["verify-audit"])
    assert ok.exit_code == 0 and "audit log intact" in ok.output and "latest seal" in ok.output
    with db.uow() as s:
        s.execute(update(AuditLog).where(AuditLog.id == ids[1]).values(note="rewritten"))
        s.commit()
    bad = runner.invoke(cli.app, ["verify-audit"])
    assert bad.exit_code == 1
    assert f"BAD entry {ids[1]}: Entry {ids[1]} does not match its MAC" in bad.output


def test_the_rows_of_one_unit_of_work_are_one_insert_and_nothing_else(db):
    """No head row read or locked, no flush per row: the rows wait for the commit's one batch
    (the random nonce is the insert sentinel that lets SQLAlchemy batch with RETURNING)."""
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        if not statement.startswith(("SAVEPOINT", "RELEASE", "BEGIN", "COMMIT", "ROLLBACK")):
            statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        _write(db, 3)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert [s.split()[:3] for s in statements] == [["INSERT", "INTO", "audit_log"], ["SELECT", "audit_log.id", "FROM"]]


def test_the_worker_seals_the_log_as_a_scheduled_job(db):
    from permitcard import worker

    ids = _write(db, 2)
    job = worker.JOBS["audit_seal.seal"]
    job.next_at = 0.0
    with clock.frozen(clock.now() + timedelta(minutes=2)):
        worker.run(db, once=True)
    with db.uow(write=False) as s:
        report = audit_seal.verify(s)
    assert report.ok and report.unsealed == 0 and report.latest is not None and report.latest.last_id >= ids[-1]
