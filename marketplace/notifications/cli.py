"""`flask notifications ...` commands."""
from flask.cli import AppGroup

notifications_cli = AppGroup("notifications", help="notifications commands.")
