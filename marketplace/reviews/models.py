"""A buyer's rating of a listing they received, with the producer's one answer."""
from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models_base import UTCDateTime, utcnow

MAX_BODY = 2000


class Review(db.Model):
    """One buyer's 1 to 5 stars (and words) for one listing, written after an order with it completed."""

    __tablename__ = "review"
    __table_args__ = (
        CheckConstraint("rating BETWEEN 1 AND 5", name="rating_in_range"),
        UniqueConstraint("buyer_id", "product_id", name="uq_review_buyer_product"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"), index=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shop.id"), index=True)
    buyer_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    order_item_id: Mapped[int] = mapped_column(ForeignKey("order_item.id"), index=True)
    rating: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    reply: Mapped[str] = mapped_column(Text, default="")
    replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    hidden: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    hidden_reason: Mapped[str] = mapped_column(Text, default="")
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    product = relationship("Product")
    shop = relationship("Shop")
    buyer = relationship("User")
    order_item = relationship("OrderItem")

    @property
    def has_reply(self):
        """True once the producer has answered (they answer once)."""
        return self.replied_at is not None
