"""`flask orders ...` commands (`flask orders expire` drives payments, so it lives in payments/cli.py)."""
import click
from flask.cli import AppGroup

from ..extensions import db
from ..jobs import records_run
from . import earnings, service

orders_cli = AppGroup("orders", help="orders commands.")


@orders_cli.command("auto-complete")
@click.option("--days", default=service.AUTO_COMPLETE_DAYS, show_default=True, type=click.IntRange(1, 365),
              help="Days after shipping before an unconfirmed order counts as received.")
@click.option("--limit", default=500, show_default=True, type=click.IntRange(1, 100000),
              help="Most orders completed in one run.")
@records_run("orders auto-complete")
def auto_complete_command(days, limit):
    """Complete shipped orders the buyer never confirmed; safe to run from cron (each is one conditional update)."""
    completed = service.auto_complete(days=days, limit=limit)
    db.session.commit()
    click.echo(f"{completed} shipped order(s) completed.")


@orders_cli.command("release-earnings")
@click.option("--limit", default=500, show_default=True, type=click.IntRange(1, 100000),
              help="Most shop orders released in one run.")
@records_run("orders release-earnings")
def release_earnings_command(limit):
    """Move the earnings of parts completed PAYOUT_HOLD_DAYS ago from pending to available; safe to repeat
    (each release is recorded once per shop order)."""
    released = earnings.release_due(limit=limit)
    db.session.commit()
    click.echo(f"{released} shop order(s) released to available balances.")
