"""`flask media collect`: photos nothing uses any more are deleted after a grace period; photos of listings,
shop logos and last approved versions stay, and so does every file that is not a photo."""
import io
import os
import time
from datetime import timedelta

from PIL import Image

from marketplace.catalogue import service as catalogue
from marketplace.extensions import db
from marketplace.media.collect import collect, hashes_in_use
from marketplace.media.service import master_key, process_upload, variant_key
from marketplace.media.storage import get_storage
from marketplace.moderation import service as moderation
from marketplace.shops import service as shops


def photo(seed, size=(700, 500)):
    """A distinct real PNG (its colour comes from seed)."""
    buffer = io.BytesIO()
    Image.new("RGB", size, ((seed * 37) % 256, (seed * 91) % 256, (seed * 53) % 256)).save(buffer, "PNG")
    return buffer.getvalue()


def age(storage, stored, hours):
    """Make every file of a stored photo `hours` old."""
    then = time.time() - hours * 3600
    for key in [stored.master_key, *stored.variant_keys.values()]:
        os.utime(storage.path(key), (then, then))


def files_of(storage, stored):
    return [key for key in [stored.master_key, *stored.variant_keys.values()] if storage.exists(key)]


def test_collect_deletes_only_unused_photos_past_the_grace_period(app, runner, make_product, make_shop, make_user):
    storage = get_storage()
    listed, removed, logo, young, snapshot_only = (process_upload(photo(n), storage) for n in range(5))
    product = make_product(status="draft")
    catalogue.add_photo(product, listed)
    catalogue.add_photo(product, snapshot_only)
    catalogue.submit_product(product)
    moderation.approve_product(product, make_user("admin"))
    catalogue.remove_photo(product, product.images[1].id)  # still shown as the approved version's photo
    catalogue.remove_photo(product, catalogue.add_photo(product, removed).id)
    shops.set_logo(make_shop(), logo)
    db.session.commit()
    for stored in (listed, removed, logo, snapshot_only):
        age(storage, stored, 48)
    age(storage, young, 2)
    other = "x/not-a-photo.txt"
    storage.save(other, b"keep me")

    result = runner.invoke(args=["media", "collect", "--dry-run"])
    assert result.exit_code == 0 and "Would delete 1 unused photos" in result.output
    assert files_of(storage, removed)

    result = runner.invoke(args=["media", "collect"])
    assert result.exit_code == 0, result.output
    assert "Deleted 1 unused photos" in result.output and "1 younger than 24 h" in result.output
    assert files_of(storage, removed) == []
    for kept in (listed, logo, snapshot_only, young):
        assert len(files_of(storage, kept)) == 1 + len(kept.variant_keys), kept
    assert storage.open(other) == b"keep me"


def test_a_young_unused_photo_is_kept_then_collected(app, make_product):
    storage = get_storage()
    stored = process_upload(photo(9), storage)
    assert collect(storage, hashes_in_use(app)).too_young == 1
    assert files_of(storage, stored)
    outcome = collect(storage, hashes_in_use(app), grace=timedelta(hours=1),
                      now=storage.modified_at(stored.master_key) + timedelta(hours=2))
    assert outcome.deleted_photos == 1
    assert outcome.deleted_files[0] == master_key(stored.content_hash)  # the master goes first
    assert not storage.exists(variant_key(stored.content_hash, 320))


def test_collect_refuses_a_nonsense_grace(runner):
    result = runner.invoke(args=["media", "collect", "--grace-hours", "0"])
    assert result.exit_code != 0 and "grace-hours" in result.output


def test_a_photo_of_a_change_awaiting_review_is_kept_and_collected_once_the_change_is_refused(
        app, make_product, make_user):
    storage = get_storage()
    product = make_product()
    waiting = process_upload(photo(11), storage)
    catalogue.add_photo(product, waiting)
    db.session.commit()
    assert product.images == [] and [i.content_hash for i in product.pending_edit.images] == [waiting.content_hash]
    later = storage.modified_at(waiting.master_key) + timedelta(hours=48)
    assert collect(storage, hashes_in_use(app), now=later).deleted_photos == 0
    assert len(files_of(storage, waiting)) == 1 + len(waiting.variant_keys)

    moderation.reject_change(product, make_user("admin"), "Foto kurang jelas")
    db.session.commit()
    assert collect(storage, hashes_in_use(app), now=later).deleted_photos == 1
    assert files_of(storage, waiting) == []
