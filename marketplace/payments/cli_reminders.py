"""`flask payments remind`: remind buyers of open bank transfers and QRIS payments before their deadline."""
import click

from ..extensions import db
from ..jobs import records_run
from . import emails, transfer
from .cli import payments_cli


@payments_cli.command("remind")
@click.option("--hours", default=3, show_default=True, type=click.IntRange(1, 48),
              help="Remind of attempts whose deadline is at most this many hours away.")
@click.option("--limit", default=500, show_default=True, type=click.IntRange(1, 10000),
              help="Most attempts handled in one run.")
@records_run("payments remind")
def remind_command(hours, limit):
    """Email each buyer whose transfer is still awaited close to its deadline, once per attempt; safe from cron."""
    accounts = transfer.active_accounts()
    due = emails.due_reminders(hours, limit=limit)
    for payment in due:
        emails.payment_reminder(payment, accounts)
    db.session.commit()
    click.echo(f"{len(due)} open transfers close to their deadline reminded (once each).")
