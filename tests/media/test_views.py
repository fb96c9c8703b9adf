"""GET /media/<key> and `flask media rebuild`, wired into the real app."""
from pathlib import Path

import pytest
from PIL import Image

from marketplace.media.service import master_key, process_upload, variant_key
from marketplace.media.storage import get_storage

from . import images


@pytest.fixture
def stored(app, tmp_path):
    """One photo stored in the app's MEDIA_ROOT."""
    return process_upload(images.plain_png(tmp_path, 900, 600).read_bytes(), get_storage())


def test_serves_a_variant_forever_cacheable(client, stored):
    key = stored.variant_keys[640]
    with client.get(f"/media/{key}") as response:  # closes the file send_file opened
        assert response.status_code == 200
        assert response.headers["Content-Type"] == "image/webp"
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.data == get_storage().open(key)


@pytest.mark.parametrize("suffix", ["jpg", "webp"])
def test_never_serves_a_master(client, stored, suffix):
    """Neither a JPEG master nor a WebP one (transparent, or stored before masters were JPEG)."""
    key = master_key(stored.content_hash, suffix)
    if not get_storage().exists(key):
        get_storage().save(key, get_storage().open(stored.master_key))
    assert get_storage().exists(key)
    response = client.get(f"/media/{key}")
    assert response.status_code == 404
    assert "immutable" not in response.headers.get("Cache-Control", "")


def test_missing_file_is_404(client, stored):
    missing = variant_key("0" * 64, 640)
    response = client.get(f"/media/{missing}")
    assert response.status_code == 404
    assert "immutable" not in response.headers.get("Cache-Control", "")


@pytest.mark.parametrize("path", [
    "/media/../secret.webp",
    "/media/..%2Fsecret.webp",
    "/media/v/..%2F..%2Fsecret.webp",
    "/media/%2E%2E/secret.webp",
])
def test_keys_outside_media_root_are_404(client, app, path):
    # A real file just outside MEDIA_ROOT: a traversal bug would serve it.
    secret = Path(app.config["MEDIA_ROOT"]).parent / "secret.webp"
    secret.write_bytes(b"RIFF0000WEBPsecret")
    response = client.get(path)
    assert response.status_code == 404
    assert b"secret" not in response.data


def test_only_webp_files_are_served(client, app):
    get_storage().save("v/ab/notes.txt", b"<script>alert(1)</script>")
    assert client.get("/media/v/ab/notes.txt").status_code == 404


def test_rebuild_command_reports_the_count(runner, stored):
    storage = get_storage()
    for key in stored.variant_keys.values():
        storage.delete(key)
    result = runner.invoke(args=["media", "rebuild"])
    assert result.exit_code == 0, result.output
    assert "Rebuilt 3 variants." in result.output
    for size, key in stored.variant_keys.items():
        with Image.open(storage.path(key)) as img:
            assert max(img.size) == min(size, 900)
