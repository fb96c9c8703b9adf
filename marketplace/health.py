"""GET /healthz: does the marketplace's storage answer?"""
from flask import Blueprint, current_app, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from .extensions import db, limiter

bp = Blueprint("health", __name__)

# Each check returns True when its part answers; later features add theirs.
HEALTH_CHECKS = {}


def check_database():
    """True when the database answers a trivial query."""
    try:
        db.session.execute(text("SELECT 1"))
        return True
    except SQLAlchemyError:
        db.session.rollback()
        current_app.logger.exception("health check: database did not answer")
        return False


HEALTH_CHECKS["database"] = check_database
HEALTH_CHECKS["search"] = lambda: __import__("marketplace.search.service", fromlist=["_"]).index_answers()


@bp.route("/healthz")
@limiter.exempt
def healthz():
    """200 with each part's state when all answer, 503 otherwise."""
    results = {name: check() for name, check in HEALTH_CHECKS.items()}
    healthy = all(results.values())
    body = {"status": "ok" if healthy else "unavailable",
            **{name: "ok" if ok else "unavailable" for name, ok in results.items()}}
    return jsonify(body), 200 if healthy else 503
