"""Serving stored photos: GET /media/<key>."""
from flask import Blueprint, abort, redirect, send_file

from .storage import LocalStorage, get_storage

bp = Blueprint("media", __name__)

# A key names its content (a hash), so a stored file never changes: browsers
# and proxies may keep it for a year without asking again.
CACHE_CONTROL = "public, max-age=31536000, immutable"


@bp.get("/media/<path:key>")
def serve(key):
    """Send one stored WebP file; 404 for a missing file or a key that is not a safe storage key."""
    storage = get_storage()
    if not isinstance(storage, LocalStorage):       # object storage serves its own files
        try:
            return redirect(storage.url(key), 301)
        except ValueError:
            abort(404)
    try:
        found = key.endswith(".webp") and storage.exists(key)
    except ValueError:
        found = False
    if not found:
        abort(404)
    response = send_file(storage.path(key), mimetype="image/webp")
    response.headers["Cache-Control"] = CACHE_CONTROL
    return response
from . import views_uploads  # noqa: E402,F401  (the resumable upload routes live on this blueprint)
