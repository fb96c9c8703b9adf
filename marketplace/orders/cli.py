"""`flask orders ...` commands."""
from flask.cli import AppGroup

orders_cli = AppGroup("orders", help="orders commands.")
