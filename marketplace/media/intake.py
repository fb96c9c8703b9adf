"""What a batch of uploads will cost, known before any of it is decoded: each photo's bytes are read and its
header inspected, and a photo or a request that would take too much CPU and memory is refused at once.

Decoding is where a photo costs: a 49 MP PNG takes seconds of CPU and half a gigabyte. A JPEG decodes at a
reduced scale (DRAFT_MIN_SIDE), so a 48 MP phone JPEG costs about 3 MP; PNG, WebP and HEIC decode whole.
"""
from dataclasses import dataclass

from flask_babel import gettext as _

from ..errors import InvalidInput
from .service import DRAFT_MIN_SIDE, photo_header, read_upload

# Pixels decoded for one photo: above it, a photo costs seconds of CPU. The browser shrinks photos to 2048 px
# before sending (about 3-4 MP), and a JPEG straight from a 48 MP phone decodes at a quarter of its sides.
MAX_DECODED_PIXELS = 25_000_000
# Pixels decoded for all the photos of one request: eight browser-shrunk photos use about half of it.
REQUEST_PIXEL_BUDGET = 64_000_000


@dataclass(frozen=True)
class PendingPhoto:
    """An upload read and measured, not decoded yet."""

    data: bytes
    filename: str
    decoded_pixels: int


def decoded_pixels(width, height, image_format):
    """How many pixels decoding will produce: JPEG at the draft scale the pipeline asks for, others whole."""
    if image_format != "JPEG":
        return width * height
    wanted = max(1, max(width, height) // DRAFT_MIN_SIDE)
    reduce = 1
    while reduce * 2 <= min(wanted, 8):
        reduce *= 2
    return -(-width // reduce) * -(-height // reduce)


def take(upload):
    """Read one upload (bytes or a file) and measure it; InvalidInput when it alone is too costly."""
    filename = (getattr(upload, "filename", "") or "")[:80]
    data = read_upload(upload)
    width, height, image_format = photo_header(data)
    pixels = decoded_pixels(width, height, image_format)
    if pixels > MAX_DECODED_PIXELS:
        raise InvalidInput(_("Foto ini terlalu besar untuk diolah: maksimal %(mp)d megapiksel untuk PNG, WebP dan "
                             "HEIC. Perkecil foto atau simpan sebagai JPEG lalu coba lagi.",
                             mp=MAX_DECODED_PIXELS // 1_000_000))
    return PendingPhoto(data=data, filename=filename, decoded_pixels=pixels)


def check_budget(pending):
    """Refuse a batch whose photos together would decode more than REQUEST_PIXEL_BUDGET pixels."""
    if sum(photo.decoded_pixels for photo in pending) > REQUEST_PIXEL_BUDGET:
        raise InvalidInput(_("Foto-foto ini terlalu besar untuk dikirim sekaligus. Kirim lebih sedikit foto "
                             "sekaligus, atau perkecil fotonya lalu coba lagi."))
