"""Public catalogue: home, category, district, shop and product pages."""
import re
import time
from datetime import datetime
from urllib.parse import quote
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, g, jsonify, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from .. import regions
from ..csrf import cookieless
from ..database import reads_only
from ..links import site_url_for
from ..reviews import service as reviews
from ..web import page_number, shared_fragment, shared_page
from . import queries, service

bp = Blueprint("catalogue", __name__)

_BLANK_LINES = re.compile(r"\n[ \t]*\n\s*")


@bp.app_template_filter("paragraphs")
def paragraphs(text):
    """Plain text split into paragraphs at blank lines (each shown escaped, single line breaks kept)."""
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n").strip()
    return [part for part in _BLANK_LINES.split(text) if part] if text else []


def _found(page):
    if page is None:
        abort(404)
    return page


def _whatsapp_link(shop, message):
    return f"https://wa.me/{shop.whatsapp_digits}?text={quote(message, safe='')}"


def _manages(shop):
    """True when the visitor is the shop's owner or an admin."""
    return current_user.is_authenticated and (current_user.is_admin or shop.owner_id == current_user.id)


def _moved_permanently(path):
    """301 to a shop's or listing's current address, keeping the page number and other query words."""
    query = request.query_string.decode("latin-1")
    return redirect(f"{path}?{query}" if query else path, code=301)


# Four rows on a phone: on a slow link Chromium fetches lazy images far ahead of the screen, so every card on
# the home page costs its photo (about 14 KB) whether it is scrolled to or not; categories lead to the rest.
HOME_CARDS = 8


@bp.route("/")
@cookieless
@reads_only
def home():
    """Categories, newest listings and districts."""
    cacheable = _shareable_request()
    key = str(get_locale())
    if cacheable:
        cached = _home_cache().get(key)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
    html = shared_page(_home_rows, _home_page, logged_in=True)
    # Rendering may have put something personal in the session (a CSRF token, a flash): never share that.
    if cacheable and not session.modified and not session:
        _home_cache()[key] = (time.monotonic() + current_app.config["HOME_PAGE_CACHE_SECONDS"], html)
    return html


def _home_inputs():
    """The rows the home page's content is drawn from (read once per request)."""
    categories = tuple((top, tuple(children)) for top, children in queries.category_tree())
    return tuple(queries.newest_cards(HOME_CARDS)), categories, tuple(queries.district_counts())


def _home_rows():
    """The home page's rows: for a logged-in visitor without a query string, those this process read within the
    last HOME_PAGE_CACHE_SECONDS (their page may lag a new listing by the seconds the rendering shared by visitors
    without a session already does, and reads only who they are and their header's counts); else read now."""
    if "home_rows" not in g:
        if request.query_string or not current_user.is_authenticated:
            g.home_rows = _home_inputs()
        else:
            g.home_rows = queries.kept_for_a_while("home_page_rows", _home_inputs)[0]
    return g.home_rows


def _home_page():
    cards, categories, districts = inputs = _home_rows()
    # The content is everybody's: a logged-in buyer's page differs only in its header.
    content = shared_fragment(("home", inputs), lambda: render_template(
        "catalogue/_home_content.html", cards=cards, categories=categories, districts=districts))
    return render_template("catalogue/home.html", content=content)


def _shareable_request():
    """A visitor with no session and no query sees exactly what every such visitor sees."""
    return (current_app.config["HOME_PAGE_CACHE_SECONDS"] > 0 and not request.query_string
            and current_app.config["SESSION_COOKIE_NAME"] not in request.cookies)


def _home_cache():
    """This process's renderings of the home page, per language. Each process keeps its own for a few
    seconds; nothing needs to be shared, so a new listing shows up everywhere within that time."""
    return current_app.extensions.setdefault("home_page_cache", {})


@bp.route("/kategori/<slug>")
@cookieless
@reads_only
def category(slug):
    """Public listings of a category, its children's included."""
    number = page_number(strict=True)
    return shared_page(lambda: queries.category_page_inputs(slug, number), lambda: _category_page(slug, number))


def _category_page(slug, number):
    found = queries.find_category(slug)
    if found is None:
        abort(404)
    category, parent, children = found
    page = _found(queries.category_page(category, number))
    return render_template("catalogue/category.html", category=category, parent=parent, children=children,
                           page=page)


@bp.route("/kecamatan/<code>")
@cookieless
@reads_only
def district(code):
    """Public listings of the shops in one district of Kutai Kartanegara."""
    number = page_number(strict=True)
    if not queries.is_home_district(code):
        abort(404)
    return shared_page(lambda: queries.page_key(queries.district_page(code, number)),
                       lambda: _district_page(code, number))


def _district_page(code, number):
    page = _found(queries.district_page(code, number))
    return render_template("catalogue/district.html", code=code, name=regions.name(code), page=page)


@bp.route("/toko/<shop_slug>")
@cookieless
@reads_only
def shop(shop_slug):
    """A shop's story, contact and listings; a suspended shop only for its owner and admins."""
    number = page_number(strict=True)
    return shared_page(lambda: queries.shop_page_inputs(shop_slug, number), lambda: _shop_page(shop_slug, number))


def _shop_page(shop_slug, number):
    found = queries.shop_by_slug(shop_slug)
    if found is None and (moved := queries.moved_shop(shop_slug)) is not None and (moved.is_active or _manages(moved)):
        return _moved_permanently(url_for("catalogue.shop", shop_slug=moved.slug))
    if found is None or not (found.is_active or _manages(found)):
        abort(404)
    page = _found(queries.shop_page(found, number))
    shop_url = site_url_for("catalogue.shop", shop_slug=found.slug)
    message = _("Halo %(shop)s, saya melihat toko Anda di %(site)s: %(url)s",
                shop=found.name, site=current_app.config["SITE_NAME"], url=shop_url)
    return render_template("catalogue/shop.html", shop=found, page=page,
                           rating=reviews.shop_rating_summary(found.id), whatsapp_url=_whatsapp_link(found, message))


@bp.route("/toko/<shop_slug>/<product_slug>")
@cookieless
@reads_only
def product(shop_slug, product_slug):
    """A listing's page; one that is not public only for its producer and admins."""
    # Drawn once per set of rows for visitors without a session (halal badges change with the date).
    return shared_page(lambda: _with_today(queries.product_page_inputs(shop_slug, product_slug)),
                       lambda: _product_page(shop_slug, product_slug))


def _with_today(inputs):
    return None if inputs is None else (inputs, _today())


def _product_page(shop_slug, product_slug):
    found = queries.product_for_page(shop_slug, product_slug)
    if found is None and (moved := queries.moved_product(shop_slug, product_slug)) is not None:
        if service.can_view(moved, current_user):
            return _moved_permanently(url_for("catalogue.product", shop_slug=moved.shop.slug, product_slug=moved.slug))
    if found is None or not service.can_view(found, current_user):
        abort(404)
    product_url = site_url_for("catalogue.product", shop_slug=found.shop.slug, product_slug=found.slug)
    message = _("Halo, saya tertarik dengan %(title)s di %(site)s: %(url)s",
                title=found.title, site=current_app.config["SITE_NAME"], url=product_url)
    return render_template(
        "catalogue/product.html", product=found, shop=found.shop, stock_state=queries.stock_state(found),
        halal_expired=bool(found.halal_expires_on and found.halal_expires_on < _today()),
        manages=_manages(found.shop), whatsapp_url=_whatsapp_link(found.shop, message),
        rating=reviews.rating_summary(found.id), reviews=reviews.visible_reviews(found.id))


def _today():
    return datetime.now(ZoneInfo(current_app.config["DISPLAY_TIMEZONE"])).date()


_REGION_CODE = re.compile(r"[0-9]{2}(?:\.[0-9]{2}){0,2}")


@bp.route("/api/v1/regions/<code>")
def region_children(code):
    """The regions inside one (regencies of a province, districts, villages) as JSON, for forms that fill
    their next list without reloading the page. Public data that never changes between deployments."""
    if not _REGION_CODE.fullmatch(code) or not regions.name(code):
        abort(404)
    response = jsonify({"code": code, "children": [{"code": child, "name": name}
                                                   for child, name in regions.children(code)]})
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response
