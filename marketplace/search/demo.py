"""Demo data for search: the demo listings, indexed."""
from flask import current_app

from ..extensions import db
from . import sync


def seed():
    """Rebuild the index from the (committed) demo data; call after the demo data is committed."""
    return sync.rebuild(current_app, db.session.get_bind())
