"""Stripe's webhook events: verified on the raw body, each event id acted on once, in one transaction.

An order becomes paid only through settle(), and only when the session's amount and currency equal the amount
its payment attempt asked.
"""
from dataclasses import dataclass, field

import stripe
from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..orders import service as orders
from . import gateway
from .gateway import PaymentsUnavailable
from .models import Payment, PaymentEvent
from .service import owe_refund
from .settle import REFUND_OUTCOMES, lock_order, settle

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
    """(the attempt this session pays, the attempt stored with this session id): the first is None unless the
    session id, metadata and client_reference_id all name the same order."""
    stored = db.session.scalar(select(Payment).where(Payment.stripe_session_id == session["id"]))
    metadata = session.get("metadata") if isinstance(session.get("metadata"), dict) else {}
    if stored is None or metadata.get("order_id") != str(stored.order_id) or \
            session.get("client_reference_id") != str(stored.order_id):
        return None, stored
    return stored, stored


def _refund(order_id, session, reason):
    refund = owe_refund(session.get("payment_intent"), order_id, session.get("amount_total"),
                        session.get("currency"), reason)
    return [(refund.id, refund.payment_intent)] if refund is not None and refund.stripe_refund_id is None else []


def _paid(session):
    payment, stored = _orders_for(session)
    if payment is None:
        current_app.logger.warning("payment for unknown session %s refunded", session["id"])
        order = stored.order if stored is not None else None
        if order is not None and stored.state == "paid" and stored.stripe_payment_intent == session.get(
                "payment_intent"):
            orders.flag_order(order, "Peristiwa pembayaran dengan data pesanan yang tidak cocok.")
            return Outcome("unmatched", order.id)
        if order is not None:
            orders.flag_order(order, "Pembayaran dengan data pesanan yang tidak cocok; dana dikembalikan.")
            orders.release_order(order, "cancelled", actor_role="payment")
        return Outcome("unmatched", order.id if order else None,
                       _refund(order.id if order else None, session, "unmatched"))
    lock_order(payment.order_id)
    if payment.stripe_payment_intent is None and isinstance(session.get("payment_intent"), str):
        payment.stripe_payment_intent = session["payment_intent"][:255]
    result = settle(payment, _rupiah(session), session.get("payment_intent") or "")
    if result in REFUND_OUTCOMES:
        reason = {"mismatch": "amount_mismatch", "refunded_late": "stock_released"}.get(result, result)
        return Outcome(result, payment.order_id, _refund(payment.order_id, session, reason))
    if result == "already_handled" and payment.state == "refund_owed":
        return Outcome(result, payment.order_id, _refund(payment.order_id, session, "duplicate"))
    return Outcome("already_paid" if result == "already_handled" else result, payment.order_id)


def _rupiah(session):
    """The session's amount in whole rupiah, or None when it is not an amount in rupiah we could have asked."""
    amount = session.get("amount_total")
    if session.get("currency") != gateway.CURRENCY or isinstance(amount, bool) or not isinstance(amount, int):
        return None
    return gateway.rupiah_amount(amount)


def _completed(session):
    if session.get("payment_status") == "paid":
        return _paid(session)
    payment, _stored = _orders_for(session)
    if payment is None or session.get("payment_status") != "unpaid":
        return Outcome("ignored", payment.order_id if payment else None)
    if payment.state != "pending":
        return Outcome("unchanged", payment.order_id)
    return Outcome("processing" if orders.mark_processing(payment.order) else "unchanged", payment.order_id)


def _released(to_state):
    def release(session):
        payment, _stored = _orders_for(session)
        if payment is None:
            current_app.logger.info("Stripe session %s does not belong to an order; %s ignored", session["id"],
                                    to_state)
            return Outcome("unmatched")
        if payment.state != "pending":  # a replaced attempt's session closing leaves the order alone
            return Outcome("unchanged", payment.order_id)
        released = orders.release_order(payment.order, to_state, actor_role="payment")
        return Outcome(to_state if released else "unchanged", payment.order_id)

    return release


HANDLERS = {
    "checkout.session.completed": _completed,
    "checkout.session.async_payment_succeeded": _paid,
    "checkout.session.async_payment_failed": _released("cancelled"),
    "checkout.session.expired": _released("expired"),
}
