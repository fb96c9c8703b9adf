"""Serving stored photos: GET /media/<key>."""
from flask import Blueprint, abort, redirect, send_file

from .service import legacy_variant_key
from .storage import LocalStorage, get_storage

bp = Blueprint("media", __name__)

# A key names its content (a hash), so a stored file never changes: browsers
# and proxies may keep it for a year without asking again.
CACHE_CONTROL = "public, max-age=31536000, immutable"
# A stand-in for a variant not made yet is kept only a day: once `flask media rebuild` has made the real
# (smaller) file, browsers fetch it.
STAND_IN_CACHE_CONTROL = "public, max-age=86400"


@bp.get("/media/<path:key>")
def serve(key):
    """Send one stored WebP variant; 404 for a master, a missing file or a key that is not a safe storage key."""
    if not key.startswith("v/"):  # masters are read by `flask media rebuild` alone; no page links to one
        abort(404)
    storage = get_storage()
    if not isinstance(storage, LocalStorage):       # object storage serves its own files
        try:
            return redirect(storage.url(key), 301)
        except ValueError:
            abort(404)
    cache_control = CACHE_CONTROL
    try:
        found = key.endswith(".webp") and storage.exists(key)
        if not found and (stand_in := legacy_variant_key(key)) and storage.exists(stand_in):
            # A photo stored before this size existed: its next larger variant serves until rebuilt.
            key, found, cache_control = stand_in, True, STAND_IN_CACHE_CONTROL
    except (ValueError, OSError):  # not a storage key, or a name longer than the file system takes
        found = False
    if not found:
        abort(404)
    response = send_file(storage.path(key), mimetype="image/webp")
    response.headers["Cache-Control"] = cache_control
    return response
from . import views_uploads  # noqa: E402,F401  (the resumable upload routes live on this blueprint)
