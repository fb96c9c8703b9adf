"""Photos stored before the 960 px variant existed keep working: /media/ answers for their "960" with their
"1280" (cached a day, not forever) until `flask media rebuild` makes the real one. Photos stored before masters
were JPEG keep their WebP master, which rebuild and collect read like a JPEG one."""
import io
from datetime import timedelta

import pytest
from PIL import Image

from marketplace.media.collect import collect
from marketplace.media.service import LEGACY_FALLBACK, master_key, process_upload, variant_dimensions, variant_key
from marketplace.media.storage import get_storage
from marketplace.models_base import utcnow
from marketplace.media.urls import media_srcset

from . import images


@pytest.fixture(scope="module")
def photo(tmp_path_factory):
    """The bytes of one phone photo for the module, drawn once (a picture of noise takes longer to draw than to
    process): a 1300x975 JPEG, the smallest size that has all four variants, its 1280 one scaled down."""
    return images.noisy_jpeg(tmp_path_factory.mktemp("legacy-photo"), size=(1300, 975)).read_bytes()


@pytest.fixture
def legacy(app, photo):
    """A photo stored as before: variants 320, 640 and 1280, no 960."""
    stored = process_upload(photo, get_storage())
    get_storage().delete(stored.variant_keys[960])
    return stored


def test_a_new_photo_has_a_960_variant_between_640_and_1280(app, photo):
    stored = process_upload(photo, get_storage())
    assert max(stored.width, stored.height) > 1280  # so that its "1280" is one, not the photo's own size
    assert sorted(stored.variant_keys) == [320, 640, 960, 1280]
    assert stored.variant_bytes[640] < stored.variant_bytes[960] < stored.variant_bytes[1280]
    with app.test_request_context():
        assert f"{variant_key(stored.content_hash, 960)} 960w" in media_srcset(stored)


def test_a_legacy_photos_960_is_answered_with_its_1280(client, legacy):
    assert LEGACY_FALLBACK == {960: 1280}
    with client.get(f"/media/{variant_key(legacy.content_hash, 960)}") as response:
        assert response.status_code == 200 and response.headers["Content-Type"] == "image/webp"
        assert response.data == get_storage().open(legacy.variant_keys[1280])
        assert response.headers["Cache-Control"] == "public, max-age=86400"


@pytest.mark.parametrize("key", [
    "v/00/" + "0" * 64 + "-960.webp",                 # no such photo at all
    "v/ab/../../etc/passwd-960.webp", "v/ab/" + "a" * 64 + "-960.webp/../x", "v/ab/%00-960.webp",
    "v/" + "a" * 5000 + "-960.webp",
])
def test_no_stand_in_for_what_does_not_exist_or_is_not_a_key(client, legacy, key):
    response = client.get(f"/media/{key}")
    assert response.status_code == 404 and "immutable" not in response.headers.get("Cache-Control", "")


def test_only_added_sizes_have_a_stand_in(client, legacy):
    get_storage().delete(legacy.variant_keys[640])  # a lost 640 is lost, not silently replaced
    assert client.get(f"/media/{legacy.variant_keys[640]}").status_code == 404


def test_media_rebuild_makes_the_missing_960(app, client, legacy):
    result = app.test_cli_runner().invoke(args=["media", "rebuild"])
    assert result.exit_code == 0, result.output
    key = variant_key(legacy.content_hash, 960)
    assert get_storage().exists(key)
    with client.get(f"/media/{key}") as response:
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert response.data == get_storage().open(key) != get_storage().open(legacy.variant_keys[1280])


@pytest.fixture
def webp_master(app, photo):
    """A photo stored as before masters were JPEG: its master a WebP under m/ab/<hash>.webp, no variants yet."""
    storage = get_storage()
    stored = process_upload(photo, storage)
    buffer = io.BytesIO()
    with Image.open(io.BytesIO(storage.open(stored.master_key))) as master:
        master.save(buffer, "WEBP", quality=85, method=0)
    storage.save(master_key(stored.content_hash, "webp"), buffer.getvalue())
    for key in [stored.master_key, *stored.variant_keys.values()]:
        storage.delete(key)
    return stored


def test_media_rebuild_reads_webp_masters_beside_jpeg_ones(app, tmp_path, webp_master):
    jpeg = process_upload(images.plain_png(tmp_path, 900, 600).read_bytes(), get_storage())
    for key in jpeg.variant_keys.values():
        get_storage().delete(key)
    result = app.test_cli_runner().invoke(args=["media", "rebuild"])
    assert result.exit_code == 0, result.output
    assert "Rebuilt 7 variants." in result.output  # 320, 640, 960, 1280 of the WebP one; 320, 640, "960" of 900 px
    for stored in (webp_master, jpeg):
        for size, key in stored.variant_keys.items():
            with Image.open(io.BytesIO(get_storage().open(key))) as variant:
                assert variant.format == "WEBP"
                assert variant.size == variant_dimensions(stored.width, stored.height, size)


def test_collect_deletes_an_unused_photo_with_a_webp_master_master_first(app, webp_master):
    storage = get_storage()
    app.test_cli_runner().invoke(args=["media", "rebuild"])
    outcome = collect(storage, in_use=set(), grace=timedelta(hours=1), now=utcnow() + timedelta(days=1))
    assert outcome.deleted_photos == 1
    assert outcome.deleted_files[0] == master_key(webp_master.content_hash, "webp")
    assert sorted(outcome.deleted_files[1:]) == sorted(webp_master.variant_keys.values())
    assert list(storage.keys("m/")) == list(storage.keys("v/")) == []
