"""The producer's orders: the list by state, one order with its actions, the packing slip, the sales overview."""
from flask import abort, render_template
from flask_login import current_user

from ..accounts.decorators import role_required
from ..orders import queries
from .views import bp


def _own_shop_order(shop_order_id):
    """The current producer's part of an order; another shop's, or none, is 404."""
    part = queries.producer_shop_order(current_user, shop_order_id)
    if part is None:
        abort(404)
    return part


@bp.route("/dashboard/orders/<int(max=2147483647):shop_order_id>")
@role_required("producer")
def shop_order(shop_order_id):
    """One order of the producer's shop, with what can be done next."""
    return render_template("shops/shop_order.html", part=_own_shop_order(shop_order_id))
