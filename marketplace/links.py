"""Absolute links, built from SITE_URL alone: a request's Host or X-Forwarded-Host is whatever the sender
typed, so it must never become the link in another person's email, in JSON or in a payment redirect."""
from urllib.parse import urlsplit

from flask import current_app, url_for
from flask.globals import _cv_request


def site_url_for(endpoint, **values):
    """The absolute URL of an endpoint (full name, e.g. "orders.order_page") on SITE_URL."""
    return _site_adapter().build(endpoint, values, force_external=True)


def _site_adapter():
    """The URL map bound to SITE_URL, once per process and SITE_URL (the search API links 24 listings)."""
    site_url = current_app.config["SITE_URL"]
    known = current_app.extensions.get(_SITE_ADAPTER_KEY)
    if known is None or known[0] != site_url:
        parts = urlsplit(site_url)
        adapter = current_app.url_map.bind(parts.netloc, script_name=parts.path.rstrip("/") or "/",
                                           url_scheme=parts.scheme or "https")
        known = current_app.extensions[_SITE_ADAPTER_KEY] = (site_url, adapter)
    return known[1]

_SITE_ADAPTER_KEY = "pasardesa_site_adapter"


def absolute(url):
    """A URL made absolute on SITE_URL; one that already names its host (object storage) is kept."""
    if urlsplit(url).scheme:
        return url
    return current_app.config["SITE_URL"].rstrip("/") + "/" + url.lstrip("/")


_LINKS_KEY = "pasardesa_links"
_CACHEABLE_VALUES = (str, int)


def cached_url_for(endpoint, **values):
    """`url_for` for templates, each link built once per process: a page draws 20 to 60 links, most of them
    the same on every request (the header's, static files'), and werkzeug builds each afresh.

    Within a request a relative link depends only on the endpoint, its values and the script root, because
    the app's only URL default (a static file's content hash, static_files.py) does not read the request;
    a new url_defaults function that did would have to leave this cache. Anything else (external links,
    _anchor and the like, blueprint-relative endpoints, values other than text and whole numbers, debug mode
    where static files change) goes to url_for itself."""
    request_context = _cv_request.get(None)
    app = current_app._get_current_object() if request_context is not None else None
    if (app is None or app.debug or endpoint[:1] == "."
            or not all(type(value) in _CACHEABLE_VALUES and key[:1] != "_" for key, value in values.items())):
        return url_for(endpoint, **values)
    cache = app.extensions[_LINKS_KEY]
    key = (request_context.request.script_root, endpoint, *sorted(values.items()))
    link = cache.get(key)
    if link is None:
        if len(cache) > 20_000:  # product and shop links: bounded by the catalogue, bounded here all the same
            cache.clear()
        link = cache[key] = url_for(endpoint, **values)
    return link


def init_app(app):
    """Templates' url_for is cached_url_for."""
    app.extensions[_LINKS_KEY] = {}
    app.jinja_env.globals["url_for"] = cached_url_for
