"""The photo pipeline: validate an upload by decoding it, turn it upright, make it
sRGB without any metadata, and store a master plus WebP variants under the
master's content hash.

Keys: ``m/ab/<sha256>.jpg`` (master, longest side <= 2048 px; ``.webp`` for a
transparent photo, and for every photo stored before masters were JPEG) and
``v/ab/<sha256>-<size>.webp`` (variants, longest side <= size). A key never
changes its content, so the files can be cached forever. Pages link only to
variants; the master is what `flask media rebuild` makes them from.

Variants: every size in VARIANT_SIZES up to and including the first that holds
the whole master; that last one is the master's own size (never upscaled). So a
2000 px master gets 320, 640, 960 and 1280; a 900 px master gets 320, 640 and a
"960" of 900 px; a 200 px master gets only a "320" of 200 px.

960 came later than the others: photos stored before it have no "960" until
`flask media rebuild` makes it, and meanwhile /media/ answers for it with the
next larger variant they have (LEGACY_FALLBACK, see views.py).
"""
import hashlib
import io
import re
import struct
from dataclasses import dataclass
from functools import cache

import pillow_heif
from flask_babel import gettext as _
from PIL import Image, ImageCms, ImageFile, ImageOps, UnidentifiedImageError

from marketplace.errors import InvalidInput

from . import worker
from .limits import MAX_PHOTO_BYTES, photo_too_large
from .memory import heif_buffers_returned, return_large_buffers_to_the_system

MAX_PIXELS = 50_000_000
MASTER_MAX_SIDE = 2048
# 960 is what a phone picks for a portrait photo: a 412 px screen at 1.75x wants 665 px across, which a
# portrait "640" (480 px wide) is not and a portrait "1280" (960x1280, about 130 KB) is with twice the bytes.
VARIANT_SIZES = (320, 640, 960, 1280)
# Sizes added after photos were already stored: (size, the next larger size that every such photo has).
LEGACY_FALLBACK = {960: 1280}
# The name marketplace/media/urls.py imports. These are longest sides, not
# widths: a portrait variant "640" is 480 px wide (see variant_dimensions).
VARIANT_WIDTHS = VARIANT_SIZES
ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP", "HEIF")

# JPEG decodes at 1/2, 1/4 or 1/8 scale for much less work. We take the
# smallest scale whose longest side keeps at least this many pixels, so a
# 4000x3000 photo decodes at 2000x1500. (Pillow's draft keeps *each* side at
# least the requested size, so draft("RGB", (2048, 2048)) would not reduce a
# 4000x3000 photo at all.)
DRAFT_MIN_SIDE = 1536
# The modes Image.reduce handles (others, such as palette or 16-bit images, are resized as they come).
_REDUCIBLE_MODES = ("L", "LA", "RGB", "RGBA")
# A large HEIC is reduced in bands of this many blocks of pixels (a 12 MP photo: 16 bands of 256 rows).
_HEIF_BAND_BLOCKS = 128

# Measured with bench/images.py --sweep (12 MP photo-like JPEG, on this
# project's 2-vCPU VM): WebP method 0 takes a quarter of the CPU time of the
# default method 4, for about 20% more bytes on the variants. We keep method 0
# to stay near the 250 ms budget; the 640 px card image is about 40 KB at
# quality 75, well under its 60 KB goal.
VARIANT_WEBP = {"quality": 75, "method": 0}
# The master is only ever read back by `flask media rebuild`, so it is kept in the form cheapest to write that
# rebuilds variants at least as well as the WebP masters did: a 2000x1500 master is a JPEG in about 19 ms of CPU
# against 92 ms as WebP (quality 85, method 0), and variants rebuilt from it differ from those made from the
# pixels by 43-54 dB PSNR against WebP's 39-46 dB (full-resolution colour, 4:4:4). It is about 1 MB, 1.8 times
# the WebP; storage is cheap and no page links to it. JPEG has no alpha: a transparent photo's master stays WebP.
MASTER_JPEG = {"quality": 90, "subsampling": 0}
MASTER_WEBP = {"quality": 85, "method": 0}
# Masters by key suffix: what each suffix holds and how it is written.
MASTER_FORMATS = {"jpg": ("JPEG", MASTER_JPEG), "webp": ("WEBP", MASTER_WEBP)}
# HAMMING goes from a 2000 px master to 1280 px in about a third of LANCZOS's
# time; its edges come out a few percent softer, well below what WebP at
# quality 75 changes anyway.
RESAMPLE = Image.Resampling.HAMMING

# What a corrupt file of an accepted format raises from Pillow or pillow_heif.
_DECODE_ERRORS = (OSError, ValueError, SyntaxError, EOFError, struct.error)
_MASTER_KEY = re.compile(r"m/[0-9a-f]{2}/([0-9a-f]{64})\.(jpg|webp)")
_VARIANT_KEY = re.compile(r"v/([0-9a-f]{2})/([0-9a-f]{64})-(\d+)\.webp")


def legacy_variant_key(key):
    """For the key of a size added after a photo was stored (its "960"), the key of the variant stored instead
    (its "1280", which holds at least as many pixels); None for any other key."""
    match = _VARIANT_KEY.fullmatch(key)
    if match is None or int(match[3]) not in LEGACY_FALLBACK:
        return None
    return variant_key(match[2], LEGACY_FALLBACK[int(match[3])])


@dataclass(frozen=True)
class StoredImage:
    """Where one normalised photo lives: its hash, master size and variant keys."""

    content_hash: str
    width: int
    height: int
    master_key: str
    variant_keys: dict[int, str]
    variant_bytes: dict[int, int]


def master_key(content_hash, suffix="jpg"):
    """Storage key of the normalised master of content_hash ("webp" for a transparent or older photo)."""
    return f"m/{content_hash[:2]}/{content_hash}.{suffix}"


def photo_of_key(key):
    """(content hash, whether it is the master) of a master or variant key, of either master format; None for
    any other key."""
    if match := _MASTER_KEY.fullmatch(key):
        return match[1], True
    if match := _VARIANT_KEY.fullmatch(key):
        return match[2], False
    return None


def variant_key(content_hash, size):
    """Storage key of the variant of content_hash whose longest side is at most size."""
    return f"v/{content_hash[:2]}/{content_hash}-{size}.webp"


def variant_sizes(width, height):
    """The variant sizes stored for a master of width x height (see the module docstring)."""
    longest = max(width, height)
    sizes = []
    for size in VARIANT_SIZES:
        sizes.append(size)
        if size >= longest:
            break
    return tuple(sizes)


def variant_dimensions(width, height, size):
    """(width, height) of an image scaled down so its longest side is at most size."""
    longest = max(width, height)
    if longest <= size:
        return width, height
    return max(1, round(width * size / longest)), max(1, round(height * size / longest))


def process_upload(upload, storage):
    """Validate, normalise and store one photo (bytes or a binary stream); return where it lives.

    The decoding and encoding run in the low-priority photo child (worker.py); storing runs here."""
    master_bytes, suffix, variants, width, height = worker.run(_master_and_variants, read_upload(upload))
    content_hash = hashlib.sha256(master_bytes).hexdigest()
    keys = {size: variant_key(content_hash, size) for size in variants}
    files = {keys[size]: data for size, data in variants.items()}
    # The master goes last: a stored master means its variants were stored too.
    files[master_key(content_hash, suffix)] = master_bytes
    _store_new(storage, files)
    return StoredImage(
        content_hash=content_hash,
        width=width,
        height=height,
        master_key=master_key(content_hash, suffix),
        variant_keys=keys,
        variant_bytes={size: len(data) for size, data in variants.items()},
    )


def _master_and_variants(data):
    """(master bytes, the master's suffix, variants' WebP bytes by size, master width, master height) of one
    photo's bytes: all of the pipeline's CPU, run in the photo child."""
    with heif_buffers_returned(pillow_heif.is_supported(data)):
        master = _normalise(_decode(data))
        suffix = _master_suffix(master)
        return _encode_master(master, suffix), suffix, _encode_variants(master), master.width, master.height


def rebuild_variants(storage):
    """Regenerate every variant from the stored masters (JPEG or WebP); return how many variants were written."""
    _configure_pillow()
    written = 0
    for key in list(storage.keys("m/")):
        match = _MASTER_KEY.fullmatch(key)
        if match is None:
            continue
        with Image.open(io.BytesIO(storage.open(key)), formats=[MASTER_FORMATS[match[2]][0]]) as master:
            master.load()
            variants = _encode_variants(master)
        for size, data in variants.items():
            storage.save(variant_key(match[1], size), data)
        written += len(variants)
    return written


@cache
def _register_heif():
    # Thumbnails, depth maps and auxiliary images are never used: skip them.
    pillow_heif.register_heif_opener(thumbnails=False, depth_images=False, aux_images=False)


def _configure_pillow():
    """Register the HEIF opener and the decoding rules this pipeline relies on."""
    _register_heif()
    return_large_buffers_to_the_system()
    # We refuse more than MAX_PIXELS from the header, before decoding.
    # Pillow's own check would only *warn* between its limit and twice it.
    Image.MAX_IMAGE_PIXELS = None
    # A truncated upload must be refused, never padded with grey.
    ImageFile.LOAD_TRUNCATED_IMAGES = False


def _unsupported_format():
    return InvalidInput(_("Format foto tidak didukung. Gunakan JPEG, PNG, WebP atau HEIC."))


def read_upload(upload):
    """The upload's bytes, refused if empty or larger than MAX_PHOTO_BYTES."""
    if isinstance(upload, (bytes, bytearray, memoryview)):
        data = bytes(upload)
    else:
        # One byte over the limit is enough to know it is too large.
        data = upload.read(MAX_PHOTO_BYTES + 1)
    if not data:
        raise InvalidInput(_("Berkas foto kosong. Pilih foto JPEG, PNG, WebP atau HEIC."))
    if len(data) > MAX_PHOTO_BYTES:
        raise InvalidInput(photo_too_large())
    return data


def photo_header(data):
    """(width, height, format) read from the header alone, without decoding; refuses what _decode would."""
    img = _open(data)
    return img.width, img.height, img.format


def _open(data):
    """Identify data by its content and read its header; refuse other formats and decompression bombs."""
    _configure_pillow()
    try:
        img = Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS)
    except UnidentifiedImageError:
        raise _unsupported_format() from None
    except _DECODE_ERRORS as error:
        raise _corrupt() from error
    # Image.open has read only the header: refuse a decompression bomb now.
    if img.width * img.height > MAX_PIXELS:
        raise InvalidInput(_("Resolusi foto terlalu besar: maksimal %(mp)d megapiksel. "
                             "Perkecil foto lalu coba lagi.", mp=MAX_PIXELS // 1_000_000))
    return img


def _decode(data):
    """Identify data by its content and decode it fully; refuse anything else."""
    img = _open(data)
    longest = max(img.size)
    scale = max(1, longest // DRAFT_MIN_SIDE)
    if img.format == "HEIF" and scale >= 2 and img.mode in _REDUCIBLE_MODES:
        return _decode_heif_reduced(data, scale)
    # Only JPEG implements draft; for the other formats this does nothing.
    img.draft("RGB", (max(1, img.width // scale), max(1, img.height // scale)))
    try:
        img.load()
    except _DECODE_ERRORS as error:
        raise _corrupt() from error
    return _reduce(img)


def _decode_heif_reduced(data, scale):
    """A large HEIF's primary image reduced by scale, band by band from libheif's own pixel buffer.

    The Pillow plugin would copy all of a 12 MP iPhone photo into Pillow (48 MB, four bytes a pixel) while
    libheif's 36 MB are still held, a 120 MB peak; band by band, only the reduced image (a quarter) is added.
    The result is the same as reducing the whole image, since no block of scale x scale pixels spans two bands.
    libheif has already turned the pixels as the file's irot/imir boxes say; as the plugin does, the EXIF
    orientation is then set to 1 (pillow_heif.set_orientation)."""
    try:
        heif = pillow_heif.open_heif(io.BytesIO(data), convert_hdr_to_8bit=True, remove_stride=False)
        frame = heif[heif.primary_index]
        mode, (width, height), stride = frame.mode, frame.size, frame.stride
        pixels = memoryview(frame.data)  # libheif decodes here
        reduced = Image.new(mode, (-(-width // scale), -(-height // scale)))
        rows = scale * _HEIF_BAND_BLOCKS
        band = None
        for top in range(0, height, rows):
            count = min(rows, height - top)
            if band is None or band.height != count:
                band = Image.new(mode, (width, count))
            # Into the same band each time: a new 3 MB image per band would be 48 MB of fresh pages per photo.
            band.frombytes(pixels[top * stride:(top + count) * stride], "raw", mode, stride)
            reduced.paste(band.reduce(scale), (0, top // scale))
        info = dict(frame.info)
    except (*_DECODE_ERRORS, RuntimeError) as error:
        raise _corrupt() from error
    reduced.info = info
    reduced.info["original_orientation"] = pillow_heif.set_orientation(reduced.info)
    return reduced


def _reduce(img):
    """img shrunk by the integer factor JPEG's draft would have used, for the formats that have no draft (a 12 MP
    HEIC from an iPhone, a large PNG or WebP): a box average of whole pixel blocks costs a fraction of resizing the
    full image to the master's size, and the full-size pixels are freed at once. JPEG comes here already drafted."""
    scale = max(img.size) // DRAFT_MIN_SIDE
    if scale < 2 or img.mode not in _REDUCIBLE_MODES:
        return img
    return img.reduce(scale)


def _corrupt():
    return InvalidInput(_("Foto rusak atau tidak lengkap. Coba unggah ulang, "
                          "atau pilih foto lain (JPEG, PNG, WebP atau HEIC)."))


def _normalise(img):
    """Upright, 8-bit sRGB (RGBA if transparent), no metadata, longest side <= MASTER_MAX_SIDE."""
    img = _to_srgb(_upright(img))
    # Every output image is new and saved with no exif/xmp/icc options, so
    # nothing from the upload's metadata (GPS!) can reach the stored files.
    img.info.clear()
    return _fit(img, MASTER_MAX_SIDE)


def _upright(img):
    """img turned as its EXIF orientation says; an unreadable EXIF block leaves it as stored."""
    try:
        # In place: img is ours alone, and an upright photo would otherwise be copied whole for nothing.
        return ImageOps.exif_transpose(img, in_place=True) or img
    except _DECODE_ERRORS:
        # The pixels decoded fine: refusing the photo over garbled EXIF helps nobody.
        return img


def _to_srgb(img):
    """Convert to 8-bit sRGB: RGB, or RGBA when the image has transparency data."""
    icc = img.info.get("icc_profile")
    if img.mode.startswith("I"):
        # 16-bit grey (I;16, I): scale to 8 bits; a plain convert("L") clips to white.
        img = img.point(lambda value: value / 257, "L")
    target = "RGBA" if img.has_transparency_data else "RGB"
    # L, RGB and CMYK keep their own colour space until the ICC profile is applied.
    native = ("RGBA",) if target == "RGBA" else ("L", "RGB", "CMYK")
    if img.mode not in native:
        img = img.convert(target)
    if icc:
        img = _apply_icc(img, icc, target)
    if img.mode != target:
        img = img.convert(target)
    return img


def _apply_icc(img, icc, target):
    """Convert img from its embedded ICC profile to sRGB; an unusable profile is ignored."""
    try:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        return ImageCms.profileToProfile(img, profile, _srgb_profile(),
                                         renderingIntent=ImageCms.Intent.PERCEPTUAL, outputMode=target)
    except (ImageCms.PyCMSError, OSError, ValueError):
        # A broken or mismatched profile (a grey profile on RGB pixels): assume sRGB.
        return img


@cache
def _srgb_profile():
    return ImageCms.createProfile("sRGB")


def _fit(img, size):
    """img scaled down so its longest side is at most size (the same image if it already fits)."""
    dims = variant_dimensions(img.width, img.height, size)
    return img if dims == img.size else img.resize(dims, RESAMPLE)


def _encode(img, options, fmt="WEBP"):
    """img as bytes of fmt (WebP unless told)."""
    buffer = io.BytesIO()
    img.save(buffer, fmt, **options)
    return buffer.getvalue()


def _master_suffix(master):
    """The key suffix of master's stored form: JPEG, or WebP when it has an alpha channel."""
    return "webp" if master.mode == "RGBA" else "jpg"


def _encode_master(master, suffix):
    """master's bytes in the stored form suffix names (see MASTER_FORMATS)."""
    fmt, options = MASTER_FORMATS[suffix]
    return _encode(master, options, fmt)


def _encode_variants(master):
    """WebP bytes of each variant of master by size, each resized from the next larger one."""
    source, encoded = master, {}
    for size in reversed(variant_sizes(master.width, master.height)):
        # Dimensions come from the master, as templates compute them for srcset.
        dims = variant_dimensions(master.width, master.height, size)
        if source.size != dims:
            source = source.resize(dims, RESAMPLE)
        encoded[size] = _encode(source, VARIANT_WEBP)
    return dict(sorted(encoded.items()))


def _store_new(storage, files):
    """Save the files not stored yet, in order; on failure remove the ones this call wrote."""
    written = []
    try:
        for key, data in files.items():
            if not storage.exists(key):
                storage.save(key, data)
                written.append(key)
    except Exception:
        for key in written:
            storage.delete(key)
        raise


def normalised_webp(upload):
    """One photo validated and cleaned exactly as process_upload does (decoded fully, upright, no metadata), as
    WebP bytes at the quality of a master, stored nowhere: for files the caller keeps privately (proofs of
    payment), which are downloaded as they are and never rebuilt. The work runs in the photo child."""
    return worker.run(_normalised_master, read_upload(upload))


def _normalised_master(data):
    """The WebP bytes of the normalised master of one photo's bytes (run in the photo child)."""
    return _encode(_normalise(_decode(data)), MASTER_WEBP)
