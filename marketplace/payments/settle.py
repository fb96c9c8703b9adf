"""Payment attempts and the one way money that arrived settles an order, whatever the method.

Stripe's webhook, a matched bank statement line or QRIS credit, and an admin's confirmation all end in settle():
the same checks (the amount asked, the payment's and the order's state), the same one-time effects (the order
paid once, its emails, its stock kept) and the same late-payment rule (money for an order whose goods went back
and were sold again, or for an attempt the buyer replaced, is owed back and flagged for an admin).
"""
from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from ..errors import InvalidState
from ..extensions import db
from ..ledger import rules as ledger
from ..ledger.service import held_account as held_code
from ..models_base import utcnow
from ..orders import service as orders
from ..orders.models import Order
from . import emails
from .models import CLOSED_STATES, TRANSFER_METHODS, Payment

_NO_SYNC = {"synchronize_session": False}
# Where each method's money is held, for the ledger (a shop collects cash at pickup itself); a transfer or QRIS
# payment that names the receiving account it arrived in is held in that account's held:bank-<id> instead.
HELD_ACCOUNTS = {"stripe": "held:stripe", "bank_transfer": "held:bank", "qris": "held:qris"}
# What settle() answers when the money is owed back rather than kept.
REFUND_OUTCOMES = ("mismatch", "paid_twice", "refunded_late", "superseded")


def open_attempt(order):
    """The order's open (pending) payment attempt, or None."""
    return db.session.scalar(select(Payment).where(Payment.order_id == order.id, Payment.state == "pending")
                             .execution_options(populate_existing=True))


def latest_attempt(order):
    """The order's newest payment attempt in any state, or None before the first."""
    return db.session.scalar(select(Payment).where(Payment.order_id == order.id).order_by(Payment.id.desc())
                             .limit(1).execution_options(populate_existing=True))


def paid_attempt(order):
    """The attempt that paid the order, or None."""
    return db.session.scalar(select(Payment).where(Payment.order_id == order.id, Payment.state == "paid"))


def start_attempt(order, method, expires_at, unique_code_idr=0, now=None, new_order=False):
    """The order's open attempt by this method, opened now when there is none (an order has one open at most);
    None when unique_code_idr made an amount another open transfer asks.

    new_order: the order was placed in this transaction, so it has no attempt and no other transaction can open
    one: the attempt is inserted without looking for one first or a savepoint (transfers, whose amount may
    collide with another order's, never pass it)."""
    if order.state != "pending":
        raise InvalidState(_("Pesanan ini tidak menunggu pembayaran."))
    payment = Payment(order_id=order.id, method=method, state="pending", expires_at=expires_at,
                      amount_idr=order.total_idr + unique_code_idr, unique_code_idr=unique_code_idr,
                      created_at=now or utcnow())
    if new_order and not unique_code_idr:
        db.session.add(payment)
        return payment
    existing = open_attempt(order)
    if existing is None:
        existing = _insert(order, payment)
        if existing is None:  # another open transfer took that amount meanwhile: the caller tries another code
            return None
    if existing.method != method:
        raise InvalidState(_("Pesanan ini sedang dibayar dengan cara lain."))
    return existing


def _insert(order, payment):
    """Add the attempt, or the one a concurrent request opened for the order first."""
    try:
        with db.session.begin_nested():
            db.session.add(payment)
    except IntegrityError:
        return open_attempt(order)
    return payment


def close_attempt(payment, to_state="failed", now=None):
    """Close an open attempt (the buyer switched method, or its time ran out); only the first caller wins."""
    closed = db.session.execute(update(Payment).where(Payment.id == payment.id, Payment.state == "pending")
                                .values(state=to_state, closed_at=now or utcnow()),
                                execution_options=_NO_SYNC).rowcount == 1
    db.session.refresh(payment)
    return closed


def close_attempts_of(order_id, to_state, now=None):
    """Close whatever attempt of the order is still open (its order was released)."""
    db.session.execute(update(Payment).where(Payment.order_id == order_id, Payment.state == "pending")
                       .values(state=to_state, closed_at=now or utcnow()), execution_options=_NO_SYNC)


def _on_order_released(order, to_state, now, **_extra):
    close_attempts_of(order.id, "expired" if to_state == "expired" else "failed", now)


def connect_signals():
    """Close an order's open attempt whenever the order is released, whoever released it."""
    orders.order_released.connect(_on_order_released)


def lock_order(order_id):
    """Take the order's row lock (PostgreSQL) before touching its attempts: releasing an order locks the order and
    then its attempts, so everything that writes both goes in that order and cannot deadlock with it."""
    db.session.execute(select(Order.id).where(Order.id == order_id).with_for_update())


def _arrived_in(account_id):
    """The values that record which receiving account the money arrived in (none when not known)."""
    return {} if account_id is None else {"receiving_account_id": account_id}


def settle(payment, amount_idr, reference="", now=None, account_id=None):
    """Money arrived for this attempt (in receiving account `account_id`, for a transfer or QRIS): the outcome is
    'paid', 'already_handled', or one of REFUND_OUTCOMES (the money is owed back: the payment is refund_owed and
    the order flagged). Acts once per attempt."""
    now = now or utcnow()
    lock_order(payment.order_id)
    before = db.session.scalar(select(Payment.state).where(Payment.id == payment.id))
    claimed = db.session.execute(update(Payment).where(Payment.id == payment.id, Payment.state.in_(
        ("pending", *CLOSED_STATES))).values(state="paid", paid_at=now, received_idr=amount_idr,
                                             **_arrived_in(account_id)),
        execution_options=_NO_SYNC).rowcount == 1
    db.session.refresh(payment)
    if not claimed:
        return "already_handled"
    order = payment.order
    db.session.refresh(order)
    if amount_idr != payment.amount_idr:
        orders.flag_order(order, f"Jumlah pembayaran tidak cocok: {amount_idr!r}, diminta {payment.amount_idr}.")
        if order.state != "paid":
            orders.release_order(order, "cancelled", now, actor_role="payment")
        return _owe_back(payment, "mismatch")
    if before in CLOSED_STATES and latest_attempt(order).id != payment.id:
        orders.flag_order(order, "Pembayaran untuk cara bayar yang sudah diganti; dana dikembalikan.")
        return _owe_back(payment, "superseded")
    result = orders.settle_order(order, reference, now, held=held_account(payment),
                                 unique_code_idr=payment.unique_code_idr)
    if result == "already_paid":
        orders.flag_order(order, "Pesanan dibayar dua kali; pembayaran kedua dikembalikan.")
        return _owe_back(payment, "paid_twice")
    if result == "released":
        orders.flag_order(order, "Pembayaran datang setelah stok dilepas dan terjual lagi; dana dikembalikan.")
        return _owe_back(payment, "refunded_late")
    close_attempts_of(order.id, "failed", now)  # an attempt opened after this one can no longer be paid
    return "paid"


def held_account(payment):
    """The ledger account the attempt's money arrives in: its receiving account's when it names one."""
    return held_account_of(payment.method, payment.receiving_account_id)


def held_account_of(method, receiving_account_id=None):
    """The held account of a method's money that arrived in a receiving account (or an unknown one: None)."""
    if method in TRANSFER_METHODS and receiving_account_id is not None:
        return held_code(f"bank-{receiving_account_id}")
    return HELD_ACCOUNTS.get(method, f"held:{method}")


def _owe_back(payment, outcome):
    payment.state = "refund_owed"
    db.session.flush()
    # The money is held and owed back. Stripe's is booked when its refund is owed (payments.service.owe_refund,
    # once per payment intent), since an unmatched Stripe payment has no attempt to name.
    if payment.method != "stripe" and isinstance(payment.received_idr, int) and payment.received_idr > 0:
        ledger.record_late_payment(f"payment-{payment.id}", held_account(payment), payment.received_idr,
                                   order_id=payment.order_id)
        if payment.method in TRANSFER_METHODS:  # the buyer gives an account to receive it on the order's page
            emails.refund_owed(payment.order, f"payment-{payment.id}", payment.received_idr)
    return outcome


def owe_back_closed(payment, amount_idr, now=None, account_id=None):
    """Money arrived for an attempt closed before it came: owed back and flagged, whatever its order became
    ('superseded' when the buyer had switched method, 'refunded_late' when its time ran out); None when the
    attempt was no longer closed (handled meanwhile)."""
    lock_order(payment.order_id)
    claimed = db.session.execute(update(Payment).where(Payment.id == payment.id, Payment.state.in_(CLOSED_STATES))
                                 .values(state="refund_owed", received_idr=amount_idr, closed_at=now or utcnow(),
                                         **_arrived_in(account_id)),
                                 execution_options=_NO_SYNC).rowcount == 1
    db.session.refresh(payment)
    if not claimed:
        return None
    if latest_attempt(payment.order).id != payment.id:
        orders.flag_order(payment.order, "Pembayaran untuk cara bayar yang sudah diganti; dana dikembalikan.")
        return _owe_back(payment, "superseded")
    orders.flag_order(payment.order, "Transfer masuk setelah waktu bayar habis; dana harus dikembalikan.")
    return _owe_back(payment, "refunded_late")


def mark_refunded(payment, now=None):
    """The money owed back for this attempt has been returned."""
    if payment.state == "refund_owed":
        payment.state, payment.closed_at = "refunded", now or utcnow()
        db.session.flush()
        if payment.method != "stripe" and isinstance(payment.received_idr, int) and payment.received_idr > 0:
            ledger.record_refund_paid(f"payment-{payment.id}", held_account(payment), payment.received_idr,
                                      order_id=payment.order_id)
