"""Static files under content-hashed URLs, cached for a year.

`url_for("static", filename="site.css")` becomes `/static/site.css?v=<first 12 hex of its SHA-256>`: a
changed file gets a new address, so browsers may keep every version for a year without asking again
(`Cache-Control: public, max-age=31536000, immutable`). A request without `v`, or with a `v` that is not the
file's current hash (an old page after a deployment), is answered as before with `no-cache`, so nobody keeps
a stale file. Hashes are computed once per process per file (re-checked by mtime in debug mode); nothing
to build and nothing to share between processes: every process computes the same hash from the same file.
"""
import hashlib
import os

from flask import current_app, request, send_from_directory

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
_CACHE_KEY = "pasardesa_static_hashes"


def init_app(app):
    """Add the hash to every static URL and the matching cache headers to every static response."""
    app.url_defaults(_add_hash)
    app.after_request(_cache_headers)
    app.extensions[_CACHE_KEY] = {}
    app.add_url_rule("/favicon.ico", "favicon", favicon)


def favicon():
    """/favicon.ico, where browsers and crawlers look for it whatever the page says (cached for a day)."""
    return send_from_directory(current_app.static_folder, "favicon.ico", mimetype="image/x-icon", max_age=86400)


def file_hash(filename):
    """The first 12 hex digits of the static file's SHA-256, or None when there is no such file."""
    path = os.path.join(current_app.static_folder, filename)
    try:
        mtime = os.stat(path).st_mtime_ns
    except (OSError, ValueError):
        return None
    known = current_app.extensions[_CACHE_KEY]
    cached = known.get(filename)
    if cached is not None and (not current_app.debug or cached[0] == mtime):
        return cached[1]
    with open(path, "rb") as handle:
        digest = hashlib.sha256(handle.read()).hexdigest()[:12]
    known[filename] = (mtime, digest)
    return digest


def _add_hash(endpoint, values):
    if endpoint == "static" and "v" not in values and "filename" in values:
        digest = file_hash(values["filename"])
        if digest is not None:
            values["v"] = digest


def _cache_headers(response):
    if request.endpoint != "static" or response.status_code not in (200, 304):
        return response
    asked = request.args.get("v", "")
    digest = file_hash(request.view_args.get("filename", "")) if asked else None
    if digest is not None and asked == digest:
        response.headers["Cache-Control"] = IMMUTABLE
    else:
        response.headers["Cache-Control"] = REVALIDATE
    return response
