"""Carts, orders, the part of an order each shop fulfils, and the buyer's remembered address."""
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import BigInteger, Boolean, CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import regions
from ..errors import InvalidState
from ..extensions import db
from ..models_base import UTCDateTime, utcnow

MAX_QUANTITY = 1000
ORDER_STATES = ("pending", "processing", "paid", "cancelled", "expired")
# The order's goods are off the shelf: waiting for payment, paid by a slow method, or sold.
HOLDING_STATES = ("pending", "processing", "paid")
# Only these give their stock back; a paid order never moves backwards.
RELEASABLE_STATES = ("pending", "processing")
# How an order's payment may move: a late payment can still settle a released order if its goods remain.
ORDER_TRANSITIONS = {
    "pending": ("processing", "paid", "cancelled", "expired"),
    "processing": ("paid", "cancelled", "expired"),
    "paid": (),
    "cancelled": ("paid",),
    "expired": ("paid",),
}
SHOP_ORDER_STATES = ("awaiting_payment", "paid", "preparing", "shipped", "ready_for_pickup", "completed",
                     "cancelled")
# The one map of a shop order's life; ShopOrder.can_transition adds the delivery/pickup rule.
SHOP_ORDER_TRANSITIONS = {
    "awaiting_payment": ("paid", "cancelled"),
    "paid": ("preparing", "cancelled"),
    "preparing": ("shipped", "ready_for_pickup", "cancelled"),
    "shipped": ("completed",),
    "ready_for_pickup": ("completed", "cancelled"),
    "completed": (),
    "cancelled": (),
}
FULFILMENTS = ("delivery", "pickup")
COURIERS = ("jne", "jnt", "sicepat", "pos", "anteraja", "ninja", "lion", "other")
ACTOR_ROLES = ("buyer", "producer", "admin", "system", "payment")


def _in(column, values):
    return f"{column} IN ({', '.join(repr(value) for value in values)})"


class CartItem(db.Model):
    """One line of a logged-in buyer's cart; the price is the one seen when it was added."""

    __tablename__ = "cart_item"
    __table_args__ = (
        UniqueConstraint("user_id", "product_id", name="uq_cart_item_user_product"),
        CheckConstraint(f"quantity BETWEEN 1 AND {MAX_QUANTITY}", name="quantity_in_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id", ondelete="CASCADE"))
    quantity: Mapped[int] = mapped_column(Integer)
    price_seen_idr: Mapped[int] = mapped_column(BigInteger)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DeliveryAddress:
    """Where the goods go and whom the courier calls (columns shared by orders and the remembered address)."""

    recipient_name: Mapped[str] = mapped_column(String(120), default="")
    phone: Mapped[str] = mapped_column(String(16), default="")
    street: Mapped[str] = mapped_column(String(300), default="")
    province_code: Mapped[str] = mapped_column(String(13), default="")
    regency_code: Mapped[str] = mapped_column(String(13), default="")
    district_code: Mapped[str] = mapped_column(String(13), default="")
    village_code: Mapped[str] = mapped_column(String(13), default="")
    postal_code: Mapped[str] = mapped_column(String(5), default="")
    note: Mapped[str] = mapped_column(String(500), default="")

    @property
    def region_names(self):
        """Village, district, regency and province names, smallest first."""
        codes = (self.village_code, self.district_code, self.regency_code, self.province_code)
        return [regions.name(code) for code in codes if regions.name(code)]


class Order(DeliveryAddress, db.Model):
    """One checkout: one or more shops, paid by one settled payment (payments.models.Payment)."""

    __tablename__ = "order"
    __table_args__ = (
        CheckConstraint(_in("state", ORDER_STATES), name="state_known"),
        CheckConstraint("total_idr >= 0 AND items_total_idr >= 0 AND shipping_total_idr >= 0",
                        name="totals_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    buyer_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    state: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    items_total_idr: Mapped[int] = mapped_column(BigInteger, default=0)
    shipping_total_idr: Mapped[int] = mapped_column(BigInteger, default=0)
    total_idr: Mapped[int] = mapped_column(BigInteger, default=0)
    # Until then the goods stay reserved for the buyer; each payment attempt has its own deadline too.
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    flagged_for_admin: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    flag_reason: Mapped[str] = mapped_column(Text, default="")

    buyer = relationship("User")
    shop_orders = relationship("ShopOrder", back_populates="order", order_by="ShopOrder.id")
    events = relationship("OrderEvent", order_by="OrderEvent.id", viewonly=True)

    def can_transition(self, to_state):
        """True when the payment state may move from the current one to to_state."""
        return to_state in ORDER_TRANSITIONS.get(self.state, ())

    @property
    def is_awaiting_payment(self):
        """Pending or paid by a method that confirms later: the page keeps refreshing."""
        return self.state in RELEASABLE_STATES

    @property
    def holds_stock(self):
        """True while the order's goods are off the shelf."""
        return self.state in HOLDING_STATES

    @property
    def platform_fee_idr(self):
        """The marketplace's commission over all shops."""
        return sum(part.platform_fee_idr for part in self.shop_orders)


class ShopOrder(db.Model):
    """The part of an order that one shop fulfils, with its shipping choice and the platform's fee."""

    __tablename__ = "shop_order"
    __table_args__ = (
        CheckConstraint(_in("state", SHOP_ORDER_STATES), name="state_known"),
        CheckConstraint(_in("fulfilment", FULFILMENTS), name="fulfilment_known"),
        CheckConstraint("courier = '' OR " + _in("courier", COURIERS), name="courier_known"),
        CheckConstraint("refund_amount_idr >= 0", name="refund_not_negative"),
        CheckConstraint("shipping_fee_idr >= 0 AND items_total_idr >= 0 AND platform_fee_idr >= 0",
                        name="amounts_not_negative"),
        UniqueConstraint("order_id", "shop_id", name="uq_shop_order_order_shop"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("order.id"), index=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shop.id"), index=True)
    fulfilment: Mapped[str] = mapped_column(String(10))
    shipping_fee_idr: Mapped[int] = mapped_column(BigInteger, default=0)
    items_total_idr: Mapped[int] = mapped_column(BigInteger, default=0)
    platform_fee_idr: Mapped[int] = mapped_column(BigInteger, default=0)
    state: Mapped[str] = mapped_column(String(20), default="awaiting_payment", index=True)
    courier: Mapped[str] = mapped_column(String(20), default="")
    # The courier's own name when `courier` is "other" (a local courier, a bus company), else "".
    courier_other: Mapped[str] = mapped_column(String(40), default="")
    tracking_number: Mapped[str] = mapped_column(String(40), default="")
    cancel_reason: Mapped[str] = mapped_column(Text, default="")
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    shipped_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None, index=True)
    ready_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # A cancellation after payment owes the buyer this shop's part; stripe_refund_id is set once it is made.
    refund_amount_idr: Mapped[int] = mapped_column(BigInteger, default=0)
    stripe_refund_id: Mapped[str | None] = mapped_column(String(255), default=None)
    refunded_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    refund_error: Mapped[str] = mapped_column(String(500), default="")

    order = relationship("Order", back_populates="shop_orders")
    shop = relationship("Shop")
    items = relationship("OrderItem", back_populates="shop_order", order_by="OrderItem.id")
    events = relationship("OrderEvent", back_populates="shop_order", order_by="OrderEvent.id",
                          viewonly=True)

    def can_transition(self, to_state):
        """True when this part may move to to_state: only along the map, shipping only what is delivered
        and handing over only what is picked up."""
        if to_state not in SHOP_ORDER_TRANSITIONS.get(self.state, ()):
            return False
        if to_state == "shipped":
            return self.fulfilment == "delivery"
        if to_state == "ready_for_pickup":
            return self.fulfilment == "pickup"
        return True

    @property
    def timeline(self):
        """This part's history: the order's own events (placed, paid...) and this part's, oldest first; other
        shops' parts of the same order are left out."""
        return sorted((event for event in self.order.events if event.shop_order_id in (None, self.id)),
                      key=lambda event: (event.created_at, event.id))

    @property
    def refund_due(self):
        """True while a refund is owed and Stripe has not made it yet."""
        return self.refund_amount_idr > 0 and self.stripe_refund_id is None

    @property
    def total_idr(self):
        """Goods plus shipping."""
        return self.items_total_idr + self.shipping_fee_idr

    @property
    def payout_idr(self):
        """What the shop receives: goods and shipping minus the platform's fee."""
        return self.total_idr - self.platform_fee_idr


class OrderEvent(db.Model):
    """One state change of an order or of a shop's part of it: who, when, from what to what, and why.
    Rows are only ever added."""

    __tablename__ = "order_event"
    __table_args__ = (CheckConstraint(_in("actor_role", ACTOR_ROLES), name="actor_role_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("order.id"), index=True)
    shop_order_id: Mapped[int | None] = mapped_column(ForeignKey("shop_order.id"), index=True, default=None)
    from_state: Mapped[str] = mapped_column(String(20), default="")
    to_state: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), default=None)
    actor_role: Mapped[str] = mapped_column(String(10))
    note: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    shop_order = relationship("ShopOrder", back_populates="events")
    actor = relationship("User")


@event.listens_for(OrderEvent, "before_update")
@event.listens_for(OrderEvent, "before_delete")
def _events_are_history(mapper, connection, order_event):
    """The history of an order is only ever added to."""
    raise InvalidState(_("Riwayat pesanan tidak dapat diubah atau dihapus."))


class OrderItem(db.Model):
    """One product in a shop order, with its title and unit price as they were at purchase."""

    __tablename__ = "order_item"
    __table_args__ = (
        CheckConstraint(f"quantity BETWEEN 1 AND {MAX_QUANTITY}", name="quantity_in_range"),
        CheckConstraint("unit_price_idr >= 0", name="unit_price_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_order_id: Mapped[int] = mapped_column(ForeignKey("shop_order.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"), index=True)
    title: Mapped[str] = mapped_column(String(120))
    unit_price_idr: Mapped[int] = mapped_column(BigInteger)
    quantity: Mapped[int] = mapped_column(Integer)

    shop_order = relationship("ShopOrder", back_populates="items")
    product = relationship("Product")

    @property
    def line_total_idr(self):
        """Unit price times quantity."""
        return self.unit_price_idr * self.quantity


class BuyerAddress(DeliveryAddress, db.Model):
    """The address a buyer used last, offered again at the next checkout."""

    __tablename__ = "buyer_address"

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
