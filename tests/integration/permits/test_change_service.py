"""Changes to an issued permit through the services: every transition and refusal."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from permitcard.db import Database
from permitcard.permits.models import PermitVersion
from permitcard.shared import clock
from permitcard.shared.errors import ValidationFailed
from permitcard.shared.models import OutboxMessage
from tests.permit_change_factories import decide, file, issued_permit, make_paper, permit_row

ON = date(2026, 3, 2)


def _events(db: Database) -> list[str]:
    with db.uow(write=False) as s:
        return [m.topic for m in s.execute(select(OutboxMessage).order_by(OutboxMessage.id)).scalars()]


def test_electronic_permit_of_a_paper_permit(db: Database) -> None:
    info, *employer = issued_permit(db, on=ON)
    make_paper(db, info.permit_number)
    with clock.frozen(ON + timedelta(days=20)):
        app = file(db, tuple(employer), "electronic", permit_number=info.permit_number)  # type: ignore[arg-type]
        assert app.kind == "electronic" and app.state == "submitted"
        done = decide(db, app)
    assert done.state == "approved"
    row = permit_row(db, info.permit_number)
    assert row.origin == "electronic" and row.paper_superseded_at is not None and row.version == 2
    assert row.valid_to_date == info.valid_to
    assert "permit.modified" in _events(db)
    with clock.frozen(ON + timedelta(days=21)), pytest.raises(ValidationFailed) as exc:
        file(db, tuple(employer), "electronic", permit_number=info.permit_number)  # type: ignore[arg-type]
    assert exc.value.errors[0].field == "permit_number"
    with db.uow(write=False) as s:
        versions = list(s.execute(select(PermitVersion).where(PermitVersion.permit_id == row.id)).scalars())
    assert [(v.version, v.reason) for v in versions] == [(1, "issued"), (2, "electronic")]
