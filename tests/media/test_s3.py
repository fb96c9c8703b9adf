"""The storage contract on local disk and on a real S3-protocol server (moto's, over HTTP, driven by the
real boto3); photos uploaded to object storage; a server that dies mid-upload leaves nothing behind."""
import json
import socket
import urllib.request
import uuid

import pytest
from sqlalchemy import select

from marketplace.catalogue.models import ProductImage
from marketplace.extensions import db
from marketplace.media.s3 import CACHE_CONTROL, S3Storage
from marketplace.media.service import process_upload
from marketplace.media.storage import LocalStorage, get_storage

from .images import noisy_jpeg



def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def s3_server(monkeypatch):
    """A moto S3 server on 127.0.0.1 with a new bucket; yields (server, endpoint URL, bucket).
    Moto keeps buckets per process, so each test gets a bucket of its own."""
    from moto.server import ThreadedMotoServer

    for name, value in (("AWS_ACCESS_KEY_ID", "test"), ("AWS_SECRET_ACCESS_KEY", "test"),
                        ("AWS_DEFAULT_REGION", "us-east-1")):
        monkeypatch.setenv(name, value)
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    import boto3

    bucket = f"pasar-{uuid.uuid4().hex[:12]}"
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    client.create_bucket(Bucket=bucket)
    # As the README asks of a real bucket: anyone may read photos (v/, m/), nothing else.
    client.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
        "Resource": [f"arn:aws:s3:::{bucket}/v/*", f"arn:aws:s3:::{bucket}/m/*"]}]}))
    yield server, endpoint, bucket
    server.stop()


def s3_storage(endpoint, bucket):
    return S3Storage(bucket, "us-east-1", endpoint, public_url=f"{endpoint}/{bucket}")


@pytest.fixture(params=["local", "s3"])
def storage(request, tmp_path):
    if request.param == "local":
        return LocalStorage(tmp_path / "media")
    _server, endpoint, bucket = request.getfixturevalue("s3_server")
    return s3_storage(endpoint, bucket)


def test_save_open_exists_overwrite_delete(storage):
    storage.save("v/ab/abc-640.webp", b"one")
    assert storage.exists("v/ab/abc-640.webp")
    assert storage.open("v/ab/abc-640.webp") == b"one"
    storage.save("v/ab/abc-640.webp", b"two")
    assert storage.open("v/ab/abc-640.webp") == b"two"
    storage.delete("v/ab/abc-640.webp")
    assert not storage.exists("v/ab/abc-640.webp")
    storage.delete("v/ab/abc-640.webp")          # deleting twice is fine
    with pytest.raises(FileNotFoundError):
        storage.open("v/ab/abc-640.webp")


def test_keys_list_by_prefix_in_order(storage):
    for key in ("v/cd/c-320.webp", "m/ab/a.webp", "v/ab/b-640.webp", "v/ab/a-320.webp"):
        storage.save(key, b"x")
    assert list(storage.keys()) == ["m/ab/a.webp", "v/ab/a-320.webp", "v/ab/b-640.webp", "v/cd/c-320.webp"]
    assert list(storage.keys("v/ab/b")) == ["v/ab/b-640.webp"]
    assert list(storage.keys("x/")) == []


@pytest.mark.parametrize("key", ["../etc/passwd", "/abs", "v/../x", "", ".hidden", "a//b"])
def test_unsafe_keys_are_refused(storage, key):
    with pytest.raises(ValueError):
        storage.save(key, b"x")
    with pytest.raises(ValueError):
        storage.exists(key)


def test_objects_are_public_immutable_webp_served_straight_from_storage(s3_server):
    _server, endpoint, bucket = s3_server
    storage = s3_storage(endpoint, bucket)
    storage.save("v/ab/abc-320.webp", b"RIFF....WEBP")
    url = storage.url("v/ab/abc-320.webp")
    assert url == f"{endpoint}/{bucket}/v/ab/abc-320.webp"
    with urllib.request.urlopen(url) as response:          # a browser's GET, no Flask involved
        assert response.read() == b"RIFF....WEBP"
        assert response.headers["Content-Type"] == "image/webp"
        assert response.headers["Cache-Control"] == CACHE_CONTROL


def test_private_objects_need_a_presigned_link(s3_server):
    _server, endpoint, bucket = s3_server
    storage = s3_storage(endpoint, bucket)
    storage.save("p/proof.pdf", b"%PDF-1.4", private=True)
    with urllib.request.urlopen(storage.private_url("p/proof.pdf")) as response:
        assert response.read() == b"%PDF-1.4"


def test_the_app_stores_photos_in_the_bucket_and_links_to_it(app, s3_server, tmp_path):
    from marketplace.media.urls import media_url

    _server, endpoint, bucket = s3_server
    app.config.update(MEDIA_STORAGE="s3", MEDIA_S3_BUCKET=bucket, MEDIA_S3_REGION="us-east-1",
                      MEDIA_S3_ENDPOINT_URL=endpoint, MEDIA_PUBLIC_URL=f"{endpoint}/{bucket}")
    with app.test_request_context():
        storage = get_storage()
        assert isinstance(storage, S3Storage) and get_storage() is storage
        stored = process_upload(noisy_jpeg(tmp_path).read_bytes(), storage)
        assert storage.exists(stored.master_key)
        assert media_url(stored.content_hash, 320) == f"{endpoint}/{bucket}/{stored.variant_keys[320]}"


def test_a_server_that_dies_mid_upload_stores_no_photo_and_no_row(app, make_user, make_shop,
                                                                    make_product, s3_server, tmp_path):
    server, endpoint, bucket = s3_server
    app.config.update(MEDIA_STORAGE="s3", MEDIA_S3_BUCKET=bucket, MEDIA_S3_REGION="us-east-1",
                      MEDIA_S3_ENDPOINT_URL=endpoint, MEDIA_PUBLIC_URL=f"{endpoint}/{bucket}")
    producer = make_user("producer")
    product = make_product(shop=make_shop(owner=producer))
    storage = get_storage()
    puts = []

    def stop_after_first_put(**kwargs):      # boto3's own event hook: the server goes away mid-upload
        puts.append(1)
        if len(puts) == 2:
            server.stop()

    storage.client.meta.events.register("before-send.s3.PutObject", stop_after_first_put)
    with pytest.raises(Exception):
        process_upload(noisy_jpeg(tmp_path).read_bytes(), storage)
    server.start()
    assert db.session.scalars(select(ProductImage).where(ProductImage.product_id == product.id)).all() == []
    assert [key for key in storage.keys("m/")] == []          # no master: no photo half-stored


def test_media_rebuild_works_on_the_bucket(app, s3_server, tmp_path):
    from marketplace.media.service import rebuild_variants

    _server, endpoint, bucket = s3_server
    storage = s3_storage(endpoint, bucket)
    stored = process_upload(noisy_jpeg(tmp_path).read_bytes(), storage)
    lost = stored.variant_keys[320]
    storage.delete(lost)
    assert rebuild_variants(storage) == len(stored.variant_keys)
    assert storage.exists(lost)


def test_modified_at_is_the_write_time_and_a_missing_key_is_not_found(storage):
    from datetime import datetime, timedelta, timezone

    before = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(seconds=1)
    storage.save("m/ab/when.webp", b"x")
    written = storage.modified_at("m/ab/when.webp")
    assert written.tzinfo is not None and before <= written <= datetime.now(timezone.utc) + timedelta(seconds=1)
    with pytest.raises(FileNotFoundError):
        storage.modified_at("m/ab/never-written.webp")
