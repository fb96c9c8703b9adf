"""Command line: flask media rebuild, flask media collect."""
from datetime import timedelta

import click
from flask import current_app
from flask.cli import AppGroup

from ..jobs import records_run
from .collect import DEFAULT_GRACE, collect, hashes_in_use
from .service import rebuild_variants
from .storage import get_storage

media_cli = AppGroup("media", help="Manage stored product photos.")


@media_cli.command("rebuild")
def rebuild_command():
    """Regenerate every photo variant from the stored masters."""
    count = rebuild_variants(get_storage())
    click.echo(f"Rebuilt {count} variants.")


@media_cli.command("discard-abandoned-uploads")
@records_run("media discard-abandoned-uploads")
def discard_abandoned_command():
    """Delete photo uploads left unfinished or unused for a day (safe to run from cron at any time)."""
    from ..extensions import db
    from .uploads import discard_abandoned

    count = discard_abandoned()
    db.session.commit()
    click.echo(f"Discarded {count} abandoned uploads.")


@media_cli.command("collect")
@click.option("--grace-hours", type=click.IntRange(1, 24 * 365), default=int(DEFAULT_GRACE.total_seconds() // 3600),
              show_default=True, help="Keep unused photos younger than this (uploads in progress).")
@click.option("--dry-run", is_flag=True, help="Only say what would be deleted.")
@records_run("media collect")
def collect_command(grace_hours, dry_run):
    """Delete stored photos that no listing, shop or approved version uses (for cron)."""
    outcome = collect(get_storage(), hashes_in_use(current_app._get_current_object()),
                      grace=timedelta(hours=grace_hours), dry_run=dry_run)
    verb = "Would delete" if dry_run else "Deleted"
    click.echo(f"{verb} {outcome.deleted_photos} unused photos ({len(outcome.deleted_files)} files); "
               f"kept {outcome.kept} in use and {outcome.too_young} younger than {grace_hours} h.")
