"""Stripe's webhook events: verified on the raw body, each event id acted on once, in one transaction.

An order becomes paid only here, and only when the session's amount and currency equal the order's.
"""
from dataclasses import dataclass, field

import stripe
from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..orders import service as orders
from ..orders.models import Order
from . import gateway
from .gateway import PaymentsUnavailable
from .models import PaymentEvent
from .service import owe_refund

MAX_BODY_BYTES = 1024 * 1024
TOLERANCE_SECONDS = 300


class BadWebhook(Exception):
    """Not a genuine, fresh Stripe event: answered with 400 and nothing written."""


@dataclass
class Outcome:
    """What an event did: a short name, the order it touched, the refunds now owed as (id, payment intent)."""

    name: str
    order_id: int | None = None
    refunds: list = field(default_factory=list)


def webhook_secret():
    """The signing secret; production has no default (development's is made per instance, see config)."""
    secret = current_app.config.get("STRIPE_WEBHOOK_SECRET") or ""
    if not secret:
        raise PaymentsUnavailable("STRIPE_WEBHOOK_SECRET must be set to the endpoint's secret in production.")
    return secret


def verify(payload, signature):
    """The event as a dict when the signature over the raw body is valid and fresh, else BadWebhook."""
    if len(payload) > MAX_BODY_BYTES:
        raise BadWebhook("body over 1 MiB")
    try:
        event = stripe.Webhook.construct_event(payload, signature, webhook_secret(), tolerance=TOLERANCE_SECONDS)
        data = event.to_dict()
    except (stripe.SignatureVerificationError, ValueError, TypeError, AttributeError, KeyError) as error:
        raise BadWebhook(str(error)[:200]) from error
    if not isinstance(data.get("id"), str) or not isinstance(data.get("type"), str):
        raise BadWebhook("not an event")
    return data


def handle(payload, signature):
    """Verify and act on one delivery; the caller commits, then makes the refunds the outcome lists."""
    event = verify(payload, signature)
    if current_app.config.get("PRODUCTION") and bool(event.get("livemode")) != gateway.expected_livemode():
        current_app.logger.warning("Stripe event %s ignored: livemode=%s does not match the configured key",
                                   event["id"], event.get("livemode"))
        return Outcome("ignored_livemode")
    record = _record(event)
    if record is None:
        return Outcome("duplicate")
    handler = HANDLERS.get(event["type"])
    session = (event.get("data") or {}).get("object")
    if handler is None or not isinstance(session, dict) or not isinstance(session.get("id"), str):
        outcome = Outcome("ignored")
    else:
        outcome = handler(session)
    record.outcome, record.order_id = outcome.name, outcome.order_id
    db.session.flush()
    return outcome


def _record(event):
    """Insert the event id first; a second delivery, even a concurrent one, finds it taken and does nothing."""
    record = PaymentEvent(stripe_event_id=event["id"][:255], type=event["type"][:100])
    try:
        with db.session.begin_nested():
            db.session.add(record)
    except IntegrityError:
        return None
    return record


def _orders_for(session):
    """(the order this session pays, the order stored with this session id): the first is None unless the
    session id, metadata and client_reference_id all name the same order."""
    stored = db.session.scalar(select(Order).where(Order.stripe_session_id == session["id"]))
    metadata = session.get("metadata") if isinstance(session.get("metadata"), dict) else {}
    if stored is None or metadata.get("order_id") != str(stored.id) or \
            session.get("client_reference_id") != str(stored.id):
        return None, stored
    return stored, stored


def _refund(order, session, reason):
    refund = owe_refund(session.get("payment_intent"), order.id if order else None, session.get("amount_total"),
                        session.get("currency"), reason)
    return [(refund.id, refund.payment_intent)] if refund is not None and refund.stripe_refund_id is None else []


def _paid(session):
    order, stored = _orders_for(session)
    if order is None:
        current_app.logger.warning("payment for unknown session %s refunded", session["id"])
        if stored is not None and stored.state == "paid" and stored.stripe_payment_intent == session.get(
                "payment_intent"):
            orders.flag_order(stored, "Peristiwa pembayaran dengan data pesanan yang tidak cocok.")
            return Outcome("unmatched", stored.id)
        if stored is not None:
            orders.flag_order(stored, "Pembayaran dengan data pesanan yang tidak cocok; dana dikembalikan.")
            orders.release_order(stored, "cancelled", actor_role="payment")
        return Outcome("unmatched", stored.id if stored else None, _refund(stored, session, "unmatched"))
    amount_ok = session.get("amount_total") == gateway.stripe_amount(order.total_idr)
    if not amount_ok or session.get("currency") != gateway.CURRENCY:
        orders.flag_order(order, f"Jumlah/mata uang pembayaran tidak cocok: {session.get('amount_total')!r} "
                                 f"{session.get('currency')!r}, pesanan {gateway.stripe_amount(order.total_idr)} idr.")
        if order.state == "paid" and order.stripe_payment_intent == session.get("payment_intent"):
            return Outcome("mismatch", order.id)
        orders.release_order(order, "cancelled", actor_role="payment")
        return Outcome("mismatch", order.id, _refund(order, session, "amount_mismatch"))
    result = orders.settle_order(order, session.get("payment_intent"))
    if result == "released":
        orders.flag_order(order, "Pembayaran datang setelah stok dilepas dan terjual lagi; dana dikembalikan.")
        return Outcome("refunded_late", order.id, _refund(order, session, "stock_released"))
    return Outcome(result, order.id)


def _completed(session):
    if session.get("payment_status") == "paid":
        return _paid(session)
    order, _stored = _orders_for(session)
    if order is None or session.get("payment_status") != "unpaid":
        return Outcome("ignored", order.id if order else None)
    return Outcome("processing" if orders.mark_processing(order) else "unchanged", order.id)


def _released(to_state):
    def release(session):
        order, _stored = _orders_for(session)
        if order is None:
            current_app.logger.info("Stripe session %s does not belong to an order; %s ignored", session["id"],
                                    to_state)
            return Outcome("unmatched")
        return Outcome(to_state if orders.release_order(order, to_state, actor_role="payment") else "unchanged", order.id)

    return release


HANDLERS = {
    "checkout.session.completed": _completed,
    "checkout.session.async_payment_succeeded": _paid,
    "checkout.session.async_payment_failed": _released("cancelled"),
    "checkout.session.expired": _released("expired"),
}
