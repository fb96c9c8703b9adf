"""Search pages: /search for people, /api/v1/search for programs, /search/suggest for the search box."""
from flask import Blueprint, jsonify, render_template, request, url_for
from flask_babel import get_locale

from .. import regions
from ..csrf import cookieless
from ..database import reads_only
from ..catalogue import queries
from ..errors import InvalidInput
from ..links import absolute, site_url_for
from ..web import shared_page
from ..media.urls import media_url
from . import outbox, service
from .forms import search_form

bp = Blueprint("search", __name__)
# The outbox listener is installed when the factory registers this blueprint, not at import time.
bp.record_once(lambda state: outbox.install())

FILTER_ARGS = ("q", "category", "district", "min_price", "max_price", "in_stock", "sort")


def search_args(params, **changes):
    """The query-string arguments of a search, with some changed (None removes one); page 1 is implied."""
    args = {"q": params.q, "category": params.category, "district": params.district,
            "min_price": params.min_price, "max_price": params.max_price,
            "in_stock": 1 if params.in_stock else None,
            "sort": params.sort if params.sort != "relevance" else None}
    args.update(changes)
    return {key: value for key, value in args.items() if value not in (None, "")}


@bp.app_template_global("search_url")
def search_url(params, **changes):
    """The /search address of the same search with some arguments changed."""
    return url_for("search.results", **search_args(params, **changes))


@bp.route("/search")
@cookieless
@reads_only
def results():
    """The search page: results, facets, filters, pagination, and the spelling correction."""
    try:
        params = service.parse_params(request.args)
    except InvalidInput as error:
        params = service.SearchParams(q=(request.args.get("q") or "")[:service.MAX_QUERY_CHARS])
        return _page(params, None, [], error.message), 400
    result = service.search(params)
    cards = [_card(item) for item in result.items]
    return shared_page(lambda: _inputs(result, cards), lambda: _page(params, result, cards))


def _card(item):
    """The card of a result: the search read each listing's row from the database just now (a listing
    unpublished a moment ago is left out even when the index has not caught up yet), with all a card shows."""
    return queries.ProductCard(item["id"], item["slug"], item["title"], item["price_idr"], item["unit"], item["stock"],
                               item["shop"]["slug"], item["shop"]["name"], item["district_code"], item["image"])


def _inputs(result, cards):
    """What the page is drawn from besides its address (which holds the search): web.shared_page's key."""
    tree = tuple((top, tuple(children)) for top, children in queries.category_tree())
    facets = tuple((name, tuple(values)) for name, values in result.facets.items())
    return result.total, facets, result.corrected_query, result.partial, tuple(cards), tree


def _page(params, result, cards, error=None):
    tree, locale = queries.category_tree(), get_locale()
    form = search_form(params, tree, locale)
    return render_template("search/results.html", params=params, result=result, cards=cards, form=form,
                           error=error, active=_active_names(params, tree, locale))


def _active_names(params, tree, locale):
    names = {"category": params.category, "district": regions.name(params.district or ""),
             "count": sum(1 for on in (params.category, params.district, params.min_price is not None,
                                       params.max_price is not None, params.in_stock) if on)}
    for top, children in tree:
        for category in [top, *children]:
            if category.slug == params.category:
                names["category"] = category.display_name(locale)
    return names


def _item_json(item):
    return {"id": item["id"], "slug": item["slug"], "title": item["title"], "price_idr": item["price_idr"],
            "unit": item["unit"],
            "url": site_url_for("catalogue.product", shop_slug=item["shop"]["slug"], product_slug=item["slug"]),
            "image": absolute(media_url(item["image"], 320)) if item["image"] else None,
            "shop": item["shop"], "in_stock": item["in_stock"]}


@bp.route("/api/v1/search")
@reads_only
def api_search():
    """The search as JSON (documented in the README's "JSON API" section)."""
    try:
        params = service.parse_params(request.args)
    except InvalidInput as error:
        return jsonify(error=error.message, field=error.field), 400
    result = service.search(params)
    return jsonify(
        query=params.q, total=result.total, page=params.page, per_page=params.per_page,
        items=[_item_json(item) for item in result.items],
        facets={"category": {facet.value: facet.count for facet in result.facets["category"]},
                "district": {facet.name_id: facet.count for facet in result.facets["district"]}},
        corrected_query=result.corrected_query, partial=result.partial)


@bp.route("/search/suggest")
@reads_only
def suggest():
    """Up to 8 completions of the text typed so far, as JSON."""
    text = request.args.get("q") or ""
    return jsonify(query=text[:service.MAX_QUERY_CHARS], suggestions=service.suggest(text))
