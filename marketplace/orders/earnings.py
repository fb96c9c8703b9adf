"""What orders mean for the ledger: each paid order split into shop shares, cancellations given back,
completed parts released after the hold period, and the checks that orders and ledger agree."""
from datetime import timedelta

from flask import current_app
from sqlalchemy import String, and_, cast, exists, literal, select

from ..extensions import db
from ..ledger import rules
from ..ledger.models import JournalEntry
from ..models_base import utcnow
from .models import Order, OrderEvent, ShopOrder


def share_of(part):
    """The ledger's view of one shop's part: goods and shipping, and the platform's fee."""
    return rules.ShopShare(part.shop_id, part.total_idr, part.platform_fee_idr)


def record_paid(order, held, unique_code_idr=0):
    """The order's money arrived in `held`: every shop's share waits as pending (once per order)."""
    return rules.record_payment(f"order-{order.id}", held, [share_of(part) for part in order.shop_orders],
                                unique_code_idr=unique_code_idr, order_id=order.id)


def _paid_in_cash(order_id):
    """The order was paid in cash at pickup (complete_cash_pickup: the producer recorded the payment): the
    platform never held its money, so it has no payment entry and nothing to release (payments.cash checks it)."""
    return exists().where(OrderEvent.order_id == order_id, OrderEvent.to_state == "paid",
                          OrderEvent.shop_order_id.is_(None), OrderEvent.actor_role == "producer")


def _released(part_id):
    return db.session.scalar(select(exists().where(JournalEntry.kind == "earnings_released",
                                                   JournalEntry.shop_order_id == part_id)))


def record_cancelled(part):
    """A paid part cancelled: the shop gives its share back (from available if already released) and the
    buyer is owed the whole part."""
    return rules.record_cancellation(f"shop-order-{part.id}", share_of(part), _released(part.id),
                                     shop_order_id=part.id, order_id=part.order_id)


def release_due(now=None, hold_days=None, limit=500):
    """Release the shares of parts completed at least `hold_days` ago and not released yet; how many."""
    now = now or utcnow()
    hold = timedelta(days=current_app.config["PAYOUT_HOLD_DAYS"] if hold_days is None else hold_days)
    released_already = exists().where(JournalEntry.kind == "earnings_released",
                                      JournalEntry.shop_order_id == ShopOrder.id)
    parts = db.session.scalars(select(ShopOrder).where(ShopOrder.state == "completed",
                                                       ShopOrder.completed_at <= now - hold, ~released_already,
                                                       ~_paid_in_cash(ShopOrder.order_id))
                               .order_by(ShopOrder.completed_at, ShopOrder.id).limit(limit)).all()
    count = 0
    for part in parts:
        _entry, written = rules.release_earnings(f"shop-order-{part.id}", part.shop_id, share_of(part).net_idr,
                                                 shop_order_id=part.id)
        count += written
    return count


def problems(_sender=None):
    """Where orders and the ledger disagree: a paid order without its payment entry, an entry for an
    order never paid, a paid part cancelled without its reversal, a release of a part never completed."""
    found = []
    settled = and_(JournalEntry.kind == "payment_settled", JournalEntry.order_id == Order.id)
    for code in db.session.scalars(select(Order.code).where(Order.paid_at.is_not(None), ~exists().where(settled),
                                                             ~_paid_in_cash(Order.id))):
        found.append(f"order {code}: paid, but no payment entry")
    for code in db.session.scalars(select(Order.code).where(Order.paid_at.is_(None), exists().where(settled))):
        found.append(f"order {code}: a payment entry, but never paid")
    reversed_ = and_(JournalEntry.kind == "shop_order_cancelled", JournalEntry.shop_order_id == ShopOrder.id)
    for part_id in db.session.scalars(select(ShopOrder.id).where(ShopOrder.state == "cancelled",
                                                                ShopOrder.refund_amount_idr > 0,
                                                                ~exists().where(reversed_))):
        found.append(f"shop order {part_id}: cancelled after payment, but not reversed in the ledger")
    refunded = and_(JournalEntry.kind == "refund_paid", JournalEntry.order_id == ShopOrder.order_id,
                    JournalEntry.reference == literal("shop-order-", String) + cast(ShopOrder.id, String))
    for part_id in db.session.scalars(select(ShopOrder.id).where(ShopOrder.stripe_refund_id.is_not(None),
                                                                ~exists().where(refunded))):
        found.append(f"shop order {part_id}: refunded, but the refund is not in the ledger")
    released = and_(JournalEntry.kind == "earnings_released", JournalEntry.shop_order_id == ShopOrder.id)
    for part_id in db.session.scalars(select(ShopOrder.id).where(ShopOrder.state != "completed",
                                                                exists().where(released))):
        found.append(f"shop order {part_id}: released, but not completed")
    return found
