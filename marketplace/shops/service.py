"""Shop rules: opening and editing a shop."""
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select

from .. import regions
from ..errors import InvalidInput, NotAllowed
from ..extensions import db
from ..text import normalise_mobile, slugify
from .models import Shop

MAX_SHIPPING_FEE_IDR = 10_000_000


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


def shop_of(user):
    """The user's shop, or None."""
    return db.session.scalar(select(Shop).where(Shop.owner_id == user.id))


def get_shop_by_slug(slug):
    """The shop with this slug, or None."""
    return db.session.scalar(select(Shop).where(Shop.slug == slug))


def _validated(details, shop=None):
    name = details.name.strip()
    if not 2 <= len(name) <= 80:
        raise InvalidInput(_("Nama toko 2 sampai 80 karakter."))
    slug = slugify(details.slug or name)
    if len(slug) < 2:
        raise InvalidInput(_("Alamat toko harus berisi huruf atau angka."))
    taken = get_shop_by_slug(slug)
    if taken is not None and taken is not shop:
        raise InvalidInput(_("Alamat toko '%(slug)s' sudah dipakai toko lain.", slug=slug))
    if not regions.is_home_village(details.district_code, details.village_code):
        raise InvalidInput(_("Pilih kecamatan dan desa di Kutai Kartanegara."))
    whatsapp = normalise_mobile(details.whatsapp)
    if whatsapp is None:
        raise InvalidInput(_("Nomor WhatsApp harus nomor HP Indonesia, misalnya 0812 3456 7890."))
    if not 0 <= details.shipping_fee_idr <= MAX_SHIPPING_FEE_IDR:
        raise InvalidInput(_("Ongkos kirim antara Rp0 dan Rp10.000.000."))
    return name, slug, whatsapp


def open_shop(owner, details):
    """Open the producer's one shop."""
    if not owner.is_producer:
        raise NotAllowed(_("Hanya produsen yang dapat membuka toko."))
    if shop_of(owner) is not None:
        raise InvalidInput(_("Anda sudah memiliki toko."))
    name, slug, whatsapp = _validated(details)
    shop = Shop(owner_id=owner.id, name=name, slug=slug, whatsapp=whatsapp)
    _apply(shop, details)
    db.session.add(shop)
    db.session.flush()
    return shop


def update_shop(shop, details):
    """Change a shop's profile."""
    name, slug, whatsapp = _validated(details, shop)
    shop.name, shop.slug, shop.whatsapp = name, slug, whatsapp
    _apply(shop, details)
    db.session.flush()
    return shop


def _apply(shop, details):
    shop.story = details.story.strip()
    shop.district_code = details.district_code
    shop.village_code = details.village_code
    shop.shipping_fee_idr = details.shipping_fee_idr
    shop.pickup_allowed = details.pickup_allowed


def set_logo(shop, stored_image):
    """Use a processed photo as the shop's logo."""
    shop.logo_hash = stored_image.content_hash
    db.session.flush()
