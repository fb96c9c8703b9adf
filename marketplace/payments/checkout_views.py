"""Checkout, paying and cancelling an unpaid order: the views that drive payments.

They sit on the orders blueprint (orders.checkout, orders.pay, orders.cancel) so that links and forms keep their
names, while orders/ itself never imports payments."""
import stripe
from flask import current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from ..errors import DomainError
from ..extensions import db, limiter
from ..links import site_url_for
from ..orders import cart as carts
from ..orders import service as orders
from ..orders.forms import CheckoutForm
from ..orders.views import _cart, _own_order, _visible_cart, bp
from ..web import show_error
from . import cash, emails, service, transfer
from .gateway import PaymentsUnavailable
from .settle import open_attempt

# The order in which checkout offers them.
CHECKOUT_METHODS = ("bank_transfer", "qris", "stripe")
METHOD_LABELS = {"stripe": _l("Kartu kredit/debit (Stripe)"), "bank_transfer": _l("Transfer bank"),
                 "qris": _l("QRIS"), "cash_on_pickup": _l("Bayar tunai saat diambil")}


def offered_methods():
    """The methods the buyer may choose at checkout now."""
    settings = transfer.method_settings()  # one query, not one per method
    return [method for method in CHECKOUT_METHODS if transfer.method_enabled(method, settings)]


@bp.app_context_processor
def payment_words():
    """For the order pages: the order's open attempt, its method's name and where to transfer to."""
    return {"open_payment": open_attempt, "method_label": lambda method: METHOD_LABELS.get(method, method),
            "receiving_accounts": transfer.active_accounts, "qris_code": transfer.qris_code}


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
    if not current_user.is_email_verified:
        # Order emails go only to proved addresses: the buyer proves theirs before the first order.
        return redirect(url_for("accounts.verification_needed", next=url_for("orders.checkout")))
    cart_view = carts.view_cart(_cart() if request.method == "POST" else _visible_cart())
    if cart_view.is_empty:
        flash(_("Keranjang Anda kosong."), "info")
        return redirect(url_for("orders.cart"))
    form = CheckoutForm(obj=None if request.method == "POST" else orders.remembered_address(current_user))
    form.fill_region_choices()
    choices = {group.shop.id: request.form.get(f"fulfilment-{group.shop.id}", "")[:10] for group in cart_view.groups}
    methods = offered_methods() + cash.methods_for(cart_view.groups)
    method = request.form.get("payment_method", methods[0] if methods else "")[:20]
    if request.method == "POST" and request.form.get("action") == "regions":
        return _render_checkout(form, cart_view, choices, methods, method)  # without JavaScript: selects refilled
    if form.validate_on_submit():
        if method not in methods:
            form.form_errors.append(_("Pilih cara pembayaran dari daftar."))
            return _render_checkout(form, cart_view, choices, methods, method, 422)
        opened = []
        try:
            order = orders.place_order(current_user, form.address(), choices, method=method,
                                       before_reserving=lambda order: opened.append(_open_attempt(order, method)))
        except DomainError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            db.session.commit()
            g.order_placed = True
            return _start_payment(order, method, opened[0] if opened else None)
    return _render_checkout(form, cart_view, choices, methods, method, 422 if request.method == "POST" else 200)


def _open_attempt(order, method):
    """In the order's own transaction: a Stripe attempt with the Checkout Session to ask for (a transaction fewer
    than opening it after the commit), or a cash attempt with its pickup deadline (the order waits for the
    buyer at once); transfers open theirs after the commit, with their unique amount."""
    if method == cash.CASH:
        cash.start_cash(order, new_order=True)
    elif method == "stripe":
        return _checkout_request(order, new_order=True)
    return None


def _checkout_request(order, new_order=False):
    code = order.code
    return service.checkout_request(order, site_url_for("orders.order_page", code=code, checkout="success"),
                                    site_url_for("orders.order_page", code=code, checkout="cancel"),
                                    new_order=new_order)


def _render_checkout(form, cart_view, choices, methods, method, status=200):
    return render_template("orders/checkout.html", form=form, cart=cart_view, choices=choices, methods=methods,
                           method=method), status


def _start_payment(order, method="stripe", checkout_request=None):
    """Send the buyer to pay: a transfer's instructions on the order page, or Stripe's page (nothing is held in the
    database while Stripe answers). checkout_request: the session to ask for, prepared in the checkout's
    transaction."""
    code = order.code
    if method == cash.CASH:  # nothing to pay online: the order page says what to bring, where, by when
        return redirect(url_for("orders.order_page", code=code))
    if method in ("bank_transfer", "qris"):
        return _start_transfer(order, method)
    try:
        url = None if checkout_request is not None else service.payment_url(order)
        if url is None:
            if checkout_request is None:
                checkout_request = _checkout_request(order)
                db.session.commit()
            url = service.remember_session(checkout_request.order_id, service.open_checkout(checkout_request))
            db.session.commit()
    except (stripe.StripeError, PaymentsUnavailable):
        db.session.rollback()
        current_app.logger.exception("could not start the payment of order %s", code)
        flash(_("Pembayaran belum dapat dimulai. Pesanan Anda tersimpan; coba bayar lagi sebentar lagi."), "error")
        return redirect(url_for("orders.order_page", code=code))
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("orders.order_page", code=code))
    if url is None:
        return redirect(url_for("orders.order_page", code=code))
    return redirect(url)


def _start_transfer(order, method):
    """Open the transfer attempt (its unique amount) and show the buyer where and how much to transfer."""
    try:
        emails.payment_instructions(transfer.start_transfer(order, method), transfer.active_accounts())
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
    return redirect(url_for("orders.order_page", code=order.code))


@bp.route("/orders/<code>/pay", methods=["POST"])
@login_required
def pay(code):
    """Go (back) to the payment page of a pending order, by the method of its open attempt."""
    order = _own_order(code)
    if order.state != "pending":
        flash(_("Pesanan ini tidak menunggu pembayaran."), "info")
        return redirect(url_for("orders.order_page", code=code))
    payment = open_attempt(order)
    return _start_payment(order, payment.method if payment is not None else "stripe")


@bp.route("/orders/<code>/cancel", methods=["POST"])
@login_required
def cancel(code):
    """The buyer cancels an unpaid order: Stripe closes the session first, then the stock goes back."""
    order = _own_order(code)
    order_id, session_id, state = order.id, service.stripe_session_of(order), order.state
    db.session.commit()
    released = False
    if state == "pending":
        try:
            released = service.cancel_unpaid(order_id, "cancelled", service.close_session(session_id),
                                             buyer=current_user)
        except (stripe.StripeError, PaymentsUnavailable):
            current_app.logger.exception("could not close the payment session of order %s", code)
        db.session.commit()
    if released:
        flash(_("Pesanan dibatalkan."), "success")
    else:
        flash(_("Pesanan ini tidak dapat dibatalkan lagi (sudah dibayar atau sedang diproses)."), "error")
    return redirect(url_for("orders.order_page", code=code))
