"""Carts, orders, the part of an order each shop fulfils, and the buyer's remembered address."""
from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import regions
from ..extensions import db
from ..models_base import UTCDateTime, utcnow

MAX_QUANTITY = 1000
ORDER_STATES = ("pending", "processing", "paid", "cancelled", "expired")
# The order's goods are off the shelf: waiting for payment, paid by a slow method, or sold.
HOLDING_STATES = ("pending", "processing", "paid")
# Only these give their stock back; a paid order never moves backwards.
RELEASABLE_STATES = ("pending", "processing")
SHOP_ORDER_STATES = ("awaiting_payment", "paid", "cancelled")
FULFILMENTS = ("delivery", "pickup")


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
    price_seen_idr: Mapped[int] = mapped_column(Integer)
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
    """One checkout: one payment, one or more shops."""

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
    items_total_idr: Mapped[int] = mapped_column(Integer, default=0)
    shipping_total_idr: Mapped[int] = mapped_column(Integer, default=0)
    total_idr: Mapped[int] = mapped_column(Integer, default=0)
    stripe_session_id: Mapped[str | None] = mapped_column(String(255), unique=True, default=None)
    checkout_url: Mapped[str | None] = mapped_column(String(1000), default=None)
    stripe_payment_intent: Mapped[str | None] = mapped_column(String(255), default=None)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    flagged_for_admin: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    flag_reason: Mapped[str] = mapped_column(Text, default="")

    buyer = relationship("User")
    shop_orders = relationship("ShopOrder", back_populates="order", order_by="ShopOrder.id")

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
        CheckConstraint("shipping_fee_idr >= 0 AND items_total_idr >= 0 AND platform_fee_idr >= 0",
                        name="amounts_not_negative"),
        UniqueConstraint("order_id", "shop_id", name="uq_shop_order_order_shop"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("order.id"), index=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shop.id"), index=True)
    fulfilment: Mapped[str] = mapped_column(String(10))
    shipping_fee_idr: Mapped[int] = mapped_column(Integer, default=0)
    items_total_idr: Mapped[int] = mapped_column(Integer, default=0)
    platform_fee_idr: Mapped[int] = mapped_column(Integer, default=0)
    state: Mapped[str] = mapped_column(String(20), default="awaiting_payment")

    order = relationship("Order", back_populates="shop_orders")
    shop = relationship("Shop")
    items = relationship("OrderItem", back_populates="shop_order", order_by="OrderItem.id")

    @property
    def total_idr(self):
        """Goods plus shipping."""
        return self.items_total_idr + self.shipping_fee_idr

    @property
    def payout_idr(self):
        """What the shop receives: goods and shipping minus the platform's fee."""
        return self.total_idr - self.platform_fee_idr


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
    unit_price_idr: Mapped[int] = mapped_column(Integer)
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
