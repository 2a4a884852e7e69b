"""The one CSV writer for every export.

* UTF-8 with a byte-order mark, so spreadsheet programs show Chinese.
* No formulas (OWASP "CSV injection"): a text cell beginning with ``= + - @``, their full-width
  forms ``＝ ＋ － ＠``, a tab or a carriage return gets a leading apostrophe, so a spreadsheet shows
  it as text instead of running ``=HYPERLINK(...)`` or ``+cmd|...``. Numbers stay numbers.
* Date-times as RFC 3339 in Asia/Shanghai with the offset (``2026-11-28T18:32:46+08:00``).
* Every export is a security event: ``export.<what>`` in the audit log, with the row count and the
  filters (a search term masked), in a unit of work of its own.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from fastapi.responses import Response

from permitcard.shared import audit, clock
from permitcard.shared.crypto import mask

if TYPE_CHECKING:
    from permitcard.db import Database
    from permitcard.shared.audit import Actor

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")


def rfc3339(value: datetime) -> str:
    """An instant as RFC 3339 in Shanghai time, with its offset."""
    return clock.local(value).isoformat(timespec="seconds")


def cell(value: Any) -> str | int | float | Decimal:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float | Decimal):
        return value
    if isinstance(value, datetime):
        return rfc3339(value)
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def to_bytes(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    buf = io.StringIO()
    buf.write("\ufeff")
    writer = csv.writer(buf)
    writer.writerow([cell(h) for h in header])
    for row in rows:
        writer.writerow([cell(v) for v in row])
    return buf.getvalue().encode("utf-8")


def export(
    db: Database,
    *,
    actor: Actor,
    what: str,
    header: Sequence[str],
    rows: Sequence[Sequence[Any]],
    filename: str,
    filters: Mapping[str, Any] | None = None,
) -> Response:
    """The CSV download of ``rows``, audited as ``export.<what>``."""
    shown = {k: (mask(str(v)) if k == "q" else v) for k, v in (filters or {}).items() if v not in ("", None)}
    audit.record_security(db, actor=actor, action=f"export.{what}", target_type="export", target_id=what,
                          after={"rows": len(rows), "filters": shown})
    return Response(to_bytes(header, rows), media_type="text/csv; charset=utf-8",
                    headers={"content-disposition": f'attachment; filename="{filename}"'})
