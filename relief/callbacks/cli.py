"""`flask --app wsgi relief callbacks draw --month YYYY-MM [--seed N]`."""
from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from relief.database import writing
from relief.extensions import db

callbacks_cli = AppGroup("callbacks", help="Call-backs (回访): draw the month's sample of paired households.")


@callbacks_cli.command("draw")
@click.option("--month", help="the month to sample, YYYY-MM (default: this month)")
@click.option("--seed", type=int, help="random seed; the same seed on the same households draws the same sample")
def draw_command(month: str | None, seed: int | None) -> None:
    """Draw the month's random sample per township; a month is drawn once."""
    from relief.callbacks import services
    from relief.dates import today
    from relief.models import Township

    try:
        with writing():
            result = services.draw(month or services.month_of(today()), seed, today=today())
            names = dict(db.session.execute(db.select(Township.id, Township.name)).all())
            db.session.commit()
    except services.CallbackError as err:
        db.session.rollback()
        click.echo(f"error: {err}", err=True)
        sys.exit(1)
    click.echo(f"{result.month}: drew {result.households} households in {len(result.townships)} townships "
               f"(seed {result.seed}).")
    if result.no_phone:
        click.echo(f"  {result.no_phone} paired households have no phone number on record and were not drawn.")
    for township_id, (paired, drawn) in sorted(result.townships.items(), key=lambda kv: names[kv[0]]):
        click.echo(f"  {names[township_id]}: {drawn} of {paired}")
