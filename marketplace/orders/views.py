"""Cart, checkout and the buyer's orders. Without JavaScript everything is a plain form and a redirect."""
from dataclasses import dataclass

import stripe
from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.exc import SQLAlchemyError

from ..accounts.views import safe_next
from ..errors import DomainError, InvalidState
from ..extensions import db, limiter
from ..payments import service as payments
from ..payments.gateway import PaymentsUnavailable
from ..reviews import service as reviews
from . import cart as carts
from . import queries, service
from .forms import CheckoutForm
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


@bp.app_context_processor
def cart_badge():
    """`cart_count()` for the header: pieces in this visitor's or buyer's cart."""

    def cart_count():
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
    db.session.commit()
    flash(_("%(title)s masuk ke keranjang.", title=product.title), "success")
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
    return redirect(url_for("orders.cart"))


@bp.route("/cart/<int(max=2147483647):product_id>/remove", methods=["POST"])
def remove_from_cart(product_id):
    """Take a product out of the cart."""
    carts.remove_from_cart(_cart(), product_id)
    db.session.commit()
    return redirect(url_for("orders.cart"))


def _order_placed(response):
    """Only checkouts that placed an order count towards the limits (region reloads and refusals do not)."""
    return g.get("order_placed", False)


def _account_key():
    return f"account:{current_user.get_id()}"


@bp.route("/checkout", methods=["GET", "POST"])
@login_required
@limiter.limit(lambda: current_app.config["CHECKOUT_LIMIT_ACCOUNT"], key_func=_account_key, methods=["POST"],
               deduct_when=_order_placed, scope="checkout-account")
@limiter.limit(lambda: current_app.config["CHECKOUT_LIMIT_ADDRESS"], methods=["POST"], deduct_when=_order_placed,
               scope="checkout-address")
def checkout():
    """Address and delivery choices, then the order is placed and the buyer goes to pay."""
    cart_view = carts.view_cart(_cart() if request.method == "POST" else _visible_cart())
    if cart_view.is_empty:
        flash(_("Keranjang Anda kosong."), "info")
        return redirect(url_for("orders.cart"))
    form = CheckoutForm(obj=None if request.method == "POST" else service.remembered_address(current_user))
    form.fill_region_choices()
    choices = {group.shop.id: request.form.get(f"fulfilment-{group.shop.id}", "")[:10] for group in cart_view.groups}
    if request.method == "POST" and request.form.get("action") == "regions":
        return _render_checkout(form, cart_view, choices)  # without JavaScript: the selects below were refilled
    if form.validate_on_submit():
        try:
            order = service.place_order(current_user, form.address(), choices)
        except DomainError as error:
            db.session.rollback()
            _show_error(form, error)
        else:
            db.session.commit()
            g.order_placed = True
            return _start_payment(order)
    return _render_checkout(form, cart_view, choices, 422 if request.method == "POST" else 200)


def _render_checkout(form, cart_view, choices, status=200):
    return render_template("orders/checkout.html", form=form, cart=cart_view, choices=choices), status


def _show_error(form, error):
    if error.field and error.field in form:
        form[error.field].errors.append(error.message)
    else:
        form.form_errors.append(error.message)


def _start_payment(order):
    """Send the buyer to Stripe's page for the order; nothing is held in the database while Stripe answers."""
    code = order.code
    try:
        url = payments.payment_url(order)
        if url is None:
            checkout = payments.checkout_request(
                order, url_for("orders.order_page", code=code, checkout="success", _external=True),
                url_for("orders.order_page", code=code, checkout="cancel", _external=True))
            db.session.commit()
            url = payments.remember_session(checkout.order_id, payments.open_checkout(checkout))
            db.session.commit()
    except (stripe.StripeError, PaymentsUnavailable):
        db.session.rollback()
        current_app.logger.exception("could not start the payment of order %s", code)
        flash(_("Pembayaran belum dapat dimulai. Pesanan Anda tersimpan; coba bayar lagi sebentar lagi."), "error")
        return redirect(url_for("orders.order_page", code=code))
    return redirect(url)


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
    return [PartView(part, part.timeline, courier_name(part.courier) if part.courier else "", link_to_producer(part))
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


@bp.route("/orders/<code>/pay", methods=["POST"])
@login_required
def pay(code):
    """Go (back) to the payment page of a pending order."""
    order = _own_order(code)
    if order.state != "pending":
        flash(_("Pesanan ini tidak menunggu pembayaran."), "info")
        return redirect(url_for("orders.order_page", code=code))
    return _start_payment(order)


@bp.route("/orders/<code>/cancel", methods=["POST"])
@login_required
def cancel(code):
    """The buyer cancels an unpaid order: Stripe closes the session first, then the stock goes back."""
    order = _own_order(code)
    order_id, session_id, state = order.id, order.stripe_session_id, order.state
    db.session.commit()
    released = False
    if state == "pending":
        try:
            released = payments.cancel_unpaid(order_id, "cancelled", payments.close_session(session_id),
                                                buyer=current_user)
        except (stripe.StripeError, PaymentsUnavailable):
            current_app.logger.exception("could not close the payment session of order %s", code)
        db.session.commit()
    if released:
        flash(_("Pesanan dibatalkan."), "success")
    else:
        flash(_("Pesanan ini tidak dapat dibatalkan lagi (sudah dibayar atau sedang diproses)."), "error")
    return redirect(url_for("orders.order_page", code=code))
