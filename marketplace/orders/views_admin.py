"""The admins' list of orders flagged for a payment mismatch, and their count for the admin overview."""
from flask import Blueprint, render_template
from flask_login import current_user

from ..accounts.decorators import role_required
from . import queries

bp = Blueprint("orders_admin", __name__)


@bp.app_context_processor
def flagged_count():
    """`flagged_order_count()` for the admin overview (a function, so other pages never run the query)."""

    def flagged_order_count():
        return queries.flagged_count() if current_user.is_authenticated and current_user.is_admin else 0

    return {"flagged_order_count": flagged_order_count}


@bp.route("/admin/orders/flagged")
@role_required("admin")
def flagged_orders():
    """Orders whose payment did not match (amount, currency, order) or came too late: newest first."""
    return render_template("orders/flagged.html", orders=queries.flagged_orders())
