"""The `flask --app wsgi relief ...` command group."""
from __future__ import annotations

import os
import secrets
import sys
import time
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from relief.database import writing
from relief.extensions import db

relief_cli = AppGroup("relief", help="relief commands: demo data, users, import, export, backup.")


def _password_file() -> Path:
    return Path(current_app.instance_path) / "demo-password.txt"


def _print_logins(password: str | None) -> None:
    from relief.demo import DEMO_USERS

    click.echo("Demo logins (用户名 / 密码):")
    for name in DEMO_USERS:
        click.echo(f"  {name:16} {password or '(RELIEF_PASSWORD)'}")


@relief_cli.command("demo")
@click.option("--scale", type=click.Choice(["small", "district", "province"]), default="small", show_default=True)
@click.option("--seed", type=int, default=4, show_default=True, help="random seed; the same seed gives the same data")
@click.option("--if-empty", is_flag=True, help="do nothing (exit 0) when the database already has data")
def demo_command(scale: str, seed: int, if_empty: bool) -> None:
    """Fill an EMPTY database with realistic fake data and the four demo logins."""
    from relief import demo
    from relief.dates import today

    if not demo.is_empty():
        if if_empty:
            saved = _password_file()
            _print_logins(saved.read_text().strip() if saved.exists() else os.environ.get("RELIEF_PASSWORD"))
            return
        click.echo("The database is not empty; demo data is only loaded into an empty database.", err=True)
        sys.exit(1)
    password = os.environ.get("RELIEF_PASSWORD")
    generated = not password
    if generated:
        password = secrets.token_urlsafe(9)
    began = time.perf_counter()
    click.echo(f"Generating {scale} demo data (seed {seed}) ...")
    with writing():
        demo.generate(scale, seed, password, today(), echo=click.echo)
        db.session.commit()
    click.echo(f"Done in {time.perf_counter() - began:.1f} s.")
    if generated:
        path = _password_file()
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(password)
    _print_logins(password)


@relief_cli.command("create-user")
@click.argument("name")
@click.option("--role", type=click.Choice(["admin", "leader", "cadre", "inspector"]), required=True)
@click.option("--township", help="the leader's township (name)")
@click.option("--cadre-phone", help="the cadre this login acts for (their phone number)")
def create_user_command(name: str, role: str, township: str | None, cadre_phone: str | None) -> None:
    """Create a login; the password comes from RELIEF_PASSWORD or is asked for."""
    from relief.models import Role
    from relief.users import services

    password = os.environ.get("RELIEF_PASSWORD") or click.prompt("Password", hide_input=True,
                                                                 confirmation_prompt=True)
    try:
        with writing():
            r = Role(role)
            t, c = services.resolve_links(r, township, cadre_phone)
            services.create_user(name, r, password, township=t, cadre=c)
            db.session.commit()
    except services.UserError as err:
        db.session.rollback()
        click.echo(f"error: {err}", err=True)
        sys.exit(1)
    click.echo(f"Created {role} {name}.")


@relief_cli.command("backup")
@click.option("-o", "--output", "output", required=True, type=click.Path(dir_okay=False),
              help="the copy to write (SQLite: a database file; PostgreSQL: pg_dump custom format)")
def backup_command(output: str) -> None:
    """Write a consistent copy of the database while it is in use."""
    from relief.backup import BackupError, backup, row_counts

    url = db.engine.url
    try:
        backup(url, Path(output))
    except BackupError as err:
        click.echo(f"error: {err}", err=True)
        sys.exit(1)
    counts = row_counts(db.engine)
    click.echo(f"Backup written to {output} ({Path(output).stat().st_size:,} bytes); "
               f"{counts.get('household', 0)} households, {counts.get('visit', 0)} visits at the time of the copy.")


@relief_cli.command("import")
@click.argument("kind", type=click.Choice(["villages", "cadres", "households", "pairings", "incomes", "risk-list"]))
@click.argument("path", metavar="FILE", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="check every row and report, but store nothing")
@click.option("--source", help="risk-list only: the department, 医保|民政|残联|住建|应急|其他")
def import_command(kind: str, path: str, dry_run: bool, source: str | None) -> None:
    """Import a roster (.xlsx, .xlsm, .xls, .ods or .csv): every row or none; bad rows on stderr as
    `row N: column: message` (N: the sheet's own row number). Which sheet and header row were read,
    and what was left out (footer, 小计 rows), go to stdout. `risk-list --source NAME`: a
    department's list for 防返贫 monitoring (people not on the roster are listed, not refused)."""
    from relief.imports.services import FileProblem, run_import

    if kind == "risk-list":
        from relief.monitoring.cli import import_risk_list_command

        return import_risk_list_command(path, source, dry_run)
    if source:
        click.echo("error: --source is for risk-list only", err=True)
        sys.exit(2)

    data = Path(path).read_bytes()
    with writing():
        try:
            outcome = run_import(kind, data, Path(path).name, user=None, dry_run=dry_run)
        except FileProblem as err:
            db.session.rollback()
            click.echo(f"error: {err}", err=True)
            sys.exit(2)
        except BaseException:
            db.session.rollback()
            click.echo("error: the import stopped; nothing was stored", err=True)
            raise
        for line in [outcome.where, *outcome.notes]:
            if line:
                click.echo(line)
        if not outcome.ok:
            db.session.rollback()
            for problem in outcome.errors:
                click.echo(str(problem), err=True)
            click.echo(f"{len({p.row for p in outcome.errors})} bad row(s); nothing was stored.")
            sys.exit(1)
        if dry_run:
            db.session.rollback()
            click.echo(f"Dry run, nothing stored: {outcome.summary()}")
            return
        db.session.commit()
    click.echo(outcome.summary())


@relief_cli.command("export")
@click.option("--year", type=int, required=True, help="the calendar year, e.g. 2025")
@click.option("-o", "--output", "output", required=True, type=click.Path(dir_okay=False),
              help="FILE.xlsx for the workbook, FILE.zip for one workbook per township, or FILE.csv with --sheet")
@click.option("--township", help="one township (name); the whole district when left out")
@click.option("--full-ids", is_flag=True, help="write ID and phone numbers in full (logged)")
@click.option("--sheet", type=click.Choice(["summary", "villages", "households", "cadres", "projects", "visits"]),
              help="with FILE.csv: that one sheet as CSV")
def export_command(year: int, output: str, township: str | None, full_ids: bool, sheet: str | None) -> None:
    """Write the yearly workbook of assistance results (ID and phone numbers masked unless --full-ids)."""
    from relief.exports import services

    as_csv, as_zip = output.lower().endswith(".csv"), output.lower().endswith(".zip")
    if as_csv != bool(sheet):
        click.echo("error: a .csv needs --sheet NAME, and --sheet needs a .csv output", err=True)
        sys.exit(2)
    operator = services.Operator()
    try:
        place = services.resolve_township(township)
        if as_zip and place is not None:
            raise services.ExportError("a .zip holds the whole district, one workbook per township: leave out --township")
        if not as_zip and not sheet and place is None and services.must_split(operator, year, None):
            raise services.ExportError("the year has more rows than a sheet holds: write FILE.zip "
                                       "(one workbook per township) or give --township")
    except services.ExportError as err:
        click.echo(f"error: {err}", err=True)
        sys.exit(1)
    began = time.perf_counter()
    tmp = Path(output).with_name(Path(output).name + ".part")
    try:
        with open(tmp, "wb") as fh:
            if as_zip:
                written = services.export_by_township(fh, operator, year, full_ids=full_ids)
            else:
                written = services.export(fh, operator, year, place, full_ids=full_ids, sheet=sheet)
        tmp.replace(output)
    except services.ExportError as err:
        click.echo(f"error: {err}", err=True)
        sys.exit(1)
    finally:
        tmp.unlink(missing_ok=True)
    db.session.rollback()
    with writing():
        services.log_export(operator, services.describe(year, place, full_ids, sheet, as_zip))
        db.session.commit()
    rows = ", ".join(f"{name} {n}" for name, n in written.items())
    click.echo(f"Wrote {output} in {time.perf_counter() - began:.1f} s ({rows}).")


@relief_cli.command("worker")
@click.option("--burst", is_flag=True, help="stop when the queue is empty instead of waiting for more jobs")
def worker_command(burst: bool) -> None:
    """Run background export jobs (needs RELIEF_REDIS_URL and RELIEF_EXPORT_JOBS=1)."""
    from relief.exports import jobs

    if not jobs.enabled():
        click.echo("error: set RELIEF_REDIS_URL and RELIEF_EXPORT_JOBS=1 for background exports", err=True)
        sys.exit(2)
    click.echo(f"Waiting for export jobs on {jobs.QUEUE} ...")
    jobs.work(burst=burst)


from relief.callbacks.cli import callbacks_cli  # noqa: E402  (a feature's subgroup)

relief_cli.add_command(callbacks_cli)

from relief.flags.cli import photo_hashes_command  # noqa: E402  (a feature's command)

relief_cli.add_command(photo_hashes_command)

from relief.monitoring.cli import register as register_monitoring  # noqa: E402

register_monitoring(relief_cli)
