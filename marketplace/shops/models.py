"""The shop table."""
from datetime import datetime

from sqlalchemy import BigInteger, Boolean, CheckConstraint, ForeignKey, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import regions
from ..extensions import db
from ..models_base import UTCDateTime, utcnow

SHOP_STATUSES = ("active", "suspended")


class Shop(db.Model):
    """One producer's shop window."""

    __tablename__ = "shop"
    __table_args__ = (
        CheckConstraint("shipping_fee_idr >= 0", name="shipping_fee_not_negative"),
        CheckConstraint("status IN ('active', 'suspended')", name="status_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("user.id"), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    story: Mapped[str] = mapped_column(Text, default="")
    district_code: Mapped[str] = mapped_column(String(13), index=True)
    village_code: Mapped[str] = mapped_column(String(13))
    whatsapp: Mapped[str] = mapped_column(String(16))
    logo_hash: Mapped[str | None] = mapped_column(String(64), default=None)
    # The stored logo's size; unknown (None) for logos stored before it was recorded.
    logo_width: Mapped[int | None] = mapped_column(Integer, default=None)
    logo_height: Mapped[int | None] = mapped_column(Integer, default=None)
    shipping_fee_idr: Mapped[int] = mapped_column(BigInteger, default=0)
    pickup_allowed: Mapped[bool] = mapped_column(Boolean, default=False)
    # The buyer may pay in cash when collecting a pickup order (payments.cash); the producer's choice.
    cash_on_pickup: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    status: Mapped[str] = mapped_column(String(20), default="active")
    suspension_reason: Mapped[str] = mapped_column(Text, default="")
    trusted: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    owner = relationship("User")

    @property
    def is_active(self):
        """True when the shop may sell."""
        return self.status == "active"

    @property
    def logo_is_square(self):
        """True when the stored logo is known to be square: only then is it shown cropped to a circle."""
        return bool(self.logo_width) and self.logo_width == self.logo_height

    @property
    def district_name(self):
        """The district's name."""
        return regions.name(self.district_code)

    @property
    def village_name(self):
        """The village's name."""
        return regions.name(self.village_code)

    @property
    def whatsapp_digits(self):
        """The number as wa.me wants it: digits only."""
        return self.whatsapp.lstrip("+")


class ShopSlugHistory(db.Model):
    """A web address a shop had before: links shared with it keep working (301 to the current one)."""

    __tablename__ = "shop_slug_history"

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shop.id", ondelete="CASCADE"), index=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
