"""Categories, products and their photos."""
from datetime import date, datetime

from sqlalchemy import (BigInteger, Boolean, CheckConstraint, Date, ForeignKey, Integer, String, Text, UniqueConstraint,
                        and_, select)
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models_base import UTCDateTime, utcnow
from ..shops.models import Shop

PRODUCT_STATUSES = ("draft", "pending", "approved", "rejected", "archived")
MIN_PRICE_IDR = 1_000
MAX_PRICE_IDR = 100_000_000
MAX_STOCK = 100_000
MAX_PHOTOS = 8


class Category(db.Model):
    """A node of the category tree."""

    __tablename__ = "category"

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("category.id"), default=None)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    name_id: Mapped[str] = mapped_column(String(80))
    name_en: Mapped[str] = mapped_column(String(80))
    position: Mapped[int] = mapped_column(Integer, default=0)

    parent = relationship("Category", remote_side=[id])

    def display_name(self, locale):
        """The name in the reader's language."""
        return self.name_en if str(locale) == "en" else self.name_id


class Product(db.Model):
    """A listing: one kind of goods a shop sells."""

    __tablename__ = "product"
    __table_args__ = (
        CheckConstraint("stock >= 0", name="stock_not_negative"),
        CheckConstraint(f"price_idr BETWEEN {MIN_PRICE_IDR} AND {MAX_PRICE_IDR}", name="price_in_range"),
        CheckConstraint("status IN ('draft', 'pending', 'approved', 'rejected', 'archived')",
                        name="status_known"),
        UniqueConstraint("shop_id", "slug", name="uq_product_shop_slug"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shop.id"), index=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("category.id"), index=True)
    slug: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    price_idr: Mapped[int] = mapped_column(BigInteger)
    stock: Mapped[int] = mapped_column(Integer, default=0)
    unit: Mapped[str] = mapped_column(String(60), default="")
    weight_g: Mapped[int] = mapped_column(Integer, default=0)
    pirt_number: Mapped[str] = mapped_column(String(15), default="")
    bpom_number: Mapped[str] = mapped_column(String(20), default="")
    halal_number: Mapped[str] = mapped_column(String(40), default="")
    halal_expires_on: Mapped[date | None] = mapped_column(Date, default=None)
    status: Mapped[str] = mapped_column(String(20), default="draft", index=True)
    rejection_reason: Mapped[str] = mapped_column(Text, default="")
    changed_since_approval: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    shop = relationship("Shop", backref="products")
    category = relationship("Category")
    images = relationship("ProductImage", order_by="ProductImage.position", cascade="all, delete-orphan",
                          back_populates="product")

    @hybrid_property
    def is_public(self):
        """Approved and sold by an active shop: visible to everyone. The one definition of a public listing, in
        Python here and in SQL below (catalogue.service.public_products, the stock reservation)."""
        return self.status == "approved" and self.shop.status == "active"

    @is_public.inplace.expression
    @classmethod
    def _is_public_expression(cls):
        return and_(cls.status == "approved", cls.shop_id.in_(select(Shop.id).where(Shop.status == "active")))

    @property
    def is_purchasable(self):
        """Public and in stock."""
        return self.is_public and self.stock > 0

    @property
    def is_editable(self):
        """Archived listings are history; everything else can be edited."""
        return self.status != "archived"

    @property
    def cover(self):
        """The first photo, or None."""
        return self.images[0] if self.images else None


class ProductImage(db.Model):
    """One photo of a product, stored by content hash in media storage."""

    __tablename__ = "product_image"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id", ondelete="CASCADE"), index=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(Integer, default=0)
    alt_text: Mapped[str] = mapped_column(String(200), default="")
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)

    product = relationship("Product", back_populates="images")


class ProductSlugHistory(db.Model):
    """A web address a listing had before within its shop: old links answer 301 to the current one."""

    __tablename__ = "product_slug_history"
    __table_args__ = (UniqueConstraint("shop_id", "slug", name="uq_product_slug_history_shop_slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shop.id", ondelete="CASCADE"))
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id", ondelete="CASCADE"), index=True)
    slug: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
