"""`flask ledger ...` commands."""
import sys

import click
from flask.cli import AppGroup

from ..jobs import records_run
from . import check

ledger_cli = AppGroup("ledger", help="ledger commands.")


@ledger_cli.command("check")
@records_run("ledger check")
def check_command():
    """Verify every ledger invariant; exits 1 on drift (for cron and monitoring)."""
    found = check.problems()
    for problem in found:
        click.echo(problem)
    click.echo(f"{len(found)} problem(s) found." if found else "The ledger adds up.")
    if found:
        sys.exit(1)
