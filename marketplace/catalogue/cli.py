"""`flask catalogue ...` commands."""
from flask.cli import AppGroup

catalogue_cli = AppGroup("catalogue", help="catalogue commands.")
