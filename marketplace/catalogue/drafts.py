"""Listings sent from a phone's offline drafts: created once whatever the retries, edited only when the
listing is still as the phone last saw it."""
from dataclasses import fields

from flask_babel import gettext as _

from ..errors import InvalidInput, InvalidState
from ..extensions import db
from ..idempotency import claim, settle
from ..media.uploads import take_finished
from . import edits
from .models import MAX_PHOTOS, Product
from .service import ProductDetails, add_photo, create_product, submit_product, update_product

CREATE_ACTION = "create_listing"


class EditConflict(InvalidState):
    """The listing changed on the server since the phone's draft was made from it."""

    def __init__(self, product):
        super().__init__(_("Produk ini berubah di server sejak draf Anda dibuat. Pilih versi yang dipakai."))
        self.product = product


def version_of(product):
    """The token a draft carries back to say which state of the listing it was made from (a change awaiting
    review included: it is what the producer's pages show)."""
    moments = [product.updated_at] + ([product.pending_edit.updated_at] if product.pending_edit else [])
    return max(moment for moment in moments if moment is not None).isoformat(timespec="microseconds")


def listing_fields(product):
    """The listing's editable fields as plain values, as the phone shows them next to its draft."""
    shown = edits.shown_to_producer(product)
    values = {field.name: getattr(shown, field.name) for field in fields(ProductDetails)}
    values["halal_expires_on"] = shown.halal_expires_on.isoformat() if shown.halal_expires_on else ""
    return {**values, "status": product.status, "version": version_of(product)}


def create_listing_once(shop, producer, key, details, upload_tokens, alt_text=""):
    """Create the listing with its finished photos (in order) and send it for review, exactly once per key.

    Returns (product, created): a key seen before returns the listing its first attempt made."""
    earlier = claim(producer, key, CREATE_ACTION)
    if earlier is not None:
        product = db.session.get(Product, earlier.target_id) if earlier.target_id else None
        if product is None or product.shop_id != shop.id:
            raise InvalidState(_("Draf ini sudah pernah dikirim."))
        return product, False
    if len(upload_tokens) > MAX_PHOTOS:
        raise InvalidInput(_("Paling banyak %(n)d foto per produk.", n=MAX_PHOTOS), field="photo")
    product = create_product(shop, details)
    for upload in take_finished(producer, upload_tokens):
        add_photo(product, upload, alt_text)
    submit_product(product)
    settle(producer, key, product.id)
    return product, True


def edit_listing_checked(product, producer, key, details, version, upload_tokens=()):
    """Apply a draft edit only if the listing is still the version the draft was made from.

    A replayed key changes nothing again; a changed listing raises EditConflict carrying the server's one."""
    if claim(producer, key, "edit_listing", product.id) is not None:
        return product, False
    if version != version_of(product):
        raise EditConflict(product)
    update_product(product, details)
    for upload in take_finished(producer, list(upload_tokens)):
        add_photo(product, upload)
    return product, True
