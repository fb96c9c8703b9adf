"""Searching the catalogue: the one function the search page, the JSON API and the benchmark call.

The buyer's text is only ever words: it is split by analysis.tokens (letters and digits), so query
syntax such as `title:(`, `*` or `~` is punctuation like any other, and the text is capped in length.
"""
import re
from collections import namedtuple
from dataclasses import astuple, dataclass, field
from functools import cache
from typing import NamedTuple

from flask import current_app
from flask_babel import gettext as _

from sqlalchemy import bindparam

from .. import regions
from ..catalogue import queries
from ..catalogue.models import Product
from ..driver_reads import driver_rows
from ..errors import InvalidInput
from ..extensions import db
from ..text import parse_rupiah
from . import analysis, synonyms as synonym_list
from .backend import Alternative, SearchQuery, backend_for
from .documents import district_code, district_number, listing_rows
from .models import SearchOutbox  # noqa: F401  (the outbox table is part of the schema)

SORTS = ("relevance", "newest", "price_asc", "price_desc")
PER_PAGE = 20
MAX_PER_PAGE = 48
MAX_RESULTS = 1000          # deepest result reachable by paging
MAX_QUERY_CHARS = 200
MAX_WORDS = 8
MAX_PRICE = 10_000_000_000
FEW_RESULTS = 3             # fewer results than this: try correcting the spelling
SYNONYM_WEIGHT = 0.9        # the buyer's own word ranks a little above its synonyms
PREFIX_WEIGHT = 0.5         # completions of an unfinished last word rank below whole words
PREFIX_COMPLETIONS = 20     # bound on the expansion of a prefix (`ter` alone has hundreds)
MIN_PREFIX = 2
SUGGESTIONS = 8
KEPT_ANSWERS = 500          # answers kept per view of the index (see search())
_WHOLE_NUMBER = re.compile(r"[0-9]{1,11}")


class Facet(NamedTuple):
    """One value of a facet with its count: a category slug or a district code, and its names."""

    value: str
    name_id: str
    name_en: str
    count: int

    def display_name(self, locale):
        """The name in the reader's language."""
        return self.name_en if str(locale) == "en" else self.name_id


@dataclass
class SearchParams:
    """What a buyer asked for, validated."""

    q: str = ""
    category: str | None = None
    district: str | None = None
    min_price: int | None = None
    max_price: int | None = None
    in_stock: bool = False
    sort: str = "relevance"
    page: int = 1
    per_page: int = PER_PAGE


@dataclass
class SearchResult:
    """A page of results with facet counts and the corrected query (None when none was needed)."""

    params: SearchParams
    total: int
    items: list
    facets: dict = field(default_factory=dict)
    corrected_query: str | None = None
    partial: bool = False       # no listing has every word: ranked by how many (and how telling) they match

    @property
    def pages(self):
        """How many pages can be reached."""
        reachable = min(self.total, MAX_RESULTS)
        return max(1, -(-reachable // self.params.per_page))


def _price(args, name):
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    try:
        price = parse_rupiah(raw[:40])
    except ValueError:
        price = -1
    if not 0 <= price <= MAX_PRICE:
        raise InvalidInput(_("Harga harus berupa angka rupiah bulat, 0 atau lebih, misalnya 200.000."), field=name)
    return price


def _whole(args, name, default, low, high, message):
    raw = (args.get(name) or "").strip()
    if not raw:
        return default
    if not _WHOLE_NUMBER.fullmatch(raw) or not low <= int(raw) <= high:
        raise InvalidInput(message(), field=name)
    return int(raw)


def _district(raw):
    raw = (raw or "").strip()
    if not raw:
        return None
    for code, name in regions.home_districts():
        if raw == code or raw.casefold() == name.casefold():
            return code
    raise InvalidInput(_("Kecamatan tidak dikenal."), field="district")


def _category(raw):
    raw = (raw or "").strip()
    if not raw:
        return None
    if queries.find_category(raw[:60]) is None:  # it looks in the tree as it is now before saying no
        raise InvalidInput(_("Kategori tidak dikenal."), field="category")
    return raw


def parse_params(args):
    """SearchParams from request arguments; InvalidInput (naming the field) for a bad value."""
    sort = (args.get("sort") or "relevance").strip()
    if sort not in SORTS:
        raise InvalidInput(_("Urutan tidak dikenal."), field="sort")
    in_stock = (args.get("in_stock") or "").strip()
    if in_stock not in ("", "0", "1", "on"):
        raise InvalidInput(_("Pilihan stok tidak dikenal."), field="in_stock")
    # The messages are translated only when needed: two translations cost a tenth of a search page.
    per_page = _whole(args, "per_page", PER_PAGE, 1, MAX_PER_PAGE,
                      lambda: _("Jumlah per halaman 1 sampai %(n)d.", n=MAX_PER_PAGE))
    last_page = MAX_RESULTS // per_page
    page = _whole(args, "page", 1, 1, last_page, lambda: _("Halaman 1 sampai %(n)d.", n=last_page))
    min_price, max_price = _price(args, "min_price"), _price(args, "max_price")
    if min_price is not None and max_price is not None and min_price > max_price:
        raise InvalidInput(_("Harga terendah melebihi harga tertinggi."), field="min_price")
    return SearchParams(q=(args.get("q") or "")[:MAX_QUERY_CHARS].strip(), category=_category(args.get("category")),
                        district=_district(args.get("district")), min_price=min_price, max_price=max_price,
                        in_stock=in_stock in ("1", "on"), sort=sort, page=page, per_page=per_page)


# The select of a page's listings is built once per process and number of listings (one parameter each: an
# expanding IN is rendered anew at every execution) and read by the driver's cursor, as catalogue/queries.py
# does for listing pages: building and running it through SQLAlchemy cost more than the statement.
@cache
def _items_select(count):
    """(select, row type) of `count` listings by id."""
    statement = listing_rows().where(Product.id.in_([bindparam(f"id_{n}") for n in range(count)]))
    return statement, namedtuple("ListingRow", statement.selected_columns.keys())


def _categories():
    # The same read as the page's category menu and the category check of parse_params (once per request).
    return {link.id: link for link in queries.categories()}


def _category_ids(categories, slug):
    if slug is None:
        return None
    chosen = {row.id for row in categories.values() if row.slug == slug}
    return frozenset(chosen | {row.id for row in categories.values() if row.parent_id in chosen})


def _plan(session, words, synonyms):
    """The query units: each phrase with its synonyms, and completions of an unfinished last word."""
    phrases = synonyms.split(words)
    units = []
    for position, phrase in enumerate(phrases):
        alternatives = [Alternative(phrase)]
        alternatives += [Alternative(other, SYNONYM_WEIGHT, same_field=True) for other in synonyms.others(phrase)]
        last = phrase[-1]
        if (position == len(phrases) - 1 and len(phrase) == 1 and len(last) >= MIN_PREFIX
                and session.frequency(last) == 0):
            context = [word for earlier in phrases[:-1] for word in earlier]
            alternatives += [Alternative((word,), PREFIX_WEIGHT)
                             for word in session.completions(last, PREFIX_COMPLETIONS, context)]
        units.append(tuple(alternatives))
    return units


def _corrections(session, words, synonyms):
    """{typed word: intended word} for the words the index does not know."""
    known = synonyms.vocabulary()
    fixed = {}
    for word in words:
        if word not in known and session.frequency(word) == 0:
            correction = session.correct(word, extra_words=known)
            if correction:
                fixed[word] = correction
    return fixed


def _query(params, categories, units, match_any=False):
    return SearchQuery(
        units=units, match_any=match_any, category_ids=_category_ids(categories, params.category),
        district_codes=frozenset({district_number(params.district)}) if params.district else None,
        min_price=params.min_price, max_price=params.max_price, in_stock=params.in_stock, sort=params.sort,
        offset=(params.page - 1) * params.per_page, limit=params.per_page)


def search(params):
    """Search the public listings; retries with corrected spelling, then with some of the words, when
    little or nothing is found."""
    synonyms = synonym_list.load_all(current_app.config.get("SEARCH_SYNONYMS_FILE"),
                                     current_app.config.get("SEARCH_ENGLISH_FILE"))
    categories = _categories()
    with backend_for(current_app).reading() as session:
        # An index that does not change under its reader gives the same answer to the same question: kept
        # with that view of the index, the answer goes when the index changes. The listings themselves are
        # read from the database on every search (_items), so a listing unpublished since is still left out.
        kept = session.kept_answers()
        key = (astuple(params), tuple(categories.values()), synonyms)
        answer = kept.get(key) if kept is not None else None
        if answer is None:
            answer = _answer(session, params, categories, synonyms)
            if kept is not None:
                if len(kept) >= KEPT_ANSWERS:
                    kept.clear()
                kept[key] = answer
    hits, corrected, partial = answer
    return SearchResult(params, hits.total, _items(hits.ids), _facets(hits.facets, categories), corrected, partial)


def _answer(session, params, categories, synonyms):
    """(hits, the corrected query or None, whether only some words matched) from the search engine."""
    words = analysis.words(params.q)[:MAX_WORDS]
    corrected, partial = None, False
    hits = session.search(_query(params, categories, _plan(session, words, synonyms)))
    if words and hits.total < FEW_RESULTS:
        fixed = _corrections(session, words, synonyms)
        if fixed:
            better_words = [fixed.get(word, word) for word in words]
            retry = session.search(_query(params, categories, _plan(session, better_words, synonyms)))
            if retry.total > hits.total:
                hits, words = retry, better_words
                corrected = " ".join(fixed.get(token, token) for token in analysis.tokens(params.q))
    if hits.total < FEW_RESULTS:
        units = _plan(session, words, synonyms)
        if len(units) > 1:      # every word together finds (almost) nothing: rank by the words matched
            relaxed = session.search(_query(params, categories, units, match_any=True))
            if relaxed.total > hits.total:
                hits, partial = relaxed, True
    return hits, corrected, partial


def _items(ids):
    """The listings of a page as the database has them now, in the engine's order: a listing made
    private since it was indexed is left out, and stock is today's, not the index's."""
    if not ids:
        return []
    statement, row = _items_select(len(ids))
    found = driver_rows(db.session, statement, {f"id_{n}": pid for n, pid in enumerate(ids)})
    rows = {fields[0]: row(*fields) for fields in found}
    return [_item(rows[pid]) for pid in ids if pid in rows]


def _item(row):
    return {"id": row.id, "slug": row.slug, "title": row.title, "price_idr": row.price_idr,
            "unit": row.unit, "image": row.cover, "in_stock": row.stock > 0, "stock": row.stock,
            "shop": {"slug": row.shop_slug, "name": row.shop_name,
                     "district": regions.name(row.district_code) or ""},
            "district_code": row.district_code}


def _facets(counts, categories):
    """Facets as lists of Facet, most frequent first."""
    category = [Facet(categories[cid].slug, categories[cid].name_id, categories[cid].name_en, n)
                for cid, n in counts["category"].items() if cid in categories]
    district = []
    for number, n in counts["district"].items():
        code = district_code(number)
        name = regions.name(code) or code
        district.append(Facet(code, name, name, n))
    order = (lambda facet: (-facet.count, facet.name_id))
    return {"category": sorted(category, key=order), "district": sorted(district, key=order)}


def suggest(text):
    """Up to 8 completions of what the buyer is typing ("madu kel" -> "madu kelulut", ...)."""
    typed = analysis.tokens(text[:MAX_QUERY_CHARS])[:MAX_WORDS]
    if not typed or len(typed[-1]) < MIN_PREFIX or text.endswith(" "):
        return []
    head = " ".join(typed[:-1])
    context = [word for word in typed[:-1] if word not in analysis.STOP_WORDS]
    with backend_for(current_app).reading() as session:
        words = session.completions(typed[-1], SUGGESTIONS, context)
    return [f"{head} {word}".strip() for word in words]


def index_answers():
    """True when the search index opens and answers a lookup (the /healthz check)."""
    try:
        with backend_for(current_app).reading() as session:
            session.frequency("madu")
        return True
    except Exception:  # noqa: BLE001 - a health check reports, it does not raise
        current_app.logger.exception("health check: search index did not answer")
        return False
