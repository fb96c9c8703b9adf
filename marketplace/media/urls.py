"""Template helpers that turn a stored photo into URLs."""
from .service import VARIANT_SIZES, variant_dimensions, variant_key, variant_sizes
from .storage import get_storage


def media_url(content_hash, size=VARIANT_SIZES[0]):
    """The URL of one WebP variant (this app's /media/, or the object store's public URL); the
    smallest size exists for every photo."""
    return get_storage().url(variant_key(content_hash, size))


def media_src(image, size):
    """The URL of the variant closest to `size` that this photo (anything with content_hash, width,
    height) really has: a small photo has no large variants."""
    available = variant_sizes(image.width, image.height)
    chosen = max((s for s in available if s <= size), default=available[0])
    return media_url(image.content_hash, chosen)


def media_srcset(image):
    """A srcset of the photo's variants, each labelled with its real pixel width."""
    entries = []
    for size in variant_sizes(image.width, image.height):
        width, _height = variant_dimensions(image.width, image.height, size)
        entries.append(f"{media_url(image.content_hash, size)} {width}w")
    return ", ".join(entries)
