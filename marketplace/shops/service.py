"""Shop rules: opening and editing a shop."""
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select

from .. import regions
from ..errors import InvalidInput, NotAllowed
from ..extensions import db
from ..text import normalise_mobile, plain_text, slugify
from .models import Shop, ShopSlugHistory

MAX_SHIPPING_FEE_IDR = 10_000_000
MAX_NAME = 80
MAX_SLUG = 80
MAX_STORY = 5000
# C0 control characters other than tab and newline: PostgreSQL refuses NUL, and none belongs in a profile.


@dataclass
class ShopDetails:
    """What a producer fills in about their shop."""

    name: str
    story: str
    district_code: str
    village_code: str
    whatsapp: str
    shipping_fee_idr: int
    pickup_allowed: bool
    slug: str = ""
    cash_on_pickup: bool = False


def shop_of(user):
    """The user's shop, or None."""
    return db.session.scalar(select(Shop).where(Shop.owner_id == user.id))


def get_shop_by_slug(slug):
    """The shop with this slug, or None."""
    return db.session.scalar(select(Shop).where(Shop.slug == slug))


def slug_holder(slug):
    """The shop whose web address is or was this slug, or None: an old address is never given to another."""
    return get_shop_by_slug(slug) or db.session.scalar(
        select(Shop).join(ShopSlugHistory, ShopSlugHistory.shop_id == Shop.id).where(ShopSlugHistory.slug == slug))


def _slug_for(details, shop):
    """The slug asked for (refused when taken), or one derived from the name (made unique with -2, -3...)."""
    asked = slugify(plain_text(details.slug), MAX_SLUG)
    if plain_text(details.slug) and len(asked) < 2:
        raise InvalidInput(_("Alamat toko harus berisi huruf atau angka."), field="slug")
    if asked:
        taken = slug_holder(asked)
        if taken is not None and taken is not shop:
            raise InvalidInput(_("Alamat toko '%(slug)s' sudah dipakai toko lain.", slug=asked), field="slug")
        return asked
    base = slugify(plain_text(details.name), MAX_SLUG - 4)
    if len(base) < 2:
        raise InvalidInput(_("Nama toko harus berisi huruf atau angka."), field="name")
    slug, n = base, 1
    while (taken := slug_holder(slug)) is not None and taken is not shop:
        n += 1
        slug = f"{base}-{n}"
    return slug


def validate_details(details, shop=None):
    """The cleaned name, slug, story and WhatsApp number, or InvalidInput naming the field."""
    name = " ".join(plain_text(details.name).split())
    if not 2 <= len(name) <= MAX_NAME:
        raise InvalidInput(_("Nama toko 2 sampai 80 karakter."), field="name")
    slug = _slug_for(details, shop)
    story = plain_text(details.story)
    if len(story) > MAX_STORY:
        raise InvalidInput(_("Cerita toko paling panjang 5.000 karakter."), field="story")
    if regions.parent(details.district_code or "") != regions.HOME_REGENCY or not regions.name(details.district_code):
        raise InvalidInput(_("Pilih kecamatan di Kutai Kartanegara."), field="district_code")
    if not regions.is_home_village(details.district_code, details.village_code):
        raise InvalidInput(_("Pilih desa di kecamatan yang dipilih."), field="village_code")
    whatsapp = normalise_mobile(plain_text(details.whatsapp)[:40])
    if whatsapp is None:
        raise InvalidInput(_("Nomor WhatsApp harus nomor HP Indonesia, misalnya 0812 3456 7890."),
                           field="whatsapp")
    fee = details.shipping_fee_idr
    if isinstance(fee, bool) or not isinstance(fee, int) or not 0 <= fee <= MAX_SHIPPING_FEE_IDR:
        raise InvalidInput(_("Ongkos kirim antara Rp0 dan Rp10.000.000."), field="shipping_fee_idr")
    if details.cash_on_pickup is True and not details.pickup_allowed:
        raise InvalidInput(_("Bayar tunai hanya untuk pesanan yang diambil sendiri: izinkan juga pembeli mengambil "
                             "sendiri."), field="cash_on_pickup")
    return name, slug, story, whatsapp


def open_shop(owner, details):
    """Open the producer's one shop."""
    if not owner.is_producer:
        raise NotAllowed(_("Hanya produsen yang dapat membuka toko."))
    if shop_of(owner) is not None:
        raise InvalidInput(_("Anda sudah memiliki toko."))
    shop = Shop(owner_id=owner.id)
    _apply(shop, details, validate_details(details))
    db.session.add(shop)
    db.session.flush()
    return shop


def update_shop(shop, details):
    """Change a shop's profile."""
    _apply(shop, details, validate_details(details, shop))
    db.session.flush()
    return shop


def _apply(shop, details, cleaned):
    name, slug, shop.story, shop.whatsapp = cleaned
    shop.name = name
    _move_to_slug(shop, slug)
    shop.district_code = details.district_code
    shop.village_code = details.village_code
    shop.shipping_fee_idr = details.shipping_fee_idr
    shop.pickup_allowed = bool(details.pickup_allowed)
    shop.cash_on_pickup = details.cash_on_pickup is True


def _move_to_slug(shop, slug):
    """Give the shop its new web address and remember the old one, so shared links keep working."""
    if shop.slug == slug:
        return
    if shop.slug:
        db.session.add(ShopSlugHistory(shop_id=shop.id, slug=shop.slug))
    back = db.session.scalar(select(ShopSlugHistory).where(ShopSlugHistory.slug == slug))
    if back is not None:  # the shop takes back one of its own old addresses
        db.session.delete(back)
        db.session.flush()
    shop.slug = slug


def set_logo(shop, stored_image):
    """Use a processed photo as the shop's logo."""
    shop.logo_hash = stored_image.content_hash
    shop.logo_width, shop.logo_height = stored_image.width, stored_image.height
    db.session.flush()


def logo_hashes_in_use(_sender=None):
    """Content hashes of every shop's logo (`flask media collect`)."""
    return set(db.session.scalars(select(Shop.logo_hash).where(Shop.logo_hash.is_not(None)).distinct()))
