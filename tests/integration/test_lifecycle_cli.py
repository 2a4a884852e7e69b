"""The commands: import-legacy permits|cards (example files, a report per row, re-runs, a progress bar on
large files), permits expire (twice), reconcile."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from permitcard import cli_lifecycle
from permitcard.cli import app
from permitcard.shared import csvexport
from tests.card_factories import seed_branches
from tests.factories import make_employer
from tests.legacy_factories import legacy_employer, permit_row, permits_csv

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"
runner = CliRunner()


@pytest.fixture
def cli_db(db, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(cli_lifecycle, "_db", lambda: db)
    return db


def test_the_example_files_import_and_a_rerun_skips_every_row(cli_db, tmp_path: Path):
    make_employer(cli_db)  # 91441900MA51ABCD10, the employer of the example permits
    seed_branches(cli_db)
    report = tmp_path / "permits.report.csv"
    result = runner.invoke(app, ["import-legacy", "permits", str(EXAMPLES / "legacy-permits.csv"),
                                 "--report", str(report)])
    assert result.exit_code == 0, result.output
    assert "3 rows: 3 imported, 0 already imported (skipped), 0 with errors" in result.output
    assert report.read_text(encoding="utf-8-sig").splitlines()[1].startswith("2,ok,WP20190001047336")
    result = runner.invoke(app, ["import-legacy", "cards", str(EXAMPLES / "legacy-cards.csv"),
                                 "--report", str(tmp_path / "cards.report.csv")])
    assert result.exit_code == 0, result.output
    assert "2 rows: 2 imported" in result.output
    again = runner.invoke(app, ["import-legacy", "permits", str(EXAMPLES / "legacy-permits.csv"),
                                "--report", str(report)])
    assert again.exit_code == 0 and "0 imported, 3 already imported (skipped)" in again.output
    again = runner.invoke(app, ["import-legacy", "cards", str(EXAMPLES / "legacy-cards.csv"),
                                "--report", str(tmp_path / "cards.report.csv")])
    assert again.exit_code == 0 and "0 imported, 2 already imported (skipped)" in again.output


def test_bad_rows_are_reported_with_their_line_and_reason_on_a_large_file(cli_db, tmp_path: Path):
    uscc = legacy_employer(cli_db)
    rows = [permit_row(uscc) for _ in range(cli_lifecycle.PROGRESS_FROM + 10)]
    rows[4]["valid_to"] = "2026-02-31"
    rows[9]["nationality"] = "ZZ"
    path = permits_csv(tmp_path / "big.csv", rows)
    result = runner.invoke(app, ["import-legacy", "permits", str(path)])
    assert result.exit_code == 1
    assert f"{len(rows)} rows: {len(rows) - 2} imported" in result.output
    assert "line      6" in result.output and "valid_to is not a date" in result.output
    assert "line     11" in result.output and "nationality 'ZZ'" in result.output
    assert (tmp_path / "big.report.csv").exists()
    assert csvexport  # the report is written through the one CSV writer


def test_a_file_that_is_not_the_format_is_refused(cli_db, tmp_path: Path):
    path = tmp_path / "x.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    result = runner.invoke(app, ["import-legacy", "cards", str(path)])
    assert result.exit_code == 2 and "card_number" in result.output


def test_expire_and_reconcile_commands(cli_db):
    first = runner.invoke(app, ["permits", "expire"])
    assert first.exit_code == 0 and "permits expired" in first.output
    second = runner.invoke(app, ["permits", "expire"])
    assert second.exit_code == 0 and second.output.startswith("0 permits expired, 0 permits reminded")
    result = runner.invoke(app, ["reconcile"])
    assert result.exit_code == 0 and "0 differences" in result.output
