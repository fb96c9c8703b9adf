"""`flask notifications ...` commands."""
import click
from flask import current_app
from flask.cli import AppGroup

from ..extensions import db
from ..jobs import records_run
from . import sending
from .models import Notification

notifications_cli = AppGroup("notifications", help="notifications commands.")


@notifications_cli.command("send")
@click.option("--limit", default=200, show_default=True, type=click.IntRange(1, 100000),
              help="Most messages sent in one run.")
@records_run("notifications send")
def send_command(limit):
    """Send due notifications (never sent, not claimed); safe to run from cron beside the app and other runs."""
    db.session.commit()  # the sender works on sessions of its own; hold nothing meanwhile
    bind = db.session.get_bind(Notification)
    outcome = sending.send_due(current_app.config, bind, limit)
    stuck = sending.stuck_ids(bind)
    given_up = sending.given_up_count(bind)
    click.echo(f"{outcome.sent} sent, {outcome.failed} failed, {len(stuck)} stuck, {given_up} given up "
               f"({outcome.taken} taken by another sender).")
    if stuck:
        # Claimed but never marked sent: the process died mid-send, so the message may or may not have gone out.
        click.echo("Stuck (claimed over {} minutes ago, never marked sent; check by hand): {}".format(
            int(sending.STUCK_AFTER.total_seconds() // 60), ", ".join(str(row_id) for row_id in stuck)))
    if outcome.failed:
        click.echo(f"Failed messages stay due and are tried again (up to {sending.MAX_ATTEMPTS} times); "
                   "see notification.last_error.")
