"""The emails of paying by bank transfer or QRIS, through the notifications outbox in the buyer's language: the
instructions when an attempt opens, a reminder before its deadline, and the refunds owed and made.

Each is keyed by what it tells about (the attempt, the refund), so a retry, a double click or a second cron run
writes it once. A card payment has Stripe's own page and receipt, and every method's confirmation is the order's
"paid" email (written by the one settle service)."""
from datetime import timedelta

from sqlalchemy import select

from ..extensions import db
from ..links import site_url_for
from ..models_base import utcnow
from ..notifications import service as notify
from .models import TRANSFER_METHODS, Payment


def _order_url(order):
    return site_url_for("orders.order_page", code=order.code)


def payment_instructions(payment, accounts):
    """Tell the buyer how much to transfer (to one of the receiving accounts) or pay by QRIS, and by when; once
    per attempt."""
    if payment.method not in TRANSFER_METHODS:
        return
    order = payment.order
    notify.write(f"pay_instructions:{payment.id}", "buyer_payment_instructions", order.buyer, order=order,
                 payment=payment, part=None, accounts=accounts, order_url=_order_url(order))


def due_reminders(hours, now=None, limit=500):
    """Open transfer and QRIS attempts whose deadline falls within `hours` from now, oldest deadline first."""
    now = now or utcnow()
    return db.session.scalars(select(Payment).where(
        Payment.state == "pending", Payment.method.in_(TRANSFER_METHODS), Payment.expires_at > now,
        Payment.expires_at <= now + timedelta(hours=hours)).order_by(Payment.expires_at, Payment.id)
        .limit(limit)).all()


def payment_reminder(payment, accounts):
    """Remind the buyer that the transfer is still awaited before its deadline; once per attempt."""
    order = payment.order
    notify.write(f"pay_reminder:{payment.id}", "buyer_payment_reminder", order.buyer, order=order, payment=payment,
                 accounts=accounts, order_url=_order_url(order))


def refund_owed(order, cause, amount_idr):
    """Tell the buyer money is owed back to them and that the order page asks for their bank account."""
    notify.write(f"refund_owed:{cause}", "buyer_refund_owed", order.buyer, order=order, amount_idr=amount_idr,
                 order_url=_order_url(order))


def refund_paid(refund):
    """Tell the buyer the money owed went back, to which account, with the bank's reference."""
    order = refund.order
    notify.write(f"refund_paid:{refund.cause}", "buyer_refund_paid", order.buyer, order=order, refund=refund,
                 order_url=_order_url(order))
