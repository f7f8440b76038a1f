"""`relief monitor-line`, `relief monitor-scan`, and the risk-list kind of `relief import`."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from relief.database import writing
from relief.extensions import db


def register(group) -> None:
    group.add_command(monitor_line_command)
    group.add_command(monitor_scan_command)


@click.command("monitor-line")
@click.option("--year", type=int, required=True, help="the year, e.g. 2026")
@click.option("--yuan", type=int, required=True, help="yuan per person per year, e.g. 6900")
def monitor_line_command(year: int, yuan: int) -> None:
    """Set the year's 防返贫 income line (监测范围); a year without one uses the latest earlier line.
    The automatic rules then run again over every household."""
    from relief.dates import today
    from relief.monitoring import leads, lines
    from relief.monitoring.errors import MonitoringError

    try:
        with writing():
            _line, changed = lines.set_line(year, yuan)
            result = leads.scan(today()) if changed else None
            db.session.commit()
    except MonitoringError as err:
        db.session.rollback()
        for message in err.fields.values() or [str(err)]:
            click.echo(f"error: {message}", err=True)
        sys.exit(1)
    click.echo(f"{year}: {yuan:,} yuan per person per year" + ("" if changed else " (unchanged)"))
    if result is not None:
        click.echo(f"New leads: {result.total}" + "".join(f", {k} {n}" for k, n in sorted(result.created.items())))


@click.command("monitor-scan")
def monitor_scan_command() -> None:
    """Run the automatic 防返贫 rules over every household (income below the line, a 30 % drop, a
    两不愁三保障 check answered no) and add the leads they find. For cron, once a day."""
    from relief.dates import today
    from relief.monitoring import leads

    with writing():
        result = leads.scan(today())
        db.session.commit()
    if result.line_missing:
        click.echo(f"warning: no income line for {today().year} or earlier (relief monitor-line --year ...)", err=True)
    click.echo(f"{result.households} households meet a rule; new leads: {result.total}"
               + "".join(f", {k} {n}" for k, n in sorted(result.created.items())))


def import_risk_list_command(path: str, source: str | None, dry_run: bool) -> None:
    """`relief import risk-list FILE --source 医保|民政|残联|住建|应急|其他`: exit 0 with the people not
    on the roster listed on stdout; 1 and `row N: column: message` on stderr for a malformed row
    (nothing stored); 2 for a file that cannot be read."""
    from relief.dates import today
    from relief.models import Department
    from relief.monitoring.risk_list import FileProblem, import_risk_list

    department = Department.from_label(source or "")
    if department is None:
        click.echo("error: --source must be one of " + "|".join(d.zh for d in Department), err=True)
        sys.exit(2)
    data = Path(path).read_bytes()
    with writing():
        try:
            outcome = import_risk_list(data, Path(path).name, department, today())
        except FileProblem as err:
            db.session.rollback()
            click.echo(f"error: {err}", err=True)
            sys.exit(2)
        click.echo(outcome.where)
        for note in outcome.notes:
            click.echo(note)
        if outcome.errors:
            db.session.rollback()
            for problem in outcome.errors:
                click.echo(str(problem), err=True)
            click.echo(f"{len({p.row for p in outcome.errors})} bad row(s); nothing was stored.")
            sys.exit(1)
        if dry_run:
            db.session.rollback()
        else:
            db.session.commit()
    click.echo(("Dry run, nothing stored: " if dry_run else "") + outcome.summary())
    missing = outcome.result.not_on_roster
    if missing:
        click.echo(f"Not on relief's roster ({len(missing)}):")
        for row, name, masked in missing:
            click.echo(f"  row {row}: {name} {masked}")
