"""Changes to an approved listing held apart until an admin confirms them.

The product row is always the version an admin approved: it is all that public pages, the search index (both
backends), the API and checkout ever read. A producer's change to reviewed content (title, description,
category, regulation numbers, photos) goes to the listing's one ProductEdit, started as a copy of the approved
version; confirming copies it onto the product, rejecting deletes it. Price, stock, unit and weight are not
reviewed and change the product at once. A trusted shop's changes apply at once too, as its new listings are
approved on submission; admins see them flagged afterwards.
"""
from ..models_base import utcnow
from .models import ProductEdit, ProductEditImage, ProductImage
from .slugs import retitle

# Edits to these fields of an approved listing need another look by an admin: buyers trust the
# regulation badges as much as the title.
REVIEWED_FIELDS = ("title", "description", "category_id", "pirt_number", "bpom_number", "halal_number",
                   "halal_expires_on")
PHOTO_FIELDS = ("content_hash", "position", "alt_text", "width", "height")


def holds_edits(product):
    """Whether changes to the listing's reviewed content wait for an admin instead of going public."""
    return product.pending_edit is not None or (product.status == "approved" and not product.shop.trusted)


def shown_to_producer(product):
    """What the producer sees and edits: the pending edit when there is one, else the listing itself."""
    return product.pending_edit or product


def edit_version(product):
    """A token naming the pending edit as it is now ('' for none): an admin confirms what they saw."""
    edit = product.pending_edit
    if edit is None or edit.updated_at is None:
        return ""
    return f"{edit.id}-{edit.updated_at:%Y%m%d%H%M%S%f}"


def editing_copy(product):
    """Where a change of reviewed content goes: the pending edit (started from the approved version, so a
    second edit before review replaces the first), or the product itself when nothing is held."""
    if not holds_edits(product):
        return product
    if product.pending_edit is None:
        product.pending_edit = ProductEdit(**{name: getattr(product, name) for name in REVIEWED_FIELDS})
        product.pending_edit.images = [ProductEditImage(**_photo(image)) for image in product.images]
    return product.pending_edit


def changed(product, target):
    """Record that `target` (from editing_copy) changed: an edit that came back to the approved version is
    dropped, any other waits for an admin; a change made to an approved listing itself is flagged."""
    if target is product:
        if product.status == "approved":
            product.changed_since_approval = True
        return
    if _same(target, product):
        product.pending_edit = None
        product.changed_since_approval = False
        return
    target.updated_at = utcnow()  # photo changes do not touch the edit's row, yet are a new version
    product.changed_since_approval = True
    # A new change supersedes the refusal of an earlier one.
    product.rejection_reason = ""


def publish(product):
    """Make the pending edit the listing's content (an admin confirmed it); False when there was none."""
    edit = product.pending_edit
    if edit is None:
        return False
    retitle(product, edit.title)
    for name in REVIEWED_FIELDS:
        setattr(product, name, getattr(edit, name))
    kept = {image.content_hash: image for image in product.images}
    images = []
    for photo in edit.images:
        image = kept.pop(photo.content_hash, None) or ProductImage()
        for name in PHOTO_FIELDS:
            setattr(image, name, getattr(photo, name))
        images.append(image)
    product.images[:] = images
    product.pending_edit = None
    return True


def discard(product):
    """Forget the pending edit (rejected, or the listing archived); the approved version stays."""
    product.pending_edit = None


def _photo(image):
    return {name: getattr(image, name) for name in PHOTO_FIELDS}


def _gallery(listing):
    return [(image.content_hash, image.alt_text) for image in listing.images]


def _same(edit, product):
    return all(getattr(edit, name) == getattr(product, name) for name in REVIEWED_FIELDS) and \
        _gallery(edit) == _gallery(product)
