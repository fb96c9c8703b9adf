"""Uploads are measured before anything is decoded: a photo or a request that would cost too much CPU and memory
is refused with a clear message, and a 48 MP phone JPEG still goes through."""
import io

import pytest
from PIL import Image

from marketplace.catalogue import service as catalogue
from marketplace.errors import InvalidInput
from marketplace.media import intake
from marketplace.media.storage import get_storage
from tests.media import images


def jpeg(width, height):
    buffer = io.BytesIO()
    Image.new("L", (width, height), 128).save(buffer, "JPEG", quality=50)
    return buffer.getvalue()


def test_a_48_megapixel_phone_jpeg_is_decoded_at_a_quarter_and_accepted(app):
    data = jpeg(8000, 6000)
    pending = intake.take(data)
    assert pending.decoded_pixels == 2000 * 1500
    batch = catalogue.process_photos([data], get_storage())
    assert max(batch.images[0].width, batch.images[0].height) == 2000


def test_a_huge_png_is_refused_before_decoding(app, tmp_path):
    # 6000 x 5000 = 30 MP decoded whole; the header alone says so, and the data behind it is never read.
    upload = images.header_only_png(tmp_path, 6000, 5000).read_bytes()
    with pytest.raises(InvalidInput) as refused:
        catalogue.process_photos([upload], get_storage())
    assert "maksimal 25 megapiksel" in refused.value.message and "JPEG" in refused.value.message


def test_a_request_over_the_pixel_budget_is_refused_before_decoding(app, tmp_path):
    # Three 24 MP photos fit one by one but not together. Their pixel data is missing: had any been decoded,
    # the refusal would say "rusak" instead.
    upload = images.header_only_png(tmp_path, 6000, 4000).read_bytes()
    with pytest.raises(InvalidInput) as refused:
        catalogue.process_photos([upload] * 3, get_storage())
    assert "terlalu besar untuk dikirim sekaligus" in refused.value.message
    assert list(get_storage().keys()) == []


@pytest.mark.parametrize("width, height, image_format, expected", [
    (4000, 3000, "JPEG", 2000 * 1500), (1500, 1000, "JPEG", 1500 * 1000), (20000, 100, "JPEG", 2500 * 13),
    (4000, 3000, "PNG", 12_000_000), (4000, 3000, "HEIF", 12_000_000),
])
def test_decoded_pixels_follow_the_draft_scale(width, height, image_format, expected):
    assert intake.decoded_pixels(width, height, image_format) == expected
