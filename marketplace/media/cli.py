"""Command line: flask media rebuild."""
import click
from flask.cli import AppGroup

from .service import rebuild_variants
from .storage import get_storage

media_cli = AppGroup("media", help="Manage stored product photos.")


@media_cli.command("rebuild")
def rebuild_command():
    """Regenerate every photo variant from the stored masters."""
    count = rebuild_variants(get_storage())
    click.echo(f"Rebuilt {count} variants.")


@media_cli.command("discard-abandoned-uploads")
def discard_abandoned_command():
    """Delete photo uploads left unfinished or unused for a day (safe to run from cron at any time)."""
    from ..extensions import db
    from .uploads import discard_abandoned

    count = discard_abandoned()
    db.session.commit()
    click.echo(f"Discarded {count} abandoned uploads.")
