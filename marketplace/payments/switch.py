"""Switching the way an unpaid order is paid: the open attempt is closed first, then one by the new method opens,
in one transaction. Money that arrives later for the closed attempt is owed back (settle's 'superseded'), never
used to pay the order: the buyer was shown another amount, or another way, to pay it."""
from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select

from ..errors import InvalidInput, InvalidState
from ..extensions import db
from ..models_base import utcnow
from . import emails, transfer
from .models import TRANSFER_METHODS, Payment
from .settle import close_attempt, lock_order, open_attempt, start_attempt

# Cash at pickup is agreed with the shop at checkout, not switched to afterwards.
SWITCHABLE = ("bank_transfer", "qris", "stripe")
# Every switch gives a transfer a new deadline: a bound keeps a buyer from holding goods for ever.
MAX_ATTEMPTS = 6
# A card attempt's window until Stripe's session sets its own (payments.service.checkout_request).
CARD_WINDOW = timedelta(minutes=31)


def switchable_methods(order):
    """The methods the buyer may switch this order to now (not the one it is being paid by)."""
    current = open_attempt(order)
    return [method for method in SWITCHABLE if transfer.method_enabled(method)
            and (current is None or current.method != method)]


def switch_method(order, method, card_session="closed", now=None):
    """Close the order's open attempt and open one by `method`; returns the new attempt.

    card_session is what Stripe said when asked to close the open card attempt's session (payments.service.
    close_session, called before this transaction): a session the buyer completed is not switched away from."""
    now = now or utcnow()
    if method not in SWITCHABLE or not transfer.method_enabled(method):
        raise InvalidInput(_("Pilih cara pembayaran dari daftar."), field="method")
    lock_order(order.id)
    db.session.refresh(order)
    if order.state != "pending":
        raise InvalidState(_("Pesanan ini tidak menunggu pembayaran."))
    current = open_attempt(order)
    if current is not None and current.method == method:
        return current
    if db.session.scalar(select(func.count()).select_from(Payment).where(Payment.order_id == order.id)) \
            >= MAX_ATTEMPTS:
        raise InvalidState(_("Cara pembayaran pesanan ini sudah terlalu sering diganti."))
    if current is not None:
        if current.method == "stripe" and card_session != "closed":
            raise InvalidState(_("Pembayaran kartu Anda sedang diproses; tunggu konfirmasinya."))
        if not close_attempt(current, "failed", now):
            raise InvalidState(_("Pembayaran ini baru saja diterima atau ditutup; muat ulang halaman."))
    if method in TRANSFER_METHODS:
        payment = transfer.start_transfer(order, method, now=now)
        emails.payment_instructions(payment, transfer.active_accounts())
        return payment
    return start_attempt(order, "stripe", now + CARD_WINDOW, now=now)
