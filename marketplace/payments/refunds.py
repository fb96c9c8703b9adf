"""Money owed back to bank transfer and QRIS buyers, and the transfers admins make back.

A transfer or QRIS buyer is owed money for two causes: an attempt whose money could not be kept (paid late, paid
twice, the wrong amount, or for a method the buyer replaced: settle() left it refund_owed, cause 'payment-<id>')
and a paid shop part that was cancelled (cause 'shop-order-<id>'). The buyer gives a bank account on the order's
page; an admin transfers the money and records it here, once per cause (a unique row, so two clicks at once record
it once), with the ledger's refund_paid entry (refunds_owed -> the account the money was held in).
"""
import re
from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import gettext as _
from sqlalchemy import String, and_, cast, exists, literal, select
from sqlalchemy.exc import IntegrityError

from ..errors import InvalidInput, InvalidState
from ..extensions import db
from ..ledger import rules as ledger
from ..ledger.models import JournalEntry
from ..ledger.payouts import BankAccountDetails, clean_details
from ..models_base import utcnow
from ..orders.models import Order, ShopOrder
from . import emails
from .models import TRANSFER_METHODS, Payment
from .models_refunds import BuyerRefund, RefundAccount
from .settle import held_account, lock_order, mark_refunded

CAUSE = re.compile(r"(payment|shop-order)-([1-9][0-9]{0,9})")
OLDEST_TRANSFER = timedelta(days=366)


@dataclass(frozen=True)
class Owed:
    """One sum owed back to a transfer or QRIS buyer, and the transfer that returned it once made."""

    cause: str
    order: Order
    amount_idr: int
    held: str
    part: ShopOrder | None
    refund: BuyerRefund | None

    @property
    def is_paid(self):
        """True once an admin recorded the transfer back."""
        return self.refund is not None


def _paid_transfer():
    """The join condition of a shop part with its order's paid transfer or QRIS attempt."""
    return and_(Payment.order_id == ShopOrder.order_id, Payment.state == "paid", Payment.method.in_(TRANSFER_METHODS))


def _owed(order_ids=None, unpaid_only=False, limit=500):
    """Every Owed, oldest first, for some orders or all."""
    refunds = {}
    states = ("refund_owed",) if unpaid_only else ("refund_owed", "refunded")
    payments = select(Payment).where(Payment.method.in_(TRANSFER_METHODS), Payment.received_idr > 0,
                                     Payment.state.in_(states))
    parts = select(ShopOrder, Payment).join(Payment, _paid_transfer()).where(ShopOrder.refund_amount_idr > 0)
    if unpaid_only:
        parts = parts.where(ShopOrder.stripe_refund_id.is_(None))
    if order_ids is not None:
        payments = payments.where(Payment.order_id.in_(order_ids))
        parts = parts.where(ShopOrder.order_id.in_(order_ids))
    found = [Owed(f"payment-{payment.id}", payment.order, payment.received_idr, held_account(payment), None, None)
             for payment in db.session.scalars(payments.order_by(Payment.id).limit(limit))]
    found += [Owed(f"shop-order-{part.id}", part.order, part.refund_amount_idr, held_account(payment), part, None)
              for part, payment in db.session.execute(parts.order_by(ShopOrder.cancelled_at, ShopOrder.id)
                                                      .limit(limit))]
    if found:
        refunds = {refund.cause: refund for refund in db.session.scalars(
            select(BuyerRefund).where(BuyerRefund.cause.in_([owed.cause for owed in found])))}
    found = [Owed(owed.cause, owed.order, owed.amount_idr, owed.held, owed.part, refunds.get(owed.cause))
             for owed in found]
    return [owed for owed in found if not (unpaid_only and owed.is_paid)]


def owed_on(order):
    """What the order's buyer is owed back or was paid back, by transfer."""
    return _owed([order.id])


def open_refunds(limit=500):
    """Refunds owed and not yet made, for the admins' page."""
    return _owed(unpaid_only=True, limit=limit)


def refund_account(order):
    """The account the buyer gave for this order's refunds, or None."""
    return db.session.scalar(select(RefundAccount).where(RefundAccount.order_id == order.id))


def accounts_of(orders):
    """{order id: RefundAccount} for these orders."""
    ids = [order.id for order in orders]
    return {account.order_id: account for account in db.session.scalars(
        select(RefundAccount).where(RefundAccount.order_id.in_(ids)))} if ids else {}


def set_refund_account(order, bank_code, account_number, holder_name, now=None):
    """The buyer's bank account for what the order still owes them (InvalidInput names a bad field)."""
    if not any(not owed.is_paid for owed in owed_on(order)):
        raise InvalidState(_("Tidak ada dana yang perlu dikembalikan untuk pesanan ini."))
    details = clean_details(BankAccountDetails(str(bank_code or "")[:10], str(account_number or "")[:60],
                                               str(holder_name or "")[:200]))
    values = dict(bank_code=details.bank_code, account_number=details.account_number,
                  holder_name=details.holder_name, updated_at=now or utcnow())
    account = refund_account(order)
    if account is None:
        try:
            with db.session.begin_nested():
                account = RefundAccount(order_id=order.id, **values)
                db.session.add(account)
            return account
        except IntegrityError:  # the buyer's other tab saved one first: this one replaces it
            account = refund_account(order)
    for name, value in values.items():
        setattr(account, name, value)
    db.session.flush()
    return account


def parse_cause(cause):
    """('payment' | 'shop-order', id) of a cause, or InvalidInput."""
    match = CAUSE.fullmatch(str(cause or ""))
    if match is None:
        raise InvalidInput(_("Pengembalian dana tidak ditemukan."))
    return match.group(1), int(match.group(2))


def record_refund(cause, admin, bank_reference, transferred_on, now=None):
    """An admin transferred what a cause owed to the buyer's account: recorded once, with its ledger entry and the
    buyer's email; InvalidState when it was recorded already (by another click) or nothing is owed."""
    now = now or utcnow()
    reference = " ".join(str(bank_reference or "").split())
    if not 3 <= len(reference) <= 100:
        raise InvalidInput(_("Tuliskan referensi bank (3 sampai 100 huruf)."), field="bank_reference")
    if not isinstance(transferred_on, date) or not now.date() - OLDEST_TRANSFER <= transferred_on <= \
            now.date() + timedelta(days=1):  # a day ahead: WITA is ahead of UTC
        raise InvalidInput(_("Tanggal transfer tidak masuk akal."), field="transferred_on")
    kind, ident = parse_cause(cause)
    order_id = _order_of(kind, ident)
    lock_order(order_id)
    owed = next((each for each in _owed([order_id]) if each.cause == cause), None)
    if owed is None:
        raise InvalidState(_("Pengembalian dana tidak ditemukan."))
    if owed.is_paid:
        raise InvalidState(_("Pengembalian dana ini sudah dicatat."))
    account = refund_account(owed.order)
    if account is None:
        raise InvalidState(_("Pembeli belum menuliskan rekening tujuan pengembalian."))
    refund = BuyerRefund(cause=cause, order_id=order_id, amount_idr=owed.amount_idr, held=owed.held,
                         bank_code=account.bank_code, account_number=account.account_number,
                         holder_name=account.holder_name, bank_reference=reference, transferred_on=transferred_on,
                         recorded_by_id=admin.id if admin is not None else None, created_at=now)
    try:
        with db.session.begin_nested():
            db.session.add(refund)
    except IntegrityError:  # another admin's click recorded it first
        raise InvalidState(_("Pengembalian dana ini sudah dicatat.")) from None
    if kind == "payment":
        mark_refunded(db.session.get(Payment, ident), now)
    else:
        owed.part.stripe_refund_id, owed.part.refunded_at = f"transfer-{refund.id}", now
        ledger.record_refund_paid(cause, owed.held, owed.amount_idr, order_id=order_id)
    db.session.flush()
    emails.refund_paid(refund)
    return refund


def _order_of(kind, ident):
    model, column = (Payment, Payment.order_id) if kind == "payment" else (ShopOrder, ShopOrder.order_id)
    order_id = db.session.scalar(select(column).where(model.id == ident))
    if order_id is None:
        raise InvalidState(_("Pengembalian dana tidak ditemukan."))
    return order_id


def problems(_sender=None):
    """Where transfer refunds and the ledger disagree: money owed back without its late_payment entry, a refund
    made without its refund_paid entry (of the same amount, from the same account), or such an entry for a
    transfer refund never recorded."""
    found = []
    late = and_(JournalEntry.kind == "late_payment",
                JournalEntry.reference == literal("payment-") + cast(Payment.id, String))
    for payment_id in db.session.scalars(select(Payment.id).where(
            Payment.method.in_(TRANSFER_METHODS), Payment.state.in_(("refund_owed", "refunded")),
            Payment.received_idr > 0, ~exists().where(late))):
        found.append(f"payment {payment_id}: owed back, but no late_payment entry")
    for payment_id in db.session.scalars(select(Payment.id).where(
            Payment.method.in_(TRANSFER_METHODS), Payment.state == "refunded", Payment.received_idr > 0,
            ~exists().where(BuyerRefund.cause == literal("payment-") + cast(Payment.id, String)))):
        found.append(f"payment {payment_id}: refunded, but no transfer back recorded")
    entries = {reference: entry for reference, entry in db.session.execute(
        select(JournalEntry.reference, JournalEntry).where(JournalEntry.kind == "refund_paid"))}
    for refund in db.session.scalars(select(BuyerRefund)):
        entry = entries.get(refund.cause)
        moved = {line.account.code: line.amount_idr for line in entry.lines} if entry is not None else {}
        if moved != {"refunds_owed": refund.amount_idr, refund.held: -refund.amount_idr}:
            found.append(f"refund {refund.cause}: {refund.amount_idr} from {refund.held}, but the ledger has {moved}")
    transfer_parts = select(ShopOrder.id).join(Payment, _paid_transfer()).where(
        ShopOrder.stripe_refund_id.is_not(None), ~ShopOrder.stripe_refund_id.startswith("transfer-"))
    for part_id in db.session.scalars(transfer_parts):
        found.append(f"shop order {part_id}: paid by transfer, but refunded as if by card")
    return found
