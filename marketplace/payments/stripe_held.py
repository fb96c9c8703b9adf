"""The money held at Stripe: the ledger's `held:stripe` against what the database says Stripe took and gave back.

payments.reconcile does this for every bank and QRIS account and leaves Stripe's out; this closes the gap, so that
`flask ledger check` compares every receiving account. The balance of held:stripe must be

      the received_idr of every Stripe attempt in state paid (its order's payment entry)
    + every payment owed back in full (payment_refund, in rupiah: a late, mismatched or doubled payment)
    - those of them Stripe refunded (stripe_refund_id set)
    - every cancelled shop part refunded through Stripe (shop_order.stripe_refund_id set, not a transfer back;
      one whose refund has no entry at all is left to orders.earnings, which says so)
    - every payout paid from a batch whose source is held:stripe

Connected to the ledger's `checking_stripe` signal in create_app: `flask ledger check` always runs it; tests that
book Stripe money straight through the ledger, with no Stripe payment behind it, leave it out.
"""
from sqlalchemy import String, cast, exists, func, literal, select

from ..extensions import db
from ..ledger.models import JournalEntry
from ..ledger.models_payouts import Payout, PayoutBatch
from ..ledger.service import balance
from ..orders.models import ShopOrder
from .models import Payment, PaymentRefund

STRIPE = "held:stripe"
# Stripe's units per rupiah (IDR is a two-decimal currency at Stripe; payments.gateway.stripe_amount).
UNITS_PER_RUPIAH = 100


def expected():
    """What held:stripe should hold, from the payments, refunds and payouts rows."""
    paid = db.session.scalar(select(func.coalesce(func.sum(Payment.received_idr), 0))
                             .where(Payment.method == "stripe", Payment.state == "paid"))
    whole = (PaymentRefund.currency == "idr") & (PaymentRefund.amount > 0) & \
        (PaymentRefund.amount % UNITS_PER_RUPIAH == 0)
    owed = db.session.scalar(select(func.coalesce(func.sum(PaymentRefund.amount), 0)).where(whole))
    refunded = db.session.scalar(select(func.coalesce(func.sum(PaymentRefund.amount), 0))
                                 .where(whole, PaymentRefund.stripe_refund_id.is_not(None)))
    # A refund the ledger never heard of is orders.earnings' sentence; counted here too, it would be said twice.
    booked = exists().where(JournalEntry.kind == "refund_paid",
                            JournalEntry.reference == literal("shop-order-", String) + cast(ShopOrder.id, String))
    parts = db.session.scalar(select(func.coalesce(func.sum(ShopOrder.refund_amount_idr), 0))
                              .where(ShopOrder.stripe_refund_id.is_not(None),
                                     ~ShopOrder.stripe_refund_id.startswith("transfer-"), booked))
    payouts = db.session.scalar(select(func.coalesce(func.sum(Payout.amount_idr), 0))
                                .join(PayoutBatch, PayoutBatch.id == Payout.batch_id)
                                .where(PayoutBatch.source == STRIPE, Payout.state == "paid"))
    return int(paid) + (int(owed) - int(refunded)) // UNITS_PER_RUPIAH - int(parts) - int(payouts)


def problems(_sender=None):
    """One sentence when the ledger's Stripe balance is not what the payments and refunds say; else none."""
    held, said = balance(STRIPE), expected()
    if held == said:
        return []
    return [f"{STRIPE}: the ledger holds {held}, Stripe payments, refunds and payouts say {said}"]
