"""The `permitcard` command: serve, db upgrade, seed-demo, city, users, calendar, worker, verify-audit, audit
seal."""

from __future__ import annotations

import sys
from datetime import date

import typer

from permitcard.config import get_settings
from permitcard.shared.console import LazyConsole

app = typer.Typer(help="permitcard: foreign work permits on the social security card.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
users_app = typer.Typer(help="Accounts.", no_args_is_help=True)
calendar_app = typer.Typer(help="The official working-day calendar.", no_args_is_help=True)
audit_app = typer.Typer(help="The audit log.", no_args_is_help=True)
city_app = typer.Typer(help="Cities and their rules.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(audit_app, name="audit")
app.add_typer(city_app, name="city")
app.add_typer(users_app, name="users")
app.add_typer(calendar_app, name="calendar")
console = LazyConsole()
err = LazyConsole(stderr=True)


def _db(*, background_checkpoints: bool = False):  # type: ignore[no-untyped-def]
    """The database, in a process assembled by the bootstrap (adapters, handlers, templates)."""
    from permitcard.bootstrap import bootstrap
    from permitcard.db import Database

    settings = get_settings()
    bootstrap(settings)
    return Database.from_url(settings.database_url, background_checkpoints=background_checkpoints)


@app.command()
def serve(host: str = "127.0.0.1", port: int = 8000,
          workers: int = typer.Option(1, help="Web processes (uvicorn workers). On SQLite they take turns at its "
                                               "one writer through <file>.lock, as the outbox workers do."),
          reload: bool = False,
          outbox_workers: int = typer.Option(1, help="`permitcard worker` processes started beside the web "
                                                     "server and stopped with it (0: run them yourself).")) -> None:
    """Serve the web application with uvicorn (httptools, uvloop), with outbox workers beside it."""
    import subprocess

    import uvicorn

    get_settings()  # a configuration error stops here, before any process starts
    helpers = [subprocess.Popen([sys.executable, "-m", "permitcard.cli", "worker"])
               for _ in range(max(0, outbox_workers))]
    try:
        uvicorn.run("permitcard.asgi:app", host=host, port=port, workers=workers, reload=reload, ws="none",
                    http="httptools", loop="uvloop", proxy_headers=False, access_log=False)
    finally:
        for proc in helpers:
            proc.terminate()
        for proc in helpers:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Apply the Alembic migrations."""
    from permitcard.migrate import upgrade

    upgrade(get_settings().database_url, revision=revision)
    console.print(f"database at {revision}")


@app.command("seed-demo")
def seed_demo() -> None:
    """Load the demo: banks, a studio, employers, one account per role (printed with its TOTP secret)."""
    from permitcard.seed import seed_demo as run

    rows = run(_db())
    console.print("[bold]Demo accounts[/] (demo only; never in production). Staff sign in with a code from")
    console.print("their TOTP secret too: python -c \"import pyotp; print(pyotp.TOTP('SECRET').now())\"")
    for role, email, password, secret in rows:
        console.print(f"  {role:<15} {email:<24} {password:<20} {secret}", soft_wrap=True)


@users_app.command("create-admin")
def create_admin(email: str, password: str = typer.Option(..., prompt=True, hide_input=True,
                                                          confirmation_prompt=True)) -> None:
    """Create an administrator account."""
    from permitcard.auth.domain import Role
    from permitcard.auth.service import create_user
    from permitcard.shared.audit import Actor
    from permitcard.shared.errors import DomainError
    from permitcard.shared.i18n import translate

    db = _db()
    try:
        with db.uow() as s:
            create_user(s, email=email, password=password, role=Role.ADMIN, display_name="Administrator",
                        actor=Actor.system("cli"))
            s.commit()
    except DomainError as exc:
        messages = [translate(e.message, e.params) for e in getattr(exc, "errors", [])] or [str(exc)]
        err.print("[red]" + "; ".join(messages) + "[/]")
        raise typer.Exit(2) from exc
    console.print(f"administrator {email} created")


@calendar_app.command("due")
def calendar_due(approval: str = typer.Argument(..., metavar="DATE", help="Approval date, YYYY-MM-DD"),
                 days: int | None = typer.Option(None, help="Working days (default: the default city's rule)")) -> None:
    """The promised ready date for an approval on DATE, then why."""
    from permitcard.shared.calendar import add_working_days
    from permitcard.shared.calendar_store import load_calendar
    from permitcard.shared.errors import CalendarUnknown
    from permitcard.shared.i18n import translate

    try:
        start = date.fromisoformat(approval)
    except ValueError:
        err.print(f"not a date: {approval!r} (expected YYYY-MM-DD)")
        raise typer.Exit(2) from None
    try:
        db = _db()
        data = load_calendar(db)
        if days is None:
            from permitcard.policy import views as policy_views

            default = policy_views.all_cities(db)[0].code
            days = policy_views.policy_on(db, code=default, on=start).card_ready_working_days
    except Exception:  # no database yet: the package's years only
        from permitcard.shared.calendar import CalendarData

        data = CalendarData()
    if days is None:  # no database yet: the default city's data file
        from permitcard.policy import service as policy

        days = int(policy.load_city_file(policy.DEFAULT_CITY_FILE).rules["card_ready_working_days"])
    n = days
    try:
        due = add_working_days(start, n, data)
    except CalendarUnknown as exc:
        err.print(translate(exc.message, exc.params))
        raise typer.Exit(1) from exc
    print(due.due.isoformat())
    print(f"{n} working days after {start.isoformat()} (the approval day itself is not counted)")
    for day in due.crossed:
        if day.kind == "weekend":
            continue
        label = "holiday" if day.kind == "holiday" else "adjusted working day (调休)"
        print(f"  {day.day.isoformat()} {day.day.strftime('%a')}  {label}: {day.name}")
    weekends = sum(1 for d in due.crossed if d.kind == "weekend")
    print(f"  plus {weekends} weekend days")


@calendar_app.command("enter-year")
def calendar_enter_year(year: int, holidays: list[str] = typer.Option([], help="YYYY-MM-DD=Name"),
                        workdays: list[str] = typer.Option([], help="YYYY-MM-DD=Name (adjusted working days)")) -> None:
    """Enter a year's official calendar (holidays and adjusted working days) as announced."""
    from permitcard.shared.audit import Actor
    from permitcard.shared.calendar_store import enter_year

    def parse(items: list[str]) -> list[tuple[date, str]]:
        out = []
        for item in items:
            day, _, name = item.partition("=")
            out.append((date.fromisoformat(day), name))
        return out

    enter_year(_db(), year=year, holidays=parse(holidays), workdays=parse(workdays), actor=Actor.system("cli"))
    console.print(f"calendar {year} entered")


@city_app.command("add")
def city_add(path: str = typer.Argument(..., metavar="FILE",
                                        help="A city file (TOML), like policy/data/dongguan.toml")) -> None:
    """Add a city (or complete one): its names, its rules from their first date, its banks and branches."""
    from pathlib import Path

    from permitcard.seed import seed_city
    from permitcard.shared.errors import DomainError
    from permitcard.shared.i18n import translate

    try:
        city = seed_city(_db(), Path(path))
    except DomainError as exc:
        messages = [translate(e.message, e.params) for e in getattr(exc, "errors", [])] or [str(exc)]
        err.print("[red]" + "; ".join(messages) + "[/]")
        raise typer.Exit(2) from exc
    console.print(f"city {city.code} {city.name_en} ({city.name_zh}) ready")


@city_app.command("list")
def city_list() -> None:
    """The cities and the rules of each in force today."""
    from permitcard.policy import views as policy_views
    from permitcard.shared import clock

    db = _db()
    for c in policy_views.all_cities(db):
        p = policy_views.policy_on(db, code=c.code, on=clock.today())
        mark = " (default)" if c.is_default else ""
        console.print(f"[bold]{c.code} {c.name_en} {c.name_zh}{mark}[/]")
        for key, value in sorted(vars(p).items()):
            if key not in ("city", "day"):
                console.print(f"  {key:<26} {' '.join(sorted(value)) if isinstance(value, frozenset) else value}")


@app.command()
def worker(once: bool = typer.Option(False, help="Deliver what is due now, then stop."),
           interval: float = typer.Option(0.5, help="Seconds to wait when nothing is due."),
           batch: int = typer.Option(0, help="Messages per transaction (0: 25 on SQLite, 200 on PostgreSQL).")) -> None:
    """Deliver the outbox (events, notifications) and run the scheduled jobs, in this process."""
    from permitcard import worker as outbox_worker
    from permitcard.shared.memory import few_arenas

    few_arenas()
    db = _db(background_checkpoints=not once)  # SQLite: the log is checkpointed beside the batches (db.py)
    try:
        n = outbox_worker.run(db, once=once, interval=interval, batch=batch or None)
    finally:
        db.close()
    if once:
        console.print(f"{n} messages processed")


@app.command()
def generate(people: int = typer.Option(10_000, min=1, help="How many people (each with a permit)"),
             seed: int = typer.Option(1, help="The same seed (and day) gives the same people"),
             photos: bool = typer.Option(False, help="One photo row per card application (else one shared)")) -> None:
    """Write a synthetic population: employers, people, permits, registrations, cards (development only)."""
    import time

    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from permitcard.devtools.generate import generate as run

    settings = get_settings()
    if settings.is_production:
        err.print("[red]generate writes invented people; it does not run in production.[/]")
        raise typer.Exit(2)
    started = time.perf_counter()
    columns = (TextColumn("people"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console.real) as bar:
        task = bar.add_task("people", total=people)
        summary = run(_db().engine, people=people, seed=seed, photos=photos,
                      progress=lambda n: bar.advance(task, n))
    elapsed = time.perf_counter() - started
    console.print(f"{summary.people:,} people in {elapsed:.1f} s ({summary.people / elapsed:,.0f}/s)")
    for table, n in summary.rows.items():
        console.print(f"  {table:<24} {n:>10,}")


@app.command("verify-qr")
def verify_qr(token: str = typer.Argument(..., help="The token, or the whole verification URL the QR code holds"),
              public_key: typer.FileBinaryRead = typer.Option(..., "--public-key", help=(
                  "The published key set (/.well-known/permitcard-ecard-keys.json), a PEM public key, or "
                  "base64 of the 32 raw bytes")),
              at: int = typer.Option(0, help="Check as of this Unix time (default: now)")) -> None:
    """Check an e-card QR token offline (no database): prints valid or invalid and why."""
    import time

    from permitcard.ecard import qr
    from permitcard.shared.i18n import translate

    try:
        keys = qr.load_keys(public_key.read())
    except ValueError as exc:
        err.print(f"cannot read the public key file: {exc}")
        raise typer.Exit(2) from exc
    verdict = qr.verify(token, keys, now=at or int(time.time()))
    if verdict.ok and verdict.claims is not None:
        print(f"valid: signed by key {verdict.claims.kid}, card reference {verdict.claims.card_ref}, "
              f"expires at {verdict.claims.expires_at} (Unix time)")
        return
    print(f"invalid: {verdict.reason}: {translate(verdict.message)}")
    raise typer.Exit(1)


@app.command("verify-audit")
def verify_audit() -> None:
    """Check every audit entry's MAC and every seal's Merkle root, chain and signature."""
    from permitcard.shared import audit_seal
    from permitcard.shared.i18n import translate

    with _db().uow(write=False) as s:
        report = audit_seal.verify(s)
    for f in report.findings:
        where = f"seal {f.seal_id}" if f.row_id is None else f"entry {f.row_id}"
        (err if f.serious else console).print(f"{'BAD' if f.serious else 'note'} {where}: "
                                              f"{translate(f.message, f.params)}", markup=False, soft_wrap=True)
    if report.more:
        err.print(f"… and {report.more} more findings")
    console.print(f"{report.rows} entries, {report.sealed} sealed in {report.seals} seals, "
                  f"{report.unsealed} not sealed yet")
    if report.latest:
        h = report.latest
        console.print(f"latest seal {h.id}: entries up to {h.last_id}, root {h.root}, "
                      f"sealed {h.sealed_at.isoformat()}, key {h.key_id} (keep a copy elsewhere to detect "
                      "a log cut back behind it)", markup=False, soft_wrap=True)
    if report.ok:
        console.print("audit log intact")
        return
    err.print("[red]audit log altered[/]")
    sys.exit(1)


@audit_app.command("seal")
def audit_seal() -> None:
    """Seal the committed audit entries into signed tree heads now (the worker does it every few seconds)."""
    from permitcard.shared import audit_seal

    n = audit_seal.seal(_db())
    console.print(f"{n} audit entries sealed")


from permitcard.cli_lifecycle import register as _register_lifecycle  # noqa: E402

_register_lifecycle(app)

if __name__ == "__main__":
    app()
