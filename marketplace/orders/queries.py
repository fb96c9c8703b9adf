"""Reading orders: the buyer's, a shop's, those overdue for payment and those an admin must see."""
import re

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from ..extensions import db
from ..models_base import utcnow
from .models import Order, ShopOrder

# What an order code can look like (PD-2611-7Q4K); anything else is nobody's order, and is never sent to the
# database (PostgreSQL refuses text with a NUL byte with an error, not an empty result).
CODE_PATTERN = re.compile(r"[A-Za-z0-9-]{1,16}")


def plausible_code(code):
    """True when code could be an order code at all."""
    return isinstance(code, str) and CODE_PATTERN.fullmatch(code) is not None


def overdue_orders(now=None, limit=200):
    """Pending orders whose payment window has closed, oldest first."""
    return db.session.scalars(select(Order).where(Order.state == "pending", Order.expires_at < (now or utcnow()))
                              .order_by(Order.expires_at, Order.id).limit(limit)).all()


def buyer_order(buyer, code):
    """The buyer's own order with that code, or None (someone else's is None too)."""
    if not plausible_code(code):
        return None
    return db.session.scalar(select(Order).where(Order.code == code, Order.buyer_id == buyer.id))


def orders_of(buyer, limit=100):
    """The buyer's orders, newest first."""
    return db.session.scalars(select(Order).where(Order.buyer_id == buyer.id)
                              .options(selectinload(Order.shop_orders).joinedload(ShopOrder.shop))
                              .order_by(Order.created_at.desc(), Order.id.desc()).limit(limit)).all()


def flagged_orders(limit=100):
    """Orders an admin must look at (payment mismatch, refunded late payments), with their buyers."""
    return db.session.scalars(select(Order).where(Order.flagged_for_admin.is_(True))
                              .options(joinedload(Order.buyer))
                              .order_by(Order.created_at.desc(), Order.id.desc()).limit(limit)).all()


def flagged_count():
    """How many orders wait for an admin."""
    return db.session.scalar(select(func.count(Order.id)).where(Order.flagged_for_admin.is_(True))) or 0


def producer_shop_order(producer, shop_order_id):
    """A part of an order fulfilled by the producer's own shop, or None (another shop's is None too)."""
    from ..shops.models import Shop

    if isinstance(shop_order_id, bool) or not isinstance(shop_order_id, int):
        return None
    return db.session.scalar(select(ShopOrder).join(Shop, Shop.id == ShopOrder.shop_id)
                             .where(ShopOrder.id == shop_order_id, Shop.owner_id == producer.id))


def buyer_shop_order(buyer, code, shop_order_id):
    """One shop's part of the buyer's own order, or None."""
    if isinstance(shop_order_id, bool) or not isinstance(shop_order_id, int) or not plausible_code(code):
        return None
    return db.session.scalar(select(ShopOrder).join(Order).where(
        ShopOrder.id == shop_order_id, Order.code == code, Order.buyer_id == buyer.id))


def shipped_before(cutoff, limit=500):
    """Ids of shop orders shipped before cutoff and still not confirmed, oldest first."""
    return db.session.scalars(select(ShopOrder.id).where(ShopOrder.state == "shipped",
                                                         ShopOrder.shipped_at < cutoff)
                              .order_by(ShopOrder.shipped_at, ShopOrder.id).limit(limit)).all()
