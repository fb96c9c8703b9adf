"""Cart and the buyer's orders. Without JavaScript everything is a plain form and a redirect.

Checkout, paying and cancelling an unpaid order drive payments, so their views live in payments/checkout_views.py
(on this blueprint, so that their endpoints stay orders.checkout, orders.pay and orders.cancel)."""
from dataclasses import dataclass

from flask import Blueprint, abort, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.exc import SQLAlchemyError

from ..accounts.service import load_user_from_session, load_user_with
from ..database import reads_only_request
from ..errors import DomainError, InvalidState
from ..extensions import db
from ..reviews import service as reviews
from ..web import safe_next, show_error
from . import cart as carts
from . import queries, service
from .messaging import courier_name, link_to_producer

bp = Blueprint("orders", __name__)


def _visible_cart():
    """The cart as the buyer sees it, writing nothing (page views on SQLite read without the write lock);
    a visitor cart left in the session of a logged-in buyer (say after registering) shows already joined."""
    if not current_user.is_authenticated:
        return carts.SessionCart(session)
    if session.get(carts.SESSION_KEY):
        return carts.PreviewCart(session, current_user)
    return carts.AccountCart(current_user)


def _cart():
    """The cart to change: the account cart for a logged-in buyer, after taking over any visitor cart."""
    if not current_user.is_authenticated:
        return carts.SessionCart(session)
    if session.get(carts.SESSION_KEY):
        carts.merge_visitor_cart(session, current_user)
        db.session.commit()
    return carts.AccountCart(current_user)


def load_user(stored_id):
    """Flask-Login's loader (create_app): on a public page (database.reads_only) the header's cart count is read
    in the user's own statement, a round trip fewer on PostgreSQL; such a page writes no cart (_visible_cart),
    so the count stays true for the whole request. Elsewhere the user alone, and the header asks the count."""
    if not reads_only_request():
        return load_user_from_session(stored_id)
    found = load_user_with(stored_id, carts.cart_size_of_user)
    if found is None:
        return None
    user, g.loaded_cart_size = found
    return user


@bp.app_context_processor
def cart_badge():
    """`cart_count()` for the header: pieces in this visitor's or buyer's cart."""

    def cart_count():
        loaded = g.get("loaded_cart_size")
        if loaded is not None and current_user.is_authenticated and not session.get(carts.SESSION_KEY):
            return loaded
        try:
            return carts.cart_size(_visible_cart())
        except SQLAlchemyError:  # the header of an error page must render even when the database fails
            db.session.rollback()
            return 0

    return {"cart_count": cart_count}


def _render_cart(error=None, status=200):
    return render_template("orders/cart.html", cart=carts.view_cart(_visible_cart()), error=error), status


@bp.route("/cart")
def cart():
    """The cart, grouped by shop."""
    return _render_cart()


@bp.route("/cart/add", methods=["POST"])
def add_to_cart():
    """Add a product from its page; works without JavaScript."""
    try:
        product = carts.add_to_cart(_cart(), request.form.get("product_id"), request.form.get("quantity"))
    except DomainError as error:
        db.session.rollback()
        return _render_cart(error.message, 422)
    title = product.title  # read before the commit expires it: after, it would load the product again
    db.session.commit()
    flash(_("%(title)s masuk ke keranjang.", title=title), "success")
    return redirect(safe_next("orders.cart"))


@bp.route("/cart/<int(max=2147483647):product_id>/quantity", methods=["POST"])
def change_quantity(product_id):
    """Change how many of a product the cart holds."""
    try:
        carts.set_quantity(_cart(), product_id, request.form.get("quantity"))
    except DomainError as error:
        db.session.rollback()
        return _render_cart(error.message, 422)
    db.session.commit()
    # Say it worked, and come back to the line that changed: on a phone the page would otherwise start at the top.
    flash(_("Jumlah sudah diubah."), "success")
    return redirect(url_for("orders.cart", _anchor=f"line-{product_id}"))


@bp.route("/cart/<int(max=2147483647):product_id>/remove", methods=["POST"])
def remove_from_cart(product_id):
    """Take a product out of the cart."""
    carts.remove_from_cart(_cart(), product_id)
    db.session.commit()
    return redirect(url_for("orders.cart"))


def _own_order(code):
    order = queries.buyer_order(current_user, code)
    if order is None:
        abort(404)
    return order


@bp.route("/orders")
@login_required
def my_orders():
    """The buyer's orders, newest first."""
    return render_template("orders/orders.html", orders=queries.orders_of(current_user))


@dataclass
class PartView:
    """One shop's part of an order as the buyer sees it: the part, its history and the way to reach the shop."""

    part: object
    timeline: list
    courier: str
    whatsapp_url: str | None


def _part_views(order):
    """Each part with its timeline, courier name and the WhatsApp link to its shop."""
    return [PartView(part, part.timeline, courier_name(part.courier, part.courier_other) if part.courier else "", link_to_producer(part))
            for part in order.shop_orders]


def _render_order(order, error=None, status=200):
    return render_template("orders/order.html", order=order, parts=_part_views(order), error=error,
                           returned=request.args.get("checkout", ""),
                           reviewable=reviews.reviewable_items(current_user, order)), status


@bp.route("/orders/<code>")
@login_required
def order_page(code):
    """One order; it never marks anything paid by itself, and refreshes itself while payment is awaited."""
    return _render_order(_own_order(code))


@bp.route("/orders/<code>/shops/<int(max=2147483647):shop_order_id>/confirm", methods=["POST"])
@login_required
def confirm_receipt(code, shop_order_id):
    """The buyer says one shop's goods arrived or were collected; that part is completed."""
    part = queries.buyer_shop_order(current_user, code, shop_order_id)
    if part is None:
        abort(404)
    try:
        service.confirm_receipt(part, current_user)
    except InvalidState as error:
        db.session.rollback()
        return _render_order(_own_order(code), error.message, 409)
    db.session.commit()
    flash(_("Terima kasih! Pesanan dari %(shop)s selesai.", shop=part.shop.name), "success")
    return redirect(url_for("orders.order_page", code=code))
