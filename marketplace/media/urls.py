"""Template helpers that turn a photo's content hash into URLs."""
from flask import url_for

from .service import VARIANT_WIDTHS, variant_key


def media_url(content_hash, width=640):
    """The URL of one WebP variant of a stored photo."""
    return url_for("media.serve", key=variant_key(content_hash, width))


def media_srcset(content_hash):
    """A srcset listing every variant, for responsive <img> tags."""
    return ", ".join(f"{media_url(content_hash, width)} {width}w" for width in VARIANT_WIDTHS)
