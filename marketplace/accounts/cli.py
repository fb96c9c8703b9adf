"""Command-line account administration."""
import click
from flask.cli import with_appcontext

from ..errors import DomainError
from ..extensions import db
from . import service


@click.command("create-admin")
@click.argument("email")
@click.option("--name", default="Admin", help="Display name.")
@click.option("--password-file", type=click.File("r"), help="Read the password from this file.")
@with_appcontext
def create_admin_command(email, name, password_file):
    """Create an administrator account."""
    if password_file is not None:
        password = password_file.read().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = service.register_user(verified=True, email=email, name=name, phone="", password=password, role="admin")
    except DomainError as error:
        raise click.ClickException(error.message) from error
    db.session.commit()
    click.echo(f"Admin {user.email} created.")
