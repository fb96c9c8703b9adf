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
    # The producer's change to the approved content, held apart until an admin confirms it (catalogue.edits).
    pending_edit = relationship("ProductEdit", uselist=False, cascade="all, delete-orphan",
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


class PhotoColumns:
    """What a gallery keeps of each photo: the stored file's hash and size, its place and its description."""

    content_hash: Mapped[str] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(Integer, default=0)
    alt_text: Mapped[str] = mapped_column(String(200), default="")
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)


class ProductImage(PhotoColumns, db.Model):
    """One photo of a product, stored by content hash in media storage."""

    __tablename__ = "product_image"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id", ondelete="CASCADE"), index=True)

    product = relationship("Product", back_populates="images")


class ProductEdit(db.Model):
    """A producer's change to an approved listing's reviewed content, waiting for an admin.

    The product row stays the approved version, which is all the public, the search index and checkout ever
    read; confirming copies this onto it, rejecting deletes it. One per listing: a second edit replaces it.
    Price, stock, unit and weight are not reviewed and live on the product only."""

    __tablename__ = "product_edit"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id", ondelete="CASCADE"), unique=True)
    title: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    category_id: Mapped[int] = mapped_column(ForeignKey("category.id"))
    pirt_number: Mapped[str] = mapped_column(String(15), default="")
    bpom_number: Mapped[str] = mapped_column(String(20), default="")
    halal_number: Mapped[str] = mapped_column(String(40), default="")
    halal_expires_on: Mapped[date | None] = mapped_column(Date, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    product = relationship("Product", back_populates="pending_edit")
    category = relationship("Category")
    images = relationship("ProductEditImage", order_by="ProductEditImage.position", cascade="all, delete-orphan",
                          back_populates="edit")

    # The fields an edit does not hold are the product's, so the producer's forms read one object.
    price_idr = property(lambda self: self.product.price_idr)
    stock = property(lambda self: self.product.stock)
    unit = property(lambda self: self.product.unit)
    weight_g = property(lambda self: self.product.weight_g)

    @property
    def cover(self):
        """The first photo of the edited gallery, or None."""
        return self.images[0] if self.images else None


class ProductEditImage(PhotoColumns, db.Model):
    """One photo of a pending edit's gallery; never shown to the public until the edit is confirmed."""

    __tablename__ = "product_edit_image"

    id: Mapped[int] = mapped_column(primary_key=True)
    edit_id: Mapped[int] = mapped_column(ForeignKey("product_edit.id", ondelete="CASCADE"), index=True)

    edit = relationship("ProductEdit", back_populates="images")


class ProductSlugHistory(db.Model):
    """A web address a listing had before within its shop: old links answer 301 to the current one."""

    __tablename__ = "product_slug_history"
    __table_args__ = (UniqueConstraint("shop_id", "slug", name="uq_product_slug_history_shop_slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shop.id", ondelete="CASCADE"))
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id", ondelete="CASCADE"), index=True)
    slug: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
