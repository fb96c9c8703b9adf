"""`flask search ...` commands: sync, reindex, check."""
import click
from flask import current_app
from flask.cli import AppGroup

from ..extensions import db
from ..jobs import records_run
from . import sync
from .documents import count_public

search_cli = AppGroup("search", help="search commands.")


@search_cli.command("sync")
@records_run("search sync")
def sync_command():
    """Apply what is left in the search outbox to the index."""
    applied = sync.drain(current_app, db.session.get_bind())
    click.echo(f"Applied {applied} outbox row(s).")


@search_cli.command("reindex")
def reindex_command():
    """Rebuild the index from the database into a new directory and switch to it atomically."""
    with sync.db_session(db.session.get_bind()) as session:
        total = count_public(session)
    with click.progressbar(length=total, label="Indexing listings") as bar:
        indexed = sync.rebuild(current_app, db.session.get_bind(), progress=bar.update)
    click.echo(f"Indexed {indexed} listing(s).")


@search_cli.command("check")
@click.option("--fix", is_flag=True, help="Repair the differences found.")
def check_command(fix):
    """Compare the index with the database; exits with status 1 on unrepaired drift."""
    drift = sync.check(current_app, db.session.get_bind(), fix=fix)
    for label, ids in (("missing", drift.missing), ("extra", drift.extra), ("stale", drift.stale)):
        shown = ", ".join(map(str, ids[:20])) + (" ..." if len(ids) > 20 else "")
        click.echo(f"{label}: {len(ids)}" + (f" ({shown})" if ids else ""))
    if not drift.total:
        click.echo("The index matches the database.")
    elif fix:
        click.echo(f"Repaired {drift.total} listing(s).")
    else:
        raise SystemExit(1)
