"""Paying for an order with Stripe Checkout, closing unpaid sessions, and refunding what must go back.

Calls to Stripe take and return plain values, so that the caller can commit before a network call and hold
no database lock (on SQLite every transaction holds the write lock) while Stripe answers.
"""
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import stripe
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from ..errors import InvalidState
from ..extensions import db
from ..ledger import rules as ledger
from ..models_base import utcnow
from ..orders import service as orders
from ..orders.models import Order, ShopOrder
from . import gateway
from .models import TRANSFER_METHODS, Payment, PaymentRefund
from .settle import open_attempt, paid_attempt, start_attempt

# Stripe refuses a session that expires sooner than 30 minutes after it arrives; a minute covers clock and transit.
SESSION_LIFETIME = timedelta(minutes=30, seconds=60)


@dataclass
class CheckoutRequest:
    """Everything needed to ask Stripe for a session, detached from the database."""

    order_id: int
    params: dict
    idempotency_key: str
    payment_id: int | None = None


def checkout_request(order, success_url, cancel_url, now=None, new_order=False):
    """The Checkout Session to create for a pending order's Stripe attempt (opened here when there is none;
    new_order: placed in this transaction, see settle.start_attempt); moves the payment window to the session's
    expiry."""
    if order.state != "pending":
        raise InvalidState(_("Pesanan ini tidak menunggu pembayaran."))
    expires = int(((now or utcnow()) + SESSION_LIFETIME).timestamp())
    order.expires_at = datetime.fromtimestamp(expires, timezone.utc)
    payment = start_attempt(order, "stripe", order.expires_at, now=now, new_order=new_order)
    payment.expires_at = order.expires_at
    line_items = []
    for part in order.shop_orders:
        for item in part.items:
            line_items.append(_line(item.title, item.quantity, item.unit_price_idr))
        if part.shipping_fee_idr:
            line_items.append(_line(_("Ongkos kirim %(shop)s", shop=part.shop.name), 1, part.shipping_fee_idr))
    params = {"mode": "payment", "line_items": line_items, "expires_at": expires,
              "client_reference_id": str(order.id), "metadata": {"order_id": str(order.id), "order_code": order.code},
              "payment_intent_data": {"metadata": {"order_id": str(order.id), "order_code": order.code}},
              "customer_email": order.buyer.email, "success_url": success_url, "cancel_url": cancel_url}
    db.session.flush()
    return CheckoutRequest(order.id, params, f"pasardesa-checkout-{order.code}-{expires}", payment.id)


def _line(name, quantity, amount_idr):
    return {"quantity": quantity, "price_data": {"currency": gateway.CURRENCY, "product_data": {"name": name[:250]},
                                                 "unit_amount": gateway.stripe_amount(amount_idr)}}


def open_checkout(request):
    """Create the session at Stripe (a retry with the same request returns the same session)."""
    return gateway.create_checkout_session(request.params, request.idempotency_key)


def remember_session(order_id, session):
    """Store the session on the order's open Stripe attempt unless another one got there first; returns the URL
    to pay at (None when the attempt was closed meanwhile)."""
    open_stripe = (Payment.order_id == order_id, Payment.method == "stripe", Payment.state == "pending")
    claimed = db.session.execute(
        update(Payment).where(*open_stripe, Payment.stripe_session_id.is_(None))
        .values(stripe_session_id=session.id, checkout_url=session.url),
        execution_options={"synchronize_session": False}).rowcount == 1
    payment = db.session.scalar(select(Payment).where(*open_stripe).execution_options(populate_existing=True))
    return session.url if claimed else (payment.checkout_url if payment is not None else None)


def payment_url(order, now=None):
    """The open session's URL when the order already has one, else None (a session must be created)."""
    if order.state != "pending":
        raise InvalidState(_("Pesanan ini tidak menunggu pembayaran."))
    payment = open_attempt(order)
    if payment is None or payment.method != "stripe" or payment.stripe_session_id is None:
        return None
    if payment.expires_at <= (now or utcnow()):
        raise InvalidState(_("Waktu pembayaran pesanan ini sudah habis."))
    return payment.checkout_url


def stripe_session_of(order):
    """The Checkout Session id of the order's open Stripe attempt, or None."""
    payment = open_attempt(order)
    return payment.stripe_session_id if payment is not None and payment.method == "stripe" else None


def close_session(session_id):
    """Ask Stripe to close a session: 'closed' when it can no longer be paid, 'complete' when the buyer finished."""
    if session_id is None:
        return "closed"
    try:
        gateway.expire_checkout_session(session_id)
        return "closed"
    except stripe.InvalidRequestError:
        status = gateway.retrieve_checkout_session(session_id).status
        return "closed" if status == "expired" else status


def cancel_unpaid(order_id, to_state, session_outcome, now=None, buyer=None):
    """Give the stock back after close_session(): only when Stripe confirmed the session is closed.

    With a buyer, the buyer cancelled; without, the payment window closed."""
    order = db.session.get(Order, order_id, populate_existing=True)
    if session_outcome != "closed" or order is None:
        return False
    return orders.release_order(order, to_state, now, actor=buyer, actor_role="buyer" if buyer else "system")


def owe_refund(payment_intent, order_id, amount, currency, reason):
    """Record that a payment must go back in full; a payment is owed back once however often this is called."""
    if not payment_intent:
        return None
    existing = db.session.scalar(select(PaymentRefund).where(PaymentRefund.payment_intent == payment_intent))
    if existing is not None:
        return existing
    whole = isinstance(amount, int) and not isinstance(amount, bool)    # a JSON true is no amount
    refund = PaymentRefund(payment_intent=payment_intent, order_id=order_id, amount=amount if whole else 0,
                           currency=str(currency or "")[:3], reason=reason[:60])
    try:
        with db.session.begin_nested():
            db.session.add(refund)
    except IntegrityError:  # a concurrent delivery recorded it first
        return db.session.scalar(select(PaymentRefund).where(PaymentRefund.payment_intent == payment_intent))
    received_idr = gateway.rupiah_amount(refund.amount) if refund.currency == gateway.CURRENCY else None
    if received_idr:  # money that arrived for nothing the buyer can get: held, and owed back
        ledger.record_late_payment(f"stripe-{payment_intent}", "held:stripe", received_idr, order_id=order_id)
    return refund


def due_refunds(limit=100):
    """(refund id, payment intent) of refunds not yet made, oldest first."""
    rows = db.session.execute(select(PaymentRefund.id, PaymentRefund.payment_intent)
                              .where(PaymentRefund.stripe_refund_id.is_(None))
                              .order_by(PaymentRefund.id).limit(limit))
    return [tuple(row) for row in rows]


def make_refund(refund_id, payment_intent):
    """Ask Stripe for the refund (keyed by payment intent, so a retry cannot refund twice) and record the answer."""
    try:
        made = gateway.refund_payment(payment_intent, f"pasardesa-refund-{payment_intent}")
        stripe_id, error = made.id, ""
    except stripe.InvalidRequestError as failure:
        already = getattr(failure, "code", None) == "charge_already_refunded"
        stripe_id, error = ("already-refunded" if already else None), str(failure)[:500]
    except stripe.StripeError as failure:
        current_app.logger.warning("refund of %s failed, will retry: %s", payment_intent, failure)
        stripe_id, error = None, str(failure)[:500]
    refund = db.session.get(PaymentRefund, refund_id)
    if stripe_id and refund.stripe_refund_id is None:
        refund.stripe_refund_id, refund.refunded_at = stripe_id, utcnow()
        db.session.execute(update(Payment).where(Payment.stripe_payment_intent == payment_intent,
                                                 Payment.state == "refund_owed")
                           .values(state="refunded", closed_at=refund.refunded_at),
                           execution_options={"synchronize_session": False})
        received_idr = gateway.rupiah_amount(refund.amount) if refund.currency == gateway.CURRENCY else None
        if received_idr:
            ledger.record_refund_paid(f"stripe-{payment_intent}", "held:stripe", received_idr, order_id=refund.order_id)
    refund.last_error = error
    db.session.flush()
    return refund.stripe_refund_id is not None


def shop_refund_due(part):
    """(shop order id, payment intent, amount) of the refund a cancelled part still owes, or None.

    Taken before the caller commits, so that make_shop_refund() talks to Stripe holding no database lock."""
    if not part.refund_due:
        return None
    payment = paid_attempt(part.order)
    if payment is not None and payment.method in TRANSFER_METHODS:  # given back by transfer: payments.refunds
        return None
    return part.id, payment.stripe_payment_intent if payment is not None else None, part.refund_amount_idr


def due_shop_refunds(limit=100):
    """The shop-order refunds not made yet (after a failure), oldest first, as shop_refund_due() gives them."""
    paid = (Payment.order_id == ShopOrder.order_id) & (Payment.state == "paid")
    rows = db.session.execute(select(ShopOrder.id, Payment.stripe_payment_intent, ShopOrder.refund_amount_idr)
                              .outerjoin(Payment, paid)
                              .where(ShopOrder.refund_amount_idr > 0, ShopOrder.stripe_refund_id.is_(None),
                                     Payment.method.is_(None) | Payment.method.not_in(TRANSFER_METHODS))
                              .order_by(ShopOrder.cancelled_at, ShopOrder.id).limit(limit))
    return [tuple(row) for row in rows]


def make_shop_refund(shop_order_id, payment_intent, amount_idr):
    """Give a cancelled shop order's part back: a partial refund keyed by the shop order, so however often this
    runs (a retry, cron) Stripe makes one refund. Call it after committing; True once the refund is made."""
    try:
        made = gateway.refund_payment(payment_intent, f"pasardesa-refund-shop-order-{shop_order_id}", amount_idr,
                                      {"shop_order_id": str(shop_order_id)})
        stripe_id, error = made.id, ""
    except stripe.StripeError as failure:
        current_app.logger.warning("refund of shop order %s failed, will retry: %s", shop_order_id, failure)
        stripe_id, error = None, str(failure)[:500]
    part = db.session.get(ShopOrder, shop_order_id, populate_existing=True)
    if stripe_id and part.stripe_refund_id is None:
        part.stripe_refund_id, part.refunded_at = stripe_id, utcnow()
        ledger.record_refund_paid(f"shop-order-{shop_order_id}", "held:stripe", part.refund_amount_idr,
                                  order_id=part.order_id)
    part.refund_error = error
    db.session.flush()
    return part.stripe_refund_id is not None
