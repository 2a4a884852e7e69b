"""Commands of the permit's life and the legacy registries: ``permitcard permits expire``,
``permitcard import-legacy permits|cards FILE.csv`` and ``permitcard reconcile [--repair]``.

Wired into ``permitcard.cli`` (``register(app)``)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import typer

from permitcard.config import get_settings
from permitcard.shared.console import LazyConsole

permits_app = typer.Typer(help="Work permits: scheduled lifecycle jobs.", no_args_is_help=True)
legacy_app = typer.Typer(help="Import the registries kept before 2024-12-01 (CSV; see the README).",
                         no_args_is_help=True)
console = LazyConsole()
err = LazyConsole(stderr=True)
PROGRESS_FROM = 200  # rows: a progress bar on files at least this long


def _db():  # type: ignore[no-untyped-def]
    from permitcard.bootstrap import bootstrap
    from permitcard.db import Database

    settings = get_settings()
    bootstrap(settings)
    return Database.from_url(settings.database_url)


@permits_app.command("expire")
def permits_expire() -> None:
    """Expire permits whose last day has ended (Asia/Shanghai) and send the 30-day reminders; safe to run twice."""
    from permitcard.permits import lifecycle

    result = lifecycle.run(_db())
    console.print(f"{result.expired} permits expired, {result.reminded} permits reminded (30 days before expiry)")


def _import(path: Path, run: Callable[..., object], report_to: Path | None) -> None:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from permitcard.shared import csvexport
    from permitcard.shared.legacy_import import ERROR, ImportReport, RowError, count_rows

    if not path.is_file():
        err.print(f"no such file: {path}")
        raise typer.Exit(2)
    total = count_rows(path)
    db = _db()
    try:
        if total >= PROGRESS_FROM:
            columns = (TextColumn("rows"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
            with Progress(*columns, console=err.real) as bar:
                task = bar.add_task("rows", total=total)
                report = run(db, path, progress=lambda n: bar.advance(task, n))
        else:
            report = run(db, path)
    except RowError as exc:
        err.print(f"[red]{path}: {exc.reason}[/]")
        raise typer.Exit(2) from exc
    except UnicodeDecodeError as exc:
        err.print(f"[red]{path}: not UTF-8 text ({exc.reason})[/]")
        raise typer.Exit(2) from exc
    assert isinstance(report, ImportReport)
    out = report_to or path.with_suffix(".report.csv")
    out.write_bytes(csvexport.to_bytes(["line", "status", "key", "reason"],
                                       ([r.line, r.status, r.key, r.reason] for r in report.rows)))
    for r in report.rows if len(report.rows) <= 50 else report.errors:
        style = "red" if r.status == ERROR else "green" if r.status == "ok" else "yellow"
        console.print(f"line {r.line:>6}  [{style}]{r.status:<25}[/] {r.key:<18} {r.reason}", soft_wrap=True)
    console.print(report.summary())
    console.print(f"row-by-row report: {out}")
    if report.errors:
        raise typer.Exit(1)


@legacy_app.command("permits")
def import_permits(path: Path = typer.Argument(..., metavar="FILE.csv"),
                   report: Path | None = typer.Option(None, help="Where to write the row report (CSV)")) -> None:
    """Paper work permits issued before 2024-12-01; they stay valid and untouched."""
    from permitcard.permits import legacy

    _import(path, legacy.import_file, report)


@legacy_app.command("cards")
def import_cards(path: Path = typer.Argument(..., metavar="FILE.csv"),
                 report: Path | None = typer.Option(None, help="Where to write the row report (CSV)")) -> None:
    """Social security cards issued before the integration (no permit information); import the permits first."""
    from permitcard.cards import legacy

    _import(path, legacy.import_file, report)


def reconcile(repair: bool = typer.Option(False, "--repair",
                                          help="Fix the differences (the registry decides)")) -> None:
    """Compare the registry with every card's permit information and print the differences."""
    from permitcard.cards.reconcile import reconcile as run

    result = run(_db(), repair=repair)
    for d in result.drift:
        console.print(d.line(), markup=False, soft_wrap=True)
    console.print(f"{result.cards} cards compared, {len(result.drift)} differences on "
                  f"{len(result.permits_with_drift)} permits")
    if repair:
        console.print(f"{result.repaired_cards} cards repaired")
    elif result.drift:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.add_typer(permits_app, name="permits")
    app.add_typer(legacy_app, name="import-legacy")
    app.command("reconcile")(reconcile)
