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
