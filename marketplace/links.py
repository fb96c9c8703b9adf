"""Absolute links, built from SITE_URL alone: a request's Host or X-Forwarded-Host is whatever the sender
typed, so it must never become the link in another person's email, in JSON or in a payment redirect."""
from urllib.parse import urlsplit

from flask import current_app


def site_url_for(endpoint, **values):
    """The absolute URL of an endpoint (full name, e.g. "orders.order_page") on SITE_URL."""
    parts = urlsplit(current_app.config["SITE_URL"])
    adapter = current_app.url_map.bind(parts.netloc, script_name=parts.path.rstrip("/") or "/",
                                       url_scheme=parts.scheme or "https")
    return adapter.build(endpoint, values, force_external=True)


def absolute(url):
    """A URL made absolute on SITE_URL; one that already names its host (object storage) is kept."""
    if urlsplit(url).scheme:
        return url
    return current_app.config["SITE_URL"].rstrip("/") + "/" + url.lstrip("/")
