"""A handler's batch form: one call for a batch's events; if it fails, each event goes to the handler alone."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from permitcard.shared import outbox
from permitcard.shared.events import Event

CALLS: dict[str, list[Any]] = {"single": [], "batch": []}
FAIL = {"batch": False}


@dataclass(frozen=True)
class BatchProbe(Event):
    name: ClassVar[str] = "test.batch_probe"

    n: int = 0


def _single(s: Any, event: BatchProbe) -> None:
    CALLS["single"].append(event.n)


def _batch(s: Any, events: list[BatchProbe]) -> None:
    if FAIL["batch"]:
        raise RuntimeError("the batch gives up")
    CALLS["batch"].append(sorted(e.n for e in events))


outbox.handles(BatchProbe, batch=_batch)(_single)


def _publish(db, count: int) -> None:  # type: ignore[no-untyped-def]
    with db.uow() as s:
        for n in range(count):
            outbox.publish(s, BatchProbe(n=n))
        s.commit()


def _drain(db) -> None:  # type: ignore[no-untyped-def]
    while outbox.dispatch(db):
        pass


def test_the_batch_form_takes_the_events_together(db):
    CALLS["single"].clear(), CALLS["batch"].clear()
    FAIL["batch"] = False
    _publish(db, 3)
    _drain(db)
    assert CALLS["batch"] == [[0, 1, 2]] and CALLS["single"] == []
    with db.uow(write=False) as s:
        assert [m for m in outbox.pending(s) if m.topic == BatchProbe.name] == []


def test_a_failing_batch_falls_back_to_one_by_one(db):
    CALLS["single"].clear(), CALLS["batch"].clear()
    FAIL["batch"] = True
    _publish(db, 3)
    _drain(db)
    assert CALLS["batch"] == [] and sorted(CALLS["single"]) == [0, 1, 2]
    with db.uow(write=False) as s:
        assert [m for m in outbox.pending(s) if m.topic == BatchProbe.name] == []
