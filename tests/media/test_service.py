"""The photo pipeline: real files through process_upload into a real LocalStorage."""
import io
import json
import math
import struct
import subprocess
import sys
from pathlib import Path

import pytest
from flask import Flask
from flask_babel import Babel
from PIL import Image, ImageChops, ImageFile, ImageStat

from marketplace.errors import InvalidInput
from marketplace.media import service
from marketplace.media.service import (MAX_PHOTO_BYTES, master_key, process_upload, rebuild_variants,
                                       variant_dimensions, variant_key)
from marketplace.media.storage import LocalStorage

from . import images


@pytest.fixture(autouse=True)
def babel_context():
    """Messages are built with gettext, as in the app: give them an app with Babel."""
    app = Flask(__name__)
    Babel(app)
    with app.app_context():
        yield


@pytest.fixture
def storage(tmp_path):
    """An empty LocalStorage in the test's temporary directory."""
    return LocalStorage(tmp_path / "media")


@pytest.fixture
def files(tmp_path):
    """A folder for the uploads the test builds, outside the storage."""
    folder = tmp_path / "uploads"
    folder.mkdir()
    return folder


def stored_files(storage):
    """Every file under the storage root, temporary files included."""
    return sorted(p for p in storage.root.rglob("*") if p.is_file()) if storage.root.exists() else []


def open_stored(storage, key):
    """The stored image under key, decoded."""
    img = Image.open(io.BytesIO(storage.open(key)))
    img.load()
    return img


def mean_colour(img, box):
    """Average RGB of a box given as fractions (left, top, right, bottom) of the image."""
    w, h = img.size
    region = img.convert("RGB").crop((int(box[0] * w), int(box[1] * h), int(box[2] * w), int(box[3] * h)))
    return tuple(round(v) for v in ImageStat.Stat(region).mean)


def close_to(colour, expected, tolerance=40):
    """Whether each channel of colour is within tolerance of expected."""
    return all(abs(a - b) <= tolerance for a, b in zip(colour, expected))


def riff_chunks(data):
    """The chunk names of a WebP (RIFF) file."""
    assert data[:4] == b"RIFF" and data[8:12] == b"WEBP"
    names, offset = [], 12
    while offset < len(data):
        name, size = data[offset:offset + 4], struct.unpack("<I", data[offset + 4:offset + 8])[0]
        names.append(name)
        offset += 8 + size + (size & 1)
    return names


def jpeg_segments(data):
    """The marker bytes of a JPEG's segments up to its image data (0xE0 is JFIF, 0xE1 EXIF or XMP, 0xE2 ICC)."""
    assert data[:2] == b"\xff\xd8"
    markers, offset = [], 2
    while data[offset + 1] != 0xDA:  # start of scan: the compressed image follows
        assert data[offset] == 0xFF
        markers.append(data[offset + 1])
        offset += 2 + struct.unpack(">H", data[offset + 2:offset + 4])[0]
    return markers


def assert_container_holds_only_pixels(data):
    """A WebP of image chunks only, or a JPEG whose only application segment is the bare JFIF header."""
    if data[:4] == b"RIFF":
        assert set(riff_chunks(data)) <= {b"VP8 ", b"VP8L", b"VP8X", b"ALPH"}
    else:
        markers = jpeg_segments(data)
        assert 0xE0 in markers and 0xDB in markers  # the segments were really read: JFIF, quantisation tables
        assert [m for m in markers if 0xE1 <= m <= 0xEF or m == 0xFE] == []  # no APP1-APP15, no comment


def assert_upright(img):
    """Red top, blue bottom, green top-left corner: the picture of images.upright_picture."""
    assert close_to(mean_colour(img, (0.4, 0.05, 0.9, 0.4)), images.RED)
    assert close_to(mean_colour(img, (0.1, 0.6, 0.9, 0.95)), images.BLUE)
    assert close_to(mean_colour(img, (0.0, 0.0, 0.08, 0.08)), images.GREEN)
    assert close_to(mean_colour(img, (0.92, 0.0, 1.0, 0.08)), images.RED)


# --- refused files -------------------------------------------------------------------------

UNSUPPORTED = "Format foto tidak didukung. Gunakan JPEG, PNG, WebP atau HEIC."


@pytest.mark.parametrize("build, message", [
    (images.gif_named_jpg, UNSUPPORTED),
    (images.svg, UNSUPPORTED),
    (images.text_file, UNSUPPORTED),
    (images.saved_as("TIFF", "tiff"), UNSUPPORTED),
    (images.saved_as("PDF", "pdf"), UNSUPPORTED),
    (images.saved_as("BMP", "bmp"), UNSUPPORTED),
    (images.saved_as("AVIF", "avif"), UNSUPPORTED),
    (images.empty_file, "Berkas foto kosong. Pilih foto JPEG, PNG, WebP atau HEIC."),
    (images.truncated_jpeg, "Foto rusak atau tidak lengkap"),
    (images.bomb_png, "maksimal 50 megapiksel"),
], ids=lambda value: getattr(value, "__name__", None))
def test_bad_file_is_refused_and_leaves_nothing(build, message, files, storage):
    path = build(files)
    with pytest.raises(InvalidInput) as refused:
        process_upload(path.read_bytes(), storage)
    assert message in refused.value.message
    assert stored_files(storage) == []


def test_accepted_formats_are_named_when_refusing_a_format(files, storage):
    with pytest.raises(InvalidInput) as refused:
        process_upload(images.gif_named_jpg(files).read_bytes(), storage)
    for name in ("JPEG", "PNG", "WebP", "HEIC"):
        assert name in refused.value.message


def test_pixel_limit_is_checked_from_the_header_before_decoding(files, storage):
    # 60 MP claimed, but the pixel data stops at once: decoding would fail
    # with "rusak", so the megapixel message proves the header was checked first.
    path = images.header_only_png(files, 10_000, 6_000)
    with pytest.raises(InvalidInput) as refused:
        process_upload(path.read_bytes(), storage)
    assert "50 megapiksel" in refused.value.message
    assert stored_files(storage) == []


def test_truncated_file_is_refused_even_if_someone_allows_truncated_images(files, storage, monkeypatch):
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    with pytest.raises(InvalidInput, match="rusak"):
        process_upload(images.truncated_jpeg(files).read_bytes(), storage)
    assert stored_files(storage) == []


@pytest.mark.parametrize("as_stream", [False, True])
def test_file_over_the_size_limit_is_refused(as_stream, storage):
    data = b"\xff\xd8\xff\xe0" + b"\x00" * MAX_PHOTO_BYTES
    with pytest.raises(InvalidInput, match="maksimal 15 MB"):
        process_upload(io.BytesIO(data) if as_stream else data, storage)
    assert stored_files(storage) == []


def test_failed_write_removes_what_was_written(files, storage):
    class FailingStorage(LocalStorage):
        """Fails on the third file, like a full disk."""

        saves = 0

        def save(self, key, data):
            self.saves += 1
            if self.saves == 3:
                raise OSError("No space left on device")
            super().save(key, data)

    failing = FailingStorage(storage.root)
    with pytest.raises(OSError):
        process_upload(images.plain_png(files, 1600, 1200).read_bytes(), failing)
    assert failing.saves == 3
    assert stored_files(storage) == []


# --- accepted files ------------------------------------------------------------------------

def test_phone_photo_is_upright_sized_and_stored(files, storage):
    with images.phone_jpeg(files).open("rb") as upload:
        stored = process_upload(upload, storage)
    # Stored sideways (4000x3000) with orientation 6: upright it is portrait,
    # decoded at half size by JPEG draft mode rather than resized to 2048.
    assert (stored.width, stored.height) == (1500, 2000)
    assert stored.master_key == master_key(stored.content_hash)
    assert set(stored.variant_keys) == {320, 640, 960, 1280}
    master = open_stored(storage, stored.master_key)
    assert master.size == (stored.width, stored.height)
    assert stored.master_key.endswith(".jpg") and master.format == "JPEG"
    assert_upright(master)
    for size, key in stored.variant_keys.items():
        assert key == variant_key(stored.content_hash, size)
        variant = open_stored(storage, key)
        assert variant.size == variant_dimensions(stored.width, stored.height, size)
        assert max(variant.size) == size
        assert stored.variant_bytes[size] == len(storage.open(key))
        assert_upright(variant)
    assert len(stored_files(storage)) == 5


@pytest.mark.parametrize("build", [images.phone_jpeg, images.heic, images.webp_with_metadata],
                         ids=lambda build: build.__name__)
def test_stored_files_carry_no_metadata(build, files, storage):
    path = build(files)
    with Image.open(path) as original:  # the upload really has GPS, so the test means something
        assert original.getexif().get_ifd(0x8825)
    stored = process_upload(path.read_bytes(), storage)
    for key in [stored.master_key, *stored.variant_keys.values()]:
        data = storage.open(key)
        assert_container_holds_only_pixels(data)
        # "acsp" is the signature inside every ICC profile.
        for marker in (b"Exif", b"xmpmeta", images.CAMERA_MAKE.encode(), b"acsp"):
            assert marker not in data
        img = open_stored(storage, key)
        assert len(img.getexif()) == 0
        assert not {"exif", "xmp", "icc_profile"} & set(img.info)


def test_html_appended_to_a_jpeg_does_not_survive(files, storage):
    stored = process_upload(images.jpeg_with_html(files).read_bytes(), storage)
    assert_upright(open_stored(storage, stored.master_key))
    for path in stored_files(storage):
        data = path.read_bytes()
        for fragment in (images.HTML, b"<html", b"script", b"alert(1)"):
            assert fragment not in data


def test_cmyk_jpeg_keeps_its_colours(files, storage):
    stored = process_upload(images.cmyk_jpeg(files).read_bytes(), storage)
    img = open_stored(storage, stored.variant_keys[320])
    assert img.mode == "RGB"
    assert_upright(img)


def test_icc_profile_is_applied(files, storage):
    # Pure red values tagged with a profile in which they mean blue.
    stored = process_upload(images.red_png_tagged_blue(files).read_bytes(), storage)
    r, g, b = mean_colour(open_stored(storage, stored.master_key), (0, 0, 1, 1))
    assert b > 200 and r < 60 and g < 60


def test_16_bit_png_keeps_its_tones(files, storage):
    stored = process_upload(images.png16(files).read_bytes(), storage)
    img = open_stored(storage, stored.master_key).convert("L")
    left, middle, right = (mean_colour(img, (x, 0, x + 0.05, 1))[0] for x in (0.0, 0.475, 0.95))
    assert left < 20 and right > 235 and 100 < middle < 155


def test_transparency_is_kept(files, storage):
    stored = process_upload(images.transparent_png(files).read_bytes(), storage)
    # JPEG has no alpha channel: a transparent photo's master is a WebP.
    assert stored.master_key == master_key(stored.content_hash, "webp")
    for key in [stored.master_key, *stored.variant_keys.values()]:
        img = open_stored(storage, key)
        assert img.mode == "RGBA"
        alpha = img.getchannel("A")
        assert mean_colour(alpha.convert("RGB"), (0, 0, 0.4, 1))[0] == 0
        assert mean_colour(alpha.convert("RGB"), (0.6, 0, 1, 1))[0] == 255
        assert close_to(mean_colour(img.convert("RGB"), (0.6, 0, 1, 1)), images.RED)


def test_palette_transparency_is_kept(files, storage):
    stored = process_upload(images.palette_png_with_transparency(files).read_bytes(), storage)
    img = open_stored(storage, stored.master_key)
    assert img.mode == "RGBA"
    assert img.getpixel((10, 50))[3] == 0 and img.getpixel((90, 50))[3] == 255


def test_heic_is_accepted(files, storage):
    stored = process_upload(images.heic(files).read_bytes(), storage)
    assert (stored.width, stored.height) == (640, 480)
    assert_upright(open_stored(storage, stored.variant_keys[640]))


def test_large_heic_is_reduced_while_decoding_like_the_whole_image(files, storage):
    path = images.large_heic(files)
    stored = process_upload(path.read_bytes(), storage)
    assert (stored.width, stored.height) == (1600, 201)
    master = open_stored(storage, stored.master_key)
    # Red top, blue bottom, the green square (80 px of 3200) in the top-left corner.
    assert close_to(mean_colour(master, (0.4, 0.05, 0.9, 0.4)), images.RED)
    assert close_to(mean_colour(master, (0.1, 0.6, 0.9, 0.95)), images.BLUE)
    assert close_to(mean_colour(master, (0.0, 0.0, 0.02, 0.15)), images.GREEN)
    assert len(master.getexif()) == 0
    # Band by band gives what reducing the whole decoded image gives (up to the master's WebP encoding).
    with Image.open(path) as whole:
        expected = whole.convert("RGB").reduce(2)
    difference = ImageStat.Stat(ImageChops.difference(master.convert("RGB"), expected)).mean
    assert max(difference) < 3


def test_unreadable_exif_does_not_cost_the_photo(files, storage):
    stored = process_upload(images.heic_with_broken_exif(files).read_bytes(), storage)
    assert (stored.width, stored.height) == (64, 48)


@pytest.mark.parametrize("size, master, variants", [
    ((3000, 1000), (2048, 683), {320: (320, 107), 640: (640, 213), 960: (960, 320), 1280: (1280, 427)}),
    ((1000, 600), (1000, 600), {320: (320, 192), 640: (640, 384), 960: (960, 576), 1280: (1000, 600)}),
    ((900, 600), (900, 600), {320: (320, 213), 640: (640, 427), 960: (900, 600)}),
    ((500, 300), (500, 300), {320: (320, 192), 640: (500, 300)}),
    ((200, 100), (200, 100), {320: (200, 100)}),
])
def test_sizes_are_never_upscaled(size, master, variants, files, storage):
    stored = process_upload(images.plain_png(files, *size).read_bytes(), storage)
    assert (stored.width, stored.height) == master
    assert open_stored(storage, stored.master_key).size == master
    assert {s: open_stored(storage, key).size for s, key in stored.variant_keys.items()} == variants


def test_same_upload_twice_is_stored_once(files, storage):
    data = images.plain_png(files, 900, 700).read_bytes()
    first = process_upload(data, storage)
    before = {path: path.stat().st_mtime_ns for path in stored_files(storage)}
    second = process_upload(data, storage)
    assert second == first
    assert {path: path.stat().st_mtime_ns for path in stored_files(storage)} == before


def test_different_photos_get_different_keys(files, storage):
    one = process_upload(images.plain_png(files, 900, 700, "a.png").read_bytes(), storage)
    other = process_upload(images.plain_png(files, 700, 900, "b.png").read_bytes(), storage)
    assert one.content_hash != other.content_hash
    assert len(stored_files(storage)) == 2 * 4  # each: master, 320, 640 and a "960" of 900 px


# --- rebuild -------------------------------------------------------------------------------

def test_rebuild_regenerates_deleted_variants(files, storage):
    wide = process_upload(images.plain_png(files, 1600, 1200, "wide.png").read_bytes(), storage)
    small = process_upload(images.plain_png(files, 500, 300, "small.png").read_bytes(), storage)
    for stored in (wide, small):
        for key in stored.variant_keys.values():
            storage.delete(key)
    assert rebuild_variants(storage) == 4 + 2  # 320, 640, 960 and a "1280" of 1600 px; 320 and a "640"
    for stored in (wide, small):
        for size, key in stored.variant_keys.items():
            img = open_stored(storage, key)
            assert img.size == variant_dimensions(stored.width, stored.height, size)
            assert_upright(img)


def psnr(a, b):
    """PSNR in dB between two images of the same size, in RGB."""
    histogram = ImageChops.difference(a.convert("RGB"), b.convert("RGB")).histogram()
    mse = sum(count * (value % 256) ** 2 for value, count in enumerate(histogram)) / sum(histogram)
    return float("inf") if mse == 0 else 10 * math.log10(255 ** 2 / mse)


def test_variants_rebuilt_from_the_jpeg_master_are_those_made_from_the_upload(files, storage):
    path = files / "photo.jpg"
    images.photo_like(2400, 1800).save(path, "JPEG", quality=92)
    stored = process_upload(path.read_bytes(), storage)
    first = {size: open_stored(storage, key) for size, key in stored.variant_keys.items()}
    for key in stored.variant_keys.values():
        storage.delete(key)
    assert rebuild_variants(storage) == 4
    for size, key in stored.variant_keys.items():
        rebuilt = open_stored(storage, key)
        assert rebuilt.size == first[size].size
        # Only WebP's own rounding differs: the master lost next to nothing (about 40 dB; 30 dB is visible).
        assert psnr(rebuilt, first[size]) > 37
        assert max(ImageStat.Stat(ImageChops.difference(rebuilt, first[size])).mean) < 2.5


def test_rebuild_ignores_stray_files(storage):
    storage.save("m/zz/not-a-master.webp", b"junk")
    assert rebuild_variants(storage) == 0
    assert not list(storage.keys("v/"))


def test_key_helpers_for_templates():
    content_hash = "ab" + "0" * 62
    assert master_key(content_hash) == f"m/ab/{content_hash}.jpg"
    assert master_key(content_hash, "webp") == f"m/ab/{content_hash}.webp"
    assert service.photo_of_key(f"m/ab/{content_hash}.jpg") == (content_hash, True)
    assert service.photo_of_key(f"m/ab/{content_hash}.webp") == (content_hash, True)
    assert service.photo_of_key(f"v/ab/{content_hash}-640.webp") == (content_hash, False)
    for stray in (f"m/ab/{content_hash}.png", f"v/ab/{content_hash}-640.jpg", "m/zz/not-a-master.webp"):
        assert service.photo_of_key(stray) is None
    assert variant_key(content_hash, 640) == f"v/ab/{content_hash}-640.webp"
    assert service.variant_sizes(2000, 1500) == (320, 640, 960, 1280)


# --- 12 MP photos: bytes and memory ----------------------------------------------------------

# Runs in a fresh interpreter: several photos one after the other, as the photo child (worker.py) takes them,
# through the very function the child runs, then the growth of the peak resident set (VmHWM, reset first) and the
# bytes of each variant. Pixel buffers are malloc'ed by C libraries, which tracemalloc does not see, so only the
# resident set tells; and it must be the resident set of the process that decodes, not of the web process.
_MEASURE = """
import json, sys
from pathlib import Path
from marketplace.media.service import _master_and_variants

def kib(field):
    return next(int(line.split()[1]) for line in Path("/proc/self/status").read_text().splitlines()
                if line.startswith(field + ":"))

data, runs = Path(sys.argv[1]).read_bytes(), int(sys.argv[2])
Path("/proc/self/clear_refs").write_text("5")
baseline = kib("VmRSS")
for _ in range(runs):
    _master, _suffix, variants, width, height = _master_and_variants(data)
print(json.dumps({"peak_mb": (kib("VmHWM") - baseline) / 1024,
                  "bytes": {size: len(variant) for size, variant in variants.items()}, "size": [width, height]}))
"""


@pytest.fixture(scope="module")
def twelve_megapixels(tmp_path_factory):
    """A 12 MP phone JPEG (on its side, EXIF orientation 6) and a 12 MP HEIC, both photo-like."""
    folder = tmp_path_factory.mktemp("twelve-megapixels")
    return {"jpeg": images.large_phone_jpeg(folder), "heic": images.large_phone_heic(folder)}


@pytest.mark.skipif(not Path("/proc/self/clear_refs").exists(), reason="needs Linux's /proc to measure memory")
@pytest.mark.parametrize("kind", ["jpeg", "heic"])
def test_twelve_megapixel_photos_stay_under_80_mb_and_their_card_image_under_60_kb(kind, twelve_megapixels):
    # Five photos in one process: without the fixed mmap threshold (memory.py) the heap keeps what libheif and
    # Pillow freed, and five HEICs reach about 100 MB.
    result = subprocess.run([sys.executable, "-c", _MEASURE, str(twelve_megapixels[kind]), "5"],
                            capture_output=True, text=True, check=True, cwd=Path(__file__).parents[2])
    figures = json.loads(result.stdout)
    assert figures["size"] == [1500, 2000]
    assert figures["peak_mb"] < 80
    assert 5_000 < figures["bytes"]["640"] < 60_000  # the picture really has detail, and the card stays light
