"""The audit trail of moderation decisions; rows are only ever added."""
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models_base import UTCDateTime, utcnow


class ModerationDecision(db.Model):
    """Who decided what about a listing or shop, when and why."""

    __tablename__ = "moderation_decision"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("product.id"), index=True, default=None)
    shop_id: Mapped[int | None] = mapped_column(ForeignKey("shop.id"), index=True, default=None)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), default=None)
    action: Mapped[str] = mapped_column(String(30))
    reason: Mapped[str] = mapped_column(Text, default="")
    automatic: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    actor = relationship("User")
    product = relationship("Product")
    shop = relationship("Shop")
