"""The installable app: manifest, service worker, offline page, a fresh CSRF token for queued sends, and
clearing the phone's caches and drafts at logout (see static/js/offline.js and templates/pwa/sw.js)."""
import hashlib
import io
import os

from flask import Blueprint, current_app, jsonify, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

bp = Blueprint("pwa", __name__)

ICON_SIZES = (192, 512)
THEME_COLOUR = "#1f6f43"
# What the service worker keeps ready before anyone is offline (paths under static/).
PRECACHED = ("site.css", "js/offline.js", "js/photo-shrink.js", "js/suggest.js",
             "icons/icon-192.png", "icons/icon-512.png")
# Cleared by the browser itself when a logout answer arrives: every cached page and every draft.
CLEAR_SITE_DATA = '"cache", "storage"'


@bp.get("/manifest.webmanifest")
def manifest():
    """The web app manifest; a producer's app opens at the dashboard."""
    producer = current_user.is_authenticated and current_user.has_role("producer")
    body = {
        "name": current_app.config["SITE_NAME"], "short_name": current_app.config["SITE_NAME"],
        "start_url": url_for("shops.dashboard") if producer else url_for("catalogue.home"),
        "scope": "/", "display": "standalone", "lang": "id",
        "background_color": "#ffffff", "theme_color": THEME_COLOUR,
        "icons": [{"src": url_for("static", filename=f"icons/icon-{size}.png"), "sizes": f"{size}x{size}",
                   "type": "image/png", "purpose": "any maskable"} for size in ICON_SIZES],
    }
    response = jsonify(body)
    response.mimetype = "application/manifest+json"
    response.headers["Cache-Control"] = "no-cache"
    response.vary.add("Cookie")
    return response


@bp.get("/sw.js")
def service_worker():
    """The service worker, served from the root so that it controls every page."""
    banners = {}
    for locale in current_app.config["LANGUAGES"]:
        with force_locale(locale):
            banners[locale] = _("Anda sedang offline; halaman ini disimpan pukul %(time)s WITA", time="{time}")
    precache = [url_for("static", filename=name) for name in PRECACHED] + [url_for("pwa.offline")]
    body = render_template("pwa/sw.js", version=_version(), precache=precache, banners=banners,
                           offline_url=url_for("pwa.offline"))
    response = current_app.response_class(body, mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"
    return response


def _version():
    """A hash of everything the worker precaches: a new release installs a new worker and drops old caches."""
    cached = current_app.extensions.get("pwa_version")
    if cached is None:
        digest = hashlib.sha256()
        for name in PRECACHED + ("../templates/pwa/sw.js", "../templates/pwa/offline.html"):
            with open(os.path.join(current_app.static_folder, name), "rb") as file:
                digest.update(file.read())
        cached = current_app.extensions["pwa_version"] = digest.hexdigest()[:12]
    return cached


@bp.get("/offline")
def offline():
    """Shown for a page never visited before when there is no signal; the same for everyone."""
    return render_template("pwa/offline.html")


@bp.get("/api/csrf-token")
def fresh_csrf_token():
    """A CSRF token for the logged-in person's queued sends (401 when the session has ended)."""
    if not current_user.is_authenticated:
        return jsonify(error=_("Sesi Anda berakhir. Masuk lagi untuk melanjutkan pengiriman."),
                       login=url_for("accounts.login")), 401
    response = jsonify(csrf_token=generate_csrf())
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.after_app_request
def clear_phone_at_logout(response):
    """A logout answer tells the browser to drop every cache, stored draft and the worker of this site."""
    if request.endpoint == "accounts.logout" and request.method == "POST" and response.status_code < 400:
        response.headers["Clear-Site-Data"] = CLEAR_SITE_DATA
    return response


def draw_icon(size):
    """The app icon as PNG bytes: a green tile with a white market-stall roof, drawn by code."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (size, size), THEME_COLOUR)
    draw = ImageDraw.Draw(image)
    unit = size / 16
    # Kept inside the central 80% so a maskable crop never cuts it.
    draw.polygon([(3 * unit, 7 * unit), (8 * unit, 3.5 * unit), (13 * unit, 7 * unit)], fill="#ffffff")
    draw.rectangle([4.5 * unit, 7.5 * unit, 11.5 * unit, 12.5 * unit], fill="#ffffff")
    draw.rectangle([7 * unit, 9.5 * unit, 9 * unit, 12.5 * unit], fill=THEME_COLOUR)
    buffer = io.BytesIO()
    image.save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


def write_icons(static_folder):
    """Write static/icons/icon-<size>.png for every size of the manifest."""
    for size in ICON_SIZES:
        with open(os.path.join(static_folder, "icons", f"icon-{size}.png"), "wb") as file:
            file.write(draw_icon(size))
