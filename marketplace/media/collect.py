"""`flask media collect`: delete the stored photos that nothing uses any more.

A photo is in use while a feature says so: each feature that keeps content hashes (listings, shop logos,
approved snapshots) answers the `photos_in_use` signal with its hashes, connected by create_app, so this
module never imports the features above it. Files younger than the grace period stay whatever the database
says: an upload stores its files before the transaction that records them commits.
"""
from dataclasses import dataclass, field
from datetime import timedelta

from blinker import Namespace

from ..models_base import utcnow
from .service import photo_of_key

_signals = Namespace()
# Receivers take the sender (the app) and return an iterable of content hashes still in use.
photos_in_use = _signals.signal("photos-in-use")
DEFAULT_GRACE = timedelta(hours=24)


@dataclass
class Collected:
    """What one run found and did."""

    kept: int = 0
    too_young: int = 0
    deleted_photos: int = 0
    deleted_files: list = field(default_factory=list)


def hashes_in_use(app):
    """Every content hash some feature still shows or may show again."""
    used = set()
    for _receiver, hashes in photos_in_use.send(app):
        used.update(hashes)
    return used


def stored_photos(storage):
    """{content hash: [its keys]} of every master and variant in storage; other keys are left alone."""
    photos = {}
    for prefix in ("m/", "v/"):
        for key in storage.keys(prefix):
            if photo := photo_of_key(key):
                photos.setdefault(photo[0], []).append(key)
    return photos


def collect(storage, in_use, grace=DEFAULT_GRACE, now=None, dry_run=False):
    """Delete the files of photos not in `in_use` whose every file is older than `grace`; returns Collected."""
    cutoff = (now or utcnow()) - grace
    outcome = Collected()
    for content_hash, keys in sorted(stored_photos(storage).items()):
        if content_hash in in_use:
            outcome.kept += 1
            continue
        if any(storage.modified_at(key) > cutoff for key in keys):
            outcome.too_young += 1
            continue
        # The master first: a master without variants is rebuilt by `flask media rebuild`, never the reverse.
        ordered = sorted(keys, key=lambda key: not photo_of_key(key)[1])
        if not dry_run:
            for key in ordered:
                storage.delete(key)
        outcome.deleted_photos += 1
        outcome.deleted_files.extend(ordered)
    return outcome
