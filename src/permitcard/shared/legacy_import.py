"""Row-by-row import of a legacy registry's CSV file (``permitcard import-legacy …``).

Each row is checked and saved on its own (a SAVEPOINT), so a bad row is reported with its line number
and reason and the good rows still import; work is committed every ``COMMIT_EVERY`` rows, so nothing
already saved is lost if the run stops. A row already imported is skipped, so a re-run is harmless.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from permitcard.db import Database

OK, SKIPPED, ERROR = "ok", "skipped-already-imported", "error"
COMMIT_EVERY = 500


class RowError(Exception):
    """A row that cannot be imported; ``reason`` says why (English, for an operator's report)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class AlreadyImported(Exception):
    """The row's record is already there."""


@dataclass(frozen=True)
class RowResult:
    line: int  # the line of the file (the header is line 1)
    status: str  # ok | skipped-already-imported | error
    key: str  # the row's identifying number, as given
    reason: str = ""


@dataclass
class ImportReport:
    rows: list[RowResult] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for r in self.rows if r.status == status)

    @property
    def errors(self) -> list[RowResult]:
        return [r for r in self.rows if r.status == ERROR]

    def summary(self) -> str:
        return (f"{len(self.rows)} rows: {self.count(OK)} imported, {self.count(SKIPPED)} already imported "
                f"(skipped), {self.count(ERROR)} with errors")


def read_rows(text: str, required: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    """(line, row) for every data row; the header must name every required column."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = [c for c in required if c not in (reader.fieldnames or [])]
    if missing:
        raise RowError(f"the header lacks the column(s): {', '.join(missing)}")
    for row in reader:
        yield reader.line_num, {k.strip(): (v or "").strip() for k, v in row.items() if k is not None}


def count_rows(path: Path) -> int:
    with path.open("rb") as f:
        return max(0, sum(1 for _ in f) - 1)


def parse_date(row: Mapping[str, str], column: str, *, required: bool = True) -> date | None:
    raw = row.get(column, "")
    if not raw:
        if required:
            raise RowError(f"{column} is empty")
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise RowError(f"{column} is not a date (YYYY-MM-DD): {raw!r}") from None


def need(row: Mapping[str, str], column: str) -> str:
    value = " ".join(row.get(column, "").split())
    if not value:
        raise RowError(f"{column} is empty")
    return value


def run_import(db: Database, path: Path, *, required: tuple[str, ...], key: str,
               import_row: Callable[[Session, dict[str, str]], object],
               progress: Callable[[int], None] | None = None) -> ImportReport:
    """Import every row of ``path`` with ``import_row(session, row)`` (raises RowError / AlreadyImported)."""
    report = ImportReport()
    text = path.read_text(encoding="utf-8-sig")
    rows = read_rows(text, required)
    with db.uow() as s:
        pending = 0
        for line, row in rows:
            try:
                with s.begin_nested():
                    import_row(s, row)
                report.rows.append(RowResult(line, OK, row.get(key, "")))
            except AlreadyImported:
                report.rows.append(RowResult(line, SKIPPED, row.get(key, "")))
            except RowError as exc:
                report.rows.append(RowResult(line, ERROR, row.get(key, ""), exc.reason))
            except IntegrityError:
                report.rows.append(RowResult(line, ERROR, row.get(key, ""),
                                             "conflicts with a record already saved (a number used twice)"))
            pending += 1
            if pending >= COMMIT_EVERY:
                s.commit()
                pending = 0
            if progress is not None:
                progress(1)
        s.commit()
    return report
