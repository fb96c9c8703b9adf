"""Public read queries of the catalogue: cards for listing pages, pagination, the product page.

Listing pages read only the columns a product card shows, one row per card with the cover photo from
a correlated subquery: a page of 24 cards costs one query plus one count, whatever it holds.
They are the busiest pages, so two costs are avoided:
- building a select costs more than running it on 24 rows, so each listing's select is built once per
  process, with bind parameters (a constant, like a compiled regex: nothing is shared between requests);
- rows are read by the driver's cursor on the session's connection (driver_reads.driver_rows): no entities
  to make, nothing to flush on a read-only page, no Result to build, several times cheaper per query.
"""
import re
import time
from dataclasses import dataclass
from functools import cache
from math import ceil
from typing import NamedTuple

from flask import current_app, g, has_app_context
from sqlalchemy import bindparam, event, func, select, true
from sqlalchemy.orm import contains_eager, joinedload

from .. import driver_reads, regions
from ..accounts.models import User
from ..extensions import db
from ..reviews import service as reviews
from ..reviews.models import Review
from ..shops.models import Shop, ShopSlugHistory
from . import service
from .models import Category, Product, ProductEditImage, ProductImage

PER_PAGE = 24
# Page numbers beyond a million are never real; refusing longer input avoids int() on huge strings.
# What slugify() makes. Anything else cannot name a shop or product, and is not sent to the database
# (PostgreSQL refuses a NUL byte in a query with an error).
_SLUG = re.compile(r"[a-z0-9-]{1,100}")


class ProductCard(NamedTuple):
    """What a product card shows, read in one row."""

    id: int
    slug: str
    title: str
    price_idr: int
    unit: str
    stock: int
    shop_slug: str
    shop_name: str
    district_code: str
    cover_hash: str | None

    @property
    def district_name(self):
        """The shop's district."""
        return regions.name(self.district_code)


class CategoryLink(NamedTuple):
    """A category as menus, chips and breadcrumbs show it."""

    id: int
    parent_id: int | None
    slug: str
    name_id: str
    name_en: str

    def display_name(self, locale):
        """The name in the reader's language."""
        return self.name_en if str(locale) == "en" else self.name_id


@dataclass(frozen=True)
class Page:
    """One page of a listing."""

    items: list
    number: int
    pages: int
    total: int

    @property
    def prev_num(self):
        """The previous page's number; None on the first page (its URL carries no ?page)."""
        return self.number - 1 if self.number > 2 else None

    @property
    def has_prev(self):
        """True from page 2 on."""
        return self.number > 1

    @property
    def has_next(self):
        """True before the last page."""
        return self.number < self.pages


def _rows(statement, **params):
    return driver_reads.driver_rows(db.session, statement, params)


def _card_select(base, condition):
    cover_hash = (select(ProductImage.content_hash).where(ProductImage.product_id == Product.id)
                  .order_by(ProductImage.position, ProductImage.id).limit(1)
                  .correlate(Product).scalar_subquery())
    return (base.with_only_columns(Product.id, Product.slug, Product.title, Product.price_idr, Product.unit,
                                   Product.stock, Shop.slug, Shop.name, Shop.district_code, cover_hash)
            .where(condition)
            .order_by(Product.approved_at.desc(), Product.id.desc()))


@cache
def _listing(kind):
    """(count, page, page with the count) selects of one kind of listing, built once; see the module docstring."""
    base = service.public_products()
    if kind == "newest":
        condition = true()
    elif kind == "category":  # the category and its children
        condition = Product.category_id.in_(select(Category.id).where(
            (Category.id == bindparam("category_id")) | (Category.parent_id == bindparam("category_id"))))
    elif kind == "district":
        condition = Shop.district_code == bindparam("code")
    else:  # "shop": its owner and admins still see a suspended shop's approved listings
        base = select(Product).join(Product.shop).where(Product.status == "approved")
        condition = Product.shop_id == bindparam("shop_id")
    count = base.with_only_columns(func.count(Product.id)).where(condition)
    page = _card_select(base, condition).limit(bindparam("limit")).offset(bindparam("offset"))
    # A page's cards with the listing's size on each row: a window count is taken before LIMIT applies.
    counted = page.add_columns(func.count().over())
    return count, page, counted


def _cards(kind, limit, offset=0, **params):
    return [ProductCard(*row) for row in _rows(_listing(kind)[1], limit=limit, offset=offset, **params)]


def newest_cards(limit=PER_PAGE):
    """The newest public listings, read once per request."""
    return _once(("newest", limit), lambda: _cards("newest", limit))


def _once(key, read):
    """read(), once per request and key: a page kept by web.shared_page reads its rows for the key, and
    draws from the same rows when it is not kept yet."""
    found = g.setdefault("catalogue_reads", {})
    if key not in found:
        found[key] = read()
    return found[key]


def _paginate(kind, page_number, **params):
    """A page of a listing, or None when the page does not exist; read once per request."""
    key = (kind, page_number, *((name, tuple(value) if isinstance(value, list) else value)
                                for name, value in sorted(params.items())))
    return _once(key, lambda: _read_page(kind, page_number, **params))


def _read_page(kind, page_number, **params):
    _count, _page, counted = _listing(kind)
    rows = _rows(counted, limit=PER_PAGE, offset=(page_number - 1) * PER_PAGE, **params)
    # One statement for a page with cards; the count's own only for an empty page (none, or past the end).
    total = rows[0][-1] if rows else _rows(_count, **params)[0][0]
    pages = max(1, ceil(total / PER_PAGE))
    if page_number > pages:
        return None
    return Page(items=[ProductCard(*row[:-1]) for row in rows], number=page_number, pages=pages, total=total)


def category_page(category, page_number):
    """Public listings of a category and its children."""
    return _paginate("category", page_number, category_id=category.id)


def district_page(district_code, page_number):
    """Public listings of the shops in a district."""
    return _paginate("district", page_number, code=district_code)


def shop_page(shop, page_number):
    """The approved listings of a shop; the caller decides whether the shop itself may be seen."""
    return _paginate("shop", page_number, shop_id=shop.id)


def page_key(page):
    """A Page as a hashable value (part of web.shared_page's key), None for a page that does not exist."""
    return None if page is None else (page.number, page.pages, page.total, tuple(page.items))


def category_page_inputs(slug, page_number):
    """The rows a category page is drawn from (the category tree and the page's cards), or None."""
    found = find_category(slug)
    if found is None:
        return None
    page = page_key(category_page(found[0], page_number))
    return None if page is None else (tuple((top, tuple(kids)) for top, kids in category_tree()), page)


def shop_page_inputs(slug, page_number):
    """The rows a shop page is drawn from (the shop with its rating, the page's cards), or None."""
    if not _SLUG.fullmatch(slug):
        return None
    found = _rows(_shop_row_select(), slug=slug)
    if not found:
        return None
    shop = found[0]
    page = page_key(_paginate("shop", page_number, shop_id=shop[0]))
    return None if page is None else (shop, reviews.summary_of(*shop[-2:]), page)


@cache
def _shop_row_select():
    # The rating's sum and count come last, in the same statement: a round trip fewer on PostgreSQL.
    return select(Shop.id, *(column for column in Shop.__table__.c if column.key != "id"),
                  *reviews.shop_rating_columns(Shop.id)).where(Shop.slug == bindparam("slug"))


@cache
def _category_select():
    return (select(Category.id, Category.parent_id, Category.slug, Category.name_id, Category.name_en)
            .order_by(Category.position, Category.id))


def categories(fresh=False):
    """Every category as a CategoryLink in display order: the rows this process read within the last
    HOME_PAGE_CACHE_SECONDS (the tree changes with a deployment, not with the day's trade: a rename made by
    another process shows within those seconds, one made here at once, see forget_categories), the same for the
    whole request. `fresh` reads them now, once per request: for a slug that the kept tree does not know."""
    if "catalogue_categories" in g and (not fresh or g.catalogue_categories_fresh):
        return g.catalogue_categories
    links, g.catalogue_categories_fresh = kept_for_a_while(
        _KEPT_CATEGORIES, lambda: [CategoryLink(*row) for row in _rows(_category_select())], fresh)
    g.catalogue_categories = links
    g.pop("catalogue_category_tree", None)
    return links


_KEPT_CATEGORIES = "catalogue_categories"


def kept_for_a_while(name, read, fresh=False):
    """(read()'s value as this process read it within the last HOME_PAGE_CACHE_SECONDS, whether it was read
    now), kept under `name` in the app's extensions; `fresh`, or a cache time of 0, reads it now."""
    seconds = current_app.config["HOME_PAGE_CACHE_SECONDS"]
    kept = current_app.extensions.get(name)
    now = time.monotonic()
    if not fresh and seconds > 0 and kept is not None and kept[0] > now:
        return kept[1], False
    value = read()
    if seconds > 0:
        current_app.extensions[name] = (now + seconds, value)
    return value, True


@event.listens_for(Category, "after_insert")
@event.listens_for(Category, "after_update")
@event.listens_for(Category, "after_delete")
def forget_categories(_mapper, _connection, _category):
    """A category written by this process: its next read of the tree reads it afresh."""
    if has_app_context():
        current_app.extensions.pop(_KEPT_CATEGORIES, None)
        g.pop("catalogue_categories", None)
        g.pop("catalogue_category_tree", None)


def category_tree(fresh=False):
    """[(top-level CategoryLink, [its children])] in display order, from categories(fresh)."""
    links = categories(fresh)
    if "catalogue_category_tree" not in g:
        children = {}
        for link in links:
            children.setdefault(link.parent_id, []).append(link)
        g.catalogue_category_tree = [(top, children.get(top.id, [])) for top in children.get(None, [])]
    return g.catalogue_category_tree


def find_category(slug):
    """(category, its parent or None, its children) for a slug, or None; a slug the kept tree does not know
    is looked for again in the tree read now (a category added by another process a moment ago)."""
    return _find_category(slug, category_tree()) or _find_category(slug, category_tree(fresh=True))


def _find_category(slug, tree):
    for top, children in tree:
        if top.slug == slug:
            return top, None, children
        for child in children:
            if child.slug == slug:
                return child, top, []
    return None


@cache
def _district_counts_select():
    return (service.public_products().with_only_columns(Shop.district_code, func.count(Product.id))
            .group_by(Shop.district_code))


def district_counts():
    """(code, name, public listings) for every Kutai Kartanegara district, read once per request."""
    if "catalogue_district_counts" not in g:
        counts = dict(_rows(_district_counts_select()))
        g.catalogue_district_counts = [(code, name, counts.get(code, 0)) for code, name in regions.home_districts()]
    return g.catalogue_district_counts


def is_home_district(code):
    """True for a district code of Kutai Kartanegara."""
    return regions.parent(code) == regions.HOME_REGENCY and regions.name(code) is not None


def product_for_page(shop_slug, product_slug):
    """The product at /toko/<shop_slug>/<product_slug> with its shop, category and photos, whatever its status."""
    if not (_SLUG.fullmatch(shop_slug) and _SLUG.fullmatch(product_slug)):
        return None
    return db.session.execute(_product_page_select(), {"shop_slug": shop_slug, "product_slug": product_slug}
                              ).unique().scalar_one_or_none()


@cache
def _product_page_select():
    # Photos joined in the same statement (a row per photo, a handful at most): a selectin load of them built
    # its second statement anew on every request and cost half of the whole read.
    return (select(Product).join(Product.shop)
            .where(Shop.slug == bindparam("shop_slug"), Product.slug == bindparam("product_slug"))
            .options(contains_eager(Product.shop), joinedload(Product.category), joinedload(Product.images)))


def product_page_inputs(shop_slug, product_slug):
    """Every row the product page is drawn from, as plain tuples (web.shared_page's key), or None when there
    is no such listing: the listing with its shop, category and photos, and its newest visible reviews with
    their writers' names, each with the count and star total of all of them (its rating)."""
    if not (_SLUG.fullmatch(shop_slug) and _SLUG.fullmatch(product_slug)):
        return None
    rows = tuple(_rows(_product_rows_select(), shop_slug=shop_slug, product_slug=product_slug))
    if not rows:
        return None
    return rows, tuple(_rows(_review_rows_select(), product_id=rows[0][0], limit=reviews.PUBLIC_LIMIT))


@cache
def _product_rows_select():
    return (select(Product.__table__, Shop.__table__, Category.__table__, ProductImage.__table__)
            .join(Shop, Shop.id == Product.shop_id).join(Category, Category.id == Product.category_id)
            .outerjoin(ProductImage, ProductImage.product_id == Product.id)
            .where(Shop.slug == bindparam("shop_slug"), Product.slug == bindparam("product_slug"))
            .order_by(ProductImage.position, ProductImage.id))


@cache
def _review_rows_select():
    # What reviews.visible_reviews shows (newest first, hidden ones left out), with the writer's name; the
    # window totals cover every visible review, those past the limit too (what reviews.rating_summary reads).
    return (select(Review.__table__, User.name, func.count().over(), func.sum(Review.rating).over())
            .join(User, User.id == Review.buyer_id)
            .where(Review.product_id == bindparam("product_id"), Review.hidden.is_(False))
            .order_by(Review.created_at.desc(), Review.id.desc()).limit(bindparam("limit")))


@cache
def _shop_select():
    return select(Shop).where(Shop.slug == bindparam("slug"))


def shop_by_slug(slug):
    """The shop at /toko/<slug>, whatever its status, or None."""
    if not _SLUG.fullmatch(slug):
        return None
    return db.session.scalar(_shop_select(), {"slug": slug})


def moved_shop(slug):
    """The shop that had /toko/<slug> before it took another address, or None."""
    if not _SLUG.fullmatch(slug):
        return None
    return db.session.scalar(select(Shop).join(ShopSlugHistory, ShopSlugHistory.shop_id == Shop.id)
                             .where(ShopSlugHistory.slug == slug))


def moved_product(shop_slug, product_slug):
    """The listing that was at /toko/<shop_slug>/<product_slug> before its shop or title changed, or None."""
    if not (_SLUG.fullmatch(shop_slug) and _SLUG.fullmatch(product_slug)):
        return None
    shop = shop_by_slug(shop_slug) or moved_shop(shop_slug)
    return None if shop is None else service.product_slug_holder(shop.id, product_slug)


def stock_state(product):
    """'sold_out', 'few_left' or 'in_stock'."""
    if product.stock <= 0:
        return "sold_out"
    return "few_left" if product.stock <= service.LOW_STOCK else "in_stock"


def photo_hashes_in_use(_sender=None):
    """Content hashes of every listing's photos, whatever the listing's state, and of the photos of edits
    waiting for review (`flask media collect`)."""
    return set(db.session.scalars(select(ProductImage.content_hash).distinct())) | \
        set(db.session.scalars(select(ProductEditImage.content_hash).distinct()))
