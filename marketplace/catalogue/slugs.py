"""A listing's web address: unique within its shop, and every address it had before still leads to it."""
from sqlalchemy import select

from ..extensions import db
from ..text import slugify
from .models import Product, ProductSlugHistory


def product_slug_holder(shop_id, slug):
    """The shop's listing whose web address is or was this slug, or None."""
    return db.session.scalar(select(Product).where(Product.shop_id == shop_id, Product.slug == slug)) or \
        db.session.scalar(select(Product).join(ProductSlugHistory, ProductSlugHistory.product_id == Product.id)
                          .where(ProductSlugHistory.shop_id == shop_id, ProductSlugHistory.slug == slug))


def unique_slug(shop, title, product=None):
    """A slug from the title that no other listing of the shop has or had (-2, -3... when taken)."""
    base = slugify(title, 90) or "produk"
    slug, n = base, 1
    while True:
        other = product_slug_holder(shop.id, slug)
        if other is None or other is product:
            return slug
        n += 1
        slug = f"{base}-{n}"


def move_to_slug(product, slug):
    """Give the listing its new web address and remember the old one, so shared links keep working."""
    if product.slug == slug:
        return
    db.session.add(ProductSlugHistory(shop_id=product.shop_id, product_id=product.id, slug=product.slug))
    back = db.session.scalar(select(ProductSlugHistory).where(ProductSlugHistory.shop_id == product.shop_id,
                                                              ProductSlugHistory.slug == slug))
    if back is not None:  # renamed back to an old title
        db.session.delete(back)
        db.session.flush()
    product.slug = slug


def retitle(product, title):
    """Give the listing the title and, when it differs, the web address that goes with it."""
    if title != product.title:
        move_to_slug(product, unique_slug(product.shop, title, product))
    product.title = title
