"""Listing rules: create, edit, submit, archive, photos, and what the public may see."""
import re
from dataclasses import dataclass, fields
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import func, select

from ..errors import InvalidInput, InvalidState, NotAllowed
from ..extensions import db
from ..models_base import utcnow
from ..shops.models import Shop
from ..text import slugify
from .models import MAX_PHOTOS, MAX_PRICE_IDR, MAX_STOCK, MIN_PRICE_IDR, Category, Product, ProductImage

PIRT_PATTERN = re.compile(r"^[0-9]{15}$")
BPOM_PATTERN = re.compile(r"^M[DL][0-9]{12}$")
HALAL_PATTERN = re.compile(r"^[A-Z0-9./\-]{6,40}$")
LOW_STOCK = 5
# Edits to these fields of an approved listing need another look by an admin.
REVIEWED_FIELDS = ("title", "description", "category_id")


@dataclass
class ProductDetails:
    """What a producer fills in about a listing."""

    title: str
    description: str
    category_id: int
    price_idr: int
    stock: int
    unit: str = ""
    weight_g: int = 0
    pirt_number: str = ""
    bpom_number: str = ""
    halal_number: str = ""
    halal_expires_on: date | None = None


def _compact(value):
    return re.sub(r"[\s\-.]", "", value or "").upper()


def validate_details(details):
    """Check a listing's fields; returns a cleaned copy or raises InvalidInput naming the field."""
    title = " ".join(details.title.split())
    if not 3 <= len(title) <= 120:
        raise InvalidInput(_("Judul 3 sampai 120 karakter."), field="title")
    if len(details.description) > 5000:
        raise InvalidInput(_("Deskripsi paling panjang 5.000 karakter."), field="description")
    if db.session.get(Category, details.category_id or 0) is None:
        raise InvalidInput(_("Pilih kategori."), field="category_id")
    if not MIN_PRICE_IDR <= details.price_idr <= MAX_PRICE_IDR:
        raise InvalidInput(_("Harga antara Rp1.000 dan Rp100.000.000."), field="price_idr")
    if not 0 <= details.stock <= MAX_STOCK:
        raise InvalidInput(_("Stok antara 0 dan 100.000."), field="stock")
    if not 0 <= details.weight_g <= 1_000_000:
        raise InvalidInput(_("Berat antara 0 dan 1.000.000 gram."), field="weight_g")
    pirt, bpom, halal = (_compact(v) for v in (details.pirt_number, details.bpom_number, details.halal_number))
    if pirt and not PIRT_PATTERN.match(pirt):
        raise InvalidInput(_("Nomor P-IRT terdiri dari 15 angka."), field="pirt_number")
    if bpom and not BPOM_PATTERN.match(bpom):
        raise InvalidInput(_("Nomor BPOM berbentuk MD atau ML diikuti 12 angka."), field="bpom_number")
    if halal and not HALAL_PATTERN.match(details.halal_number.strip().upper()):
        raise InvalidInput(_("Nomor sertifikat halal tidak dikenali."), field="halal_number")
    if details.halal_expires_on and not halal:
        raise InvalidInput(_("Isi nomor sertifikat halal untuk tanggal berlakunya."), field="halal_number")
    return ProductDetails(title=title, description=details.description.strip(),
                          category_id=details.category_id, price_idr=details.price_idr, stock=details.stock,
                          unit=" ".join(details.unit.split())[:60], weight_g=details.weight_g,
                          pirt_number=pirt, bpom_number=bpom,
                          halal_number=details.halal_number.strip().upper() if halal else "",
                          halal_expires_on=details.halal_expires_on)


def _unique_slug(shop, title, product=None):
    base = slugify(title, 90) or "produk"
    slug, n = base, 1
    while True:
        other = db.session.scalar(select(Product).where(Product.shop_id == shop.id, Product.slug == slug))
        if other is None or other is product:
            return slug
        n += 1
        slug = f"{base}-{n}"


def create_product(shop, details):
    """A new draft listing in the shop."""
    clean = validate_details(details)
    product = Product(shop=shop, slug=_unique_slug(shop, clean.title), status="draft")
    for field in fields(ProductDetails):
        setattr(product, field.name, getattr(clean, field.name))
    db.session.add(product)
    db.session.flush()
    return product


def update_product(product, details):
    """Apply an edit; price and stock apply at once, content edits of a public listing await review."""
    _require_editable(product)
    clean = validate_details(details)
    content_changed = any(getattr(product, name) != getattr(clean, name) for name in REVIEWED_FIELDS)
    if clean.title != product.title:
        product.slug = _unique_slug(product.shop, clean.title, product)
    for field in fields(ProductDetails):
        setattr(product, field.name, getattr(clean, field.name))
    if content_changed:
        mark_changed(product)
    db.session.flush()
    return product


def mark_changed(product):
    """An approved listing's content changed: it stays public but goes back to the admins."""
    if product.status == "approved":
        product.changed_since_approval = True


def set_stock(product, stock):
    """Set the stock count directly (a producer's restock)."""
    _require_editable(product)
    if not 0 <= stock <= MAX_STOCK:
        raise InvalidInput(_("Stok antara 0 dan 100.000."), field="stock")
    product.stock = stock
    db.session.flush()


def submit_product(product):
    """Send a draft or rejected listing to the review queue."""
    if product.status not in ("draft", "rejected"):
        raise InvalidState(_("Hanya draf atau produk yang ditolak yang dapat diajukan."))
    product.status = "pending"
    product.submitted_at = utcnow()
    db.session.flush()


def archive_product(product):
    """Take a listing out of the catalogue for good; its order history stays."""
    if product.status == "archived":
        raise InvalidState(_("Produk ini sudah diarsipkan."))
    product.status = "archived"
    product.changed_since_approval = False
    db.session.flush()


def _require_editable(product):
    if not product.is_editable:
        raise InvalidState(_("Produk yang diarsipkan tidak dapat diubah."))


def add_photo(product, stored_image, alt_text=""):
    """Attach a processed photo at the end of the listing's gallery."""
    _require_editable(product)
    if len(product.images) >= MAX_PHOTOS:
        raise InvalidInput(_("Paling banyak %(n)d foto per produk.", n=MAX_PHOTOS), field="photo")
    image = ProductImage(content_hash=stored_image.content_hash, width=stored_image.width,
                         height=stored_image.height, alt_text=(alt_text or product.title).strip()[:200],
                         position=len(product.images))
    product.images.append(image)
    mark_changed(product)
    db.session.flush()
    return image


def remove_photo(product, image_id):
    """Remove one photo; the others close the gap."""
    image = _photo_of(product, image_id)
    product.images.remove(image)
    _renumber(product)
    mark_changed(product)
    db.session.flush()


def move_photo(product, image_id, offset):
    """Move a photo one place earlier (-1) or later (+1); the first photo is the cover."""
    image = _photo_of(product, image_id)
    images = list(product.images)
    index = images.index(image)
    target = max(0, min(len(images) - 1, index + offset))
    images.insert(target, images.pop(index))
    product.images[:] = images
    _renumber(product)
    mark_changed(product)
    db.session.flush()


def _photo_of(product, image_id):
    for image in product.images:
        if image.id == image_id:
            return image
    raise InvalidInput(_("Foto tidak ditemukan."), field="photo")


def _renumber(product):
    for position, image in enumerate(product.images):
        image.position = position


def owned_product(user, product_id):
    """The product if it belongs to the user's shop, else NotAllowed (shown as 404)."""
    product = db.session.get(Product, product_id)
    if product is None or product.shop.owner_id != user.id:
        raise NotAllowed(_("Produk tidak ditemukan."))
    return product


def can_view(product, user):
    """Anyone sees public listings; producers see their own; admins see all."""
    if product.is_public:
        return True
    if user is None or not user.is_authenticated:
        return False
    return user.is_admin or product.shop.owner_id == user.id


def public_products():
    """A select of the listings everyone may see."""
    return (select(Product).join(Product.shop)
            .where(Product.status == "approved", Shop.status == "active"))


def categories_tree():
    """Top-level categories with their children, in display order."""
    categories = db.session.scalars(select(Category).order_by(Category.position, Category.id)).all()
    children = {}
    for category in categories:
        children.setdefault(category.parent_id, []).append(category)
    return [(top, children.get(top.id, [])) for top in children.get(None, [])]


def category_and_children_ids(category):
    """The ids of a category and of its direct children."""
    ids = [category.id]
    ids += db.session.scalars(select(Category.id).where(Category.parent_id == category.id)).all()
    return ids


def count_by_status(shop):
    """How many listings of the shop are in each status."""
    rows = db.session.execute(select(Product.status, func.count()).where(Product.shop_id == shop.id)
                              .group_by(Product.status))
    return dict(rows.all())
