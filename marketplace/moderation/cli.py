"""`flask moderation ...` commands."""
from flask.cli import AppGroup

moderation_cli = AppGroup("moderation", help="moderation commands.")
