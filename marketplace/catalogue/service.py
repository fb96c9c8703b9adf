"""Listing rules: create, edit, submit, archive, photos, and what the public may see."""
import re
from dataclasses import dataclass, fields
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import case, func, select, update
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import flag_modified

from ..errors import InvalidInput, InvalidState, NotAllowed
from ..extensions import db
from ..media import intake
from ..media.service import process_upload
from ..models_base import utcnow
from ..moderation import service as moderation
from ..shops.models import Shop
from ..text import plain_text
from . import edits
from .edits import REVIEWED_FIELDS
from .models import (MAX_PHOTOS, MAX_PRICE_IDR, MAX_STOCK, MIN_PRICE_IDR, Category, Product, ProductEdit,
                     ProductEditImage, ProductImage)
from .slugs import product_slug_holder, retitle, unique_slug  # noqa: F401  (product_slug_holder: queries)

PIRT_PATTERN = re.compile(r"^[0-9]{15}$")
BPOM_PATTERN = re.compile(r"^M[DL][0-9]{12}$")
HALAL_PATTERN = re.compile(r"^[A-Z0-9./\-]{6,40}$")
# C0 control characters other than tab and newline: PostgreSQL refuses NUL, and none has a place in a listing.
LOW_STOCK = 5
MAX_ID = 2**31 - 1
MAX_DESCRIPTION = 5000
MAX_UNIT = 60
# What a producer may change on a public listing without an admin's look.
IMMEDIATE_FIELDS = ("price_idr", "unit", "weight_g")


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


def _whole_between(value, low, high):
    """True for a whole number (not a bool, not a float) within [low, high]."""
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def validate_details(details):
    """Check a listing's fields; returns a cleaned copy or raises InvalidInput naming the field."""
    title = " ".join(plain_text(details.title).split())
    if not 3 <= len(title) <= 120:
        raise InvalidInput(_("Judul 3 sampai 120 karakter."), field="title")
    description = plain_text(details.description)
    if len(description) > MAX_DESCRIPTION:
        raise InvalidInput(_("Deskripsi paling panjang 5.000 karakter."), field="description")
    if db.session.get(Category, details.category_id or 0) is None:
        raise InvalidInput(_("Pilih kategori."), field="category_id")
    if not _whole_between(details.price_idr, MIN_PRICE_IDR, MAX_PRICE_IDR):
        raise InvalidInput(_("Harga antara Rp1.000 dan Rp100.000.000."), field="price_idr")
    if not _whole_between(details.stock, 0, MAX_STOCK):
        raise InvalidInput(_("Stok antara 0 dan 100.000."), field="stock")
    unit = " ".join(plain_text(details.unit).split())
    if len(unit) > MAX_UNIT:
        raise InvalidInput(_("Satuan/ukuran paling panjang 60 karakter."), field="unit")
    if not _whole_between(details.weight_g, 0, 1_000_000):
        raise InvalidInput(_("Berat antara 0 dan 1.000.000 gram."), field="weight_g")
    pirt, bpom, halal = _regulation_numbers(details)
    return ProductDetails(title=title, description=description, category_id=details.category_id,
                          price_idr=details.price_idr, stock=details.stock, unit=unit, weight_g=details.weight_g,
                          pirt_number=pirt, bpom_number=bpom, halal_number=halal,
                          halal_expires_on=details.halal_expires_on)


def _regulation_numbers(details):
    """The P-IRT, BPOM and halal numbers in their stored form, or InvalidInput naming the field."""
    pirt, bpom = _compact(details.pirt_number), _compact(details.bpom_number)
    halal = re.sub(r"\s", "", plain_text(details.halal_number)).upper()
    if pirt and not PIRT_PATTERN.match(pirt):
        raise InvalidInput(_("Nomor P-IRT terdiri dari 15 angka."), field="pirt_number")
    if bpom and not BPOM_PATTERN.match(bpom):
        raise InvalidInput(_("Nomor BPOM berbentuk MD atau ML diikuti 12 angka."), field="bpom_number")
    if halal and not HALAL_PATTERN.match(halal):
        raise InvalidInput(_("Nomor sertifikat halal tidak dikenali."), field="halal_number")
    if details.halal_expires_on and not halal:
        raise InvalidInput(_("Isi nomor sertifikat halal untuk tanggal berlakunya."), field="halal_number")
    return pirt, bpom, halal


def create_product(shop, details):
    """A new draft listing in the shop."""
    clean = validate_details(details)
    product = Product(shop=shop, slug=unique_slug(shop, clean.title), status="draft")
    for field in fields(ProductDetails):
        setattr(product, field.name, getattr(clean, field.name))
    db.session.add(product)
    db.session.flush()
    return product


def update_product(product, details, stock_seen=None):
    """Apply an edit: price, stock, unit and weight at once; reviewed content of a public listing is held
    until an admin confirms it (catalogue.edits), so the public keeps seeing the approved version.

    `stock_seen` is the stock the producer's form showed; see _apply_stock."""
    require_editable(product)
    clean = validate_details(details)
    shown = edits.shown_to_producer(product)
    if any(getattr(shown, name) != getattr(clean, name) for name in REVIEWED_FIELDS):
        target = edits.editing_copy(product)
        if target is product:
            retitle(product, clean.title)
        for name in REVIEWED_FIELDS:
            setattr(target, name, getattr(clean, name))
        edits.changed(product, target)
    for name in IMMEDIATE_FIELDS:
        setattr(product, name, getattr(clean, name))
    _apply_stock(product, clean.stock, stock_seen)
    db.session.flush()
    return product


def _apply_stock(product, stock, seen):
    """Set the stock the producer asked for without undoing orders placed while their form was open.

    With no `seen` (the CSV import, the CLI) the count is set as given. With `seen`, only the producer's
    own change (stock - seen) is applied, by one relative conditional UPDATE on the live row, as the
    checkout reserves; a decrease that the meantime's orders made impossible is refused."""
    if seen is None:
        product.stock = stock
        return
    delta = stock - seen
    if delta == 0:
        return
    db.session.flush()
    result = db.session.execute(
        update(Product).where(Product.id == product.id, Product.stock + delta >= 0,
                              Product.stock + delta <= MAX_STOCK)
        .values(stock=Product.stock + delta).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise InvalidInput(_("Stok berubah karena ada pesanan sejak halaman ini dibuka. Periksa stok lalu "
                             "simpan lagi."), field="stock")
    db.session.refresh(product, ["stock"])
    # The row is ours until commit; marking it lets the search index see the new count.
    flag_modified(product, "stock")


def set_stock(product, stock, stock_seen=None):
    """Set the stock count (a producer's restock); `stock_seen` as for update_product."""
    require_editable(product)
    if not _whole_between(stock, 0, MAX_STOCK):
        raise InvalidInput(_("Stok antara 0 dan 100.000."), field="stock")
    _apply_stock(product, stock, stock_seen)
    db.session.flush()


def submit_product(product):
    """Send a draft or rejected listing to the review queue; a trusted shop's is approved at once."""
    if product.status not in ("draft", "rejected"):
        raise InvalidState(_("Hanya draf atau produk yang ditolak yang dapat diajukan."))
    product.status = "pending"
    product.submitted_at = utcnow()
    db.session.flush()
    if product.shop.trusted:
        moderation.approve_product(product, None, automatic=True)


def archive_product(product):
    """Take a listing out of the catalogue for good; its order history stays."""
    if product.status == "archived":
        raise InvalidState(_("Produk ini sudah diarsipkan."))
    product.status = "archived"
    product.changed_since_approval = False
    edits.discard(product)
    db.session.flush()


def require_editable(product):
    """InvalidState unless the listing can still be changed (archived listings are history)."""
    if not product.is_editable:
        raise InvalidState(_("Produk yang diarsipkan tidak dapat diubah."))


class PhotoBatch:
    """Photos processed for one request, remembering the files it wrote so a failure can take them back.

    It stands in for the storage while the media pipeline runs: files that already existed (the same photo
    used elsewhere) are never written, so discard() removes nothing another listing or shop relies on."""

    def __init__(self, storage):
        self.storage = storage
        self.images = []
        self.written = []

    def exists(self, key):
        """Whether the real storage holds key."""
        return self.storage.exists(key)

    def save(self, key, data):
        """Write through to the real storage and remember the key."""
        self.storage.save(key, data)
        self.written.append(key)

    def delete(self, key):
        """Delete from the real storage (the pipeline's own clean-up)."""
        self.storage.delete(key)
        if key in self.written:
            self.written.remove(key)

    def discard(self):
        """Remove every file this batch wrote: the request failed after processing."""
        for key in reversed(self.written):
            self.storage.delete(key)
        self.written.clear()


def process_photos(uploads, storage, room=MAX_PHOTOS):
    """The entry to the photo pipeline for every caller (forms, importer, resumable uploads): measure every
    upload (bytes or file objects) and the batch before decoding any, then process them all or nothing into
    storage; returns a PhotoBatch. It never touches the database: call it with no transaction open, since
    decoding takes seconds, then record the batch's images in a short transaction of their own."""
    if len(uploads) > room:
        raise InvalidInput(_("Paling banyak %(max)d foto per produk; masih bisa ditambah %(n)d foto.",
                             max=MAX_PHOTOS, n=max(room, 0)), field="photo")
    pending = [_named(upload, intake.take) for upload in uploads]
    try:
        intake.check_budget(pending)
    except InvalidInput as error:
        raise InvalidInput(error.message, field="photo") from error
    batch = PhotoBatch(storage)
    try:
        for photo in pending:
            batch.images.append(_named(photo, lambda each: process_upload(each.data, batch)))
    except BaseException:
        batch.discard()
        raise
    return batch


def _named(upload, step):
    """step(upload), with a refusal naming the file: with several photos, the producer must know which one."""
    name = (getattr(upload, "filename", "") or "")[:80]
    try:
        return step(upload)
    except InvalidInput as error:
        message = _("%(name)s: %(message)s", name=name, message=error.message) if name else error.message
        raise InvalidInput(message, field="photo") from error


def photo_room(product):
    """How many more photos the listing can take (its pending edit's gallery when one waits)."""
    return MAX_PHOTOS - len(edits.shown_to_producer(product).images)


def add_photo(product, stored_image, alt_text=""):
    """Attach a processed photo at the end of the gallery; the same photo twice is kept once."""
    require_editable(product)
    for image in edits.shown_to_producer(product).images:
        # A retried upload on a flaky connection must not double the photo.
        if image.content_hash == stored_image.content_hash:
            return image
    if photo_room(product) <= 0:
        raise InvalidInput(_("Paling banyak %(n)d foto per produk.", n=MAX_PHOTOS), field="photo")
    target = edits.editing_copy(product)
    image = (ProductEditImage if isinstance(target, ProductEdit) else ProductImage)(
        content_hash=stored_image.content_hash, width=stored_image.width, height=stored_image.height,
        alt_text=_alt(alt_text, target), position=len(target.images))
    target.images.append(image)
    edits.changed(product, target)
    db.session.flush()
    return image


def replace_photos(product, stored_images):
    """The given photos become the gallery, in order (the importer's rows)."""
    require_editable(product)
    target = edits.editing_copy(product)
    target.images.clear()
    edits.changed(product, target)
    db.session.flush()
    for stored in stored_images:
        add_photo(product, stored)


def _alt(alt_text, listing):
    return " ".join(plain_text(alt_text).split())[:200] or listing.title


def set_photo_alt(product, image_id, alt_text):
    """Describe a photo for buyers who cannot see it (empty: the listing's title)."""
    require_editable(product)
    target, image = _editable_photo(product, image_id)
    image.alt_text = _alt(alt_text, target)
    edits.changed(product, target)
    db.session.flush()


def remove_photo(product, image_id):
    """Remove one photo; the others close the gap. The files stay: the same photo may serve elsewhere."""
    require_editable(product)
    target, image = _editable_photo(product, image_id)
    target.images.remove(image)
    _renumber(target)
    edits.changed(product, target)
    db.session.flush()


def move_photo(product, image_id, offset):
    """Move a photo one place earlier (-1) or later (+1); the first photo is the cover."""
    require_editable(product)
    target, image = _editable_photo(product, image_id)
    images = list(target.images)
    index = images.index(image)
    destination = max(0, min(len(images) - 1, index + offset))
    if destination == index:
        return
    images.insert(destination, images.pop(index))
    target.images[:] = images
    _renumber(target)
    edits.changed(product, target)
    db.session.flush()


def photo_of(product, image_id):
    """The photo with this id in the gallery its producer sees, or None."""
    return next((image for image in edits.shown_to_producer(product).images if image.id == image_id), None)


def _editable_photo(product, image_id):
    """(where the change goes, the photo there) for a photo id of the gallery the producer sees: the first
    change of a public listing's photo starts a pending edit, whose copy of that photo is returned."""
    shown = edits.shown_to_producer(product).images
    index = next((n for n, image in enumerate(shown) if image.id == image_id), None)
    if index is None:
        raise InvalidInput(_("Foto tidak ditemukan."), field="photo")
    target = edits.editing_copy(product)
    return target, target.images[index]


def _renumber(listing):
    for position, image in enumerate(listing.images):
        image.position = position


def owned_product(user, product_id):
    """The product if it belongs to the user's shop, else NotAllowed (shown as 404)."""
    # An id no integer column can hold: SQLite cannot even bind it (OverflowError, a 500 instead of a 404).
    product = db.session.get(Product, product_id) if 0 < product_id <= MAX_ID else None
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
    return select(Product).join(Product.shop).where(Product.is_public)


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


def products_of(shop):
    """The shop's listings as its producer sees them: archived last, most recently changed first."""
    archived_last = case((Product.status == "archived", 1), else_=0)
    return db.session.scalars(select(Product).where(Product.shop_id == shop.id)
                              .options(selectinload(Product.images),
                                       selectinload(Product.pending_edit).selectinload(ProductEdit.images))
                              .order_by(archived_last, Product.updated_at.desc(), Product.id.desc())).all()


def count_by_status(shop):
    """How many listings of the shop are in each status."""
    rows = db.session.execute(select(Product.status, func.count()).where(Product.shop_id == shop.id)
                              .group_by(Product.status))
    return dict(rows.all())
