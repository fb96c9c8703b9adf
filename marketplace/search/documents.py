"""From database rows to index documents: what the index knows about a listing."""
import hashlib
from datetime import datetime
from functools import lru_cache

from sqlalchemy import select
from sqlalchemy.orm import aliased

from .. import regions
from ..catalogue.models import Category, Product, ProductImage
from ..catalogue.service import public_products
from ..shops.models import Shop
from .analysis import index_terms

ROW_BATCH = 2000


def district_number(code):
    """A district code as a number for the index ("64.02.06" -> 640206)."""
    return int(code.replace(".", "")) if code else 0


def district_code(number):
    """The inverse of district_number (640206 -> "64.02.06")."""
    digits = f"{number:06d}"
    return f"{digits[0:2]}.{digits[2:4]}.{digits[4:6]}"


def listing_rows(product_ids=None):
    """A select of the public listings (all, or those among product_ids) with what the index needs.

    Starts from catalogue.public_products(), the one definition of "public": approved listings of
    active shops.
    """
    parent = aliased(Category)
    cover = (select(ProductImage.content_hash).where(ProductImage.product_id == Product.id)
             .order_by(ProductImage.position, ProductImage.id).limit(1).correlate(Product).scalar_subquery())
    query = (public_products().with_only_columns(
        Product.id, Product.slug, Product.title, Product.description, Product.unit, Product.price_idr,
        Product.stock, Product.category_id, Product.approved_at, Shop.slug.label("shop_slug"),
        Shop.name.label("shop_name"), Shop.district_code, Category.name_id, Category.name_en,
        parent.name_id.label("parent_name_id"), parent.name_en.label("parent_name_en"),
        cover.label("cover"), maintain_column_froms=True)
        .join(Category, Product.category_id == Category.id)
        .outerjoin(parent, Category.parent_id == parent.id)
        .order_by(Product.id))
    if product_ids is not None:
        query = query.where(Product.id.in_(sorted(product_ids)))
    return query


def _milliseconds(moment):
    return int(moment.timestamp() * 1000) if isinstance(moment, datetime) else 0


def fingerprint(row):
    """A signed 64-bit hash of everything the index shows or searches about a listing."""
    text = repr(tuple(row))
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "big", signed=True)


@lru_cache(maxsize=4096)
def names_terms(shop_name, district_code, *category_names):
    """(exact words, stems) of the shop, district and category names of a listing."""
    # Listings of one shop and category share these words: analysed once per combination.
    names = [shop_name, regions.name(district_code) or "", *category_names]
    return index_terms(" ".join(name for name in names if name))


def document(row):
    """The index fields of one listing row (see listing_rows)."""
    title, title_stems = index_terms(row.title)
    meta, meta_stems = names_terms(row.shop_name, row.district_code, row.name_id, row.name_en,
                                   row.parent_name_id, row.parent_name_en)
    body, body_stems = index_terms(f"{row.description} {row.unit}")
    return {
        "id": str(row.id), "title": title, "title_stem": title_stems, "meta": meta, "meta_stem": meta_stems,
        "body": body, "body_stem": body_stems, "pid": row.id, "category": row.category_id,
        "district": district_number(row.district_code), "price": row.price_idr, "stock": row.stock,
        "approved": _milliseconds(row.approved_at), "title_words": min(len(title), 255),
        "fingerprint": fingerprint(row),
        "doc": {"id": row.id, "slug": row.slug, "title": row.title, "price_idr": row.price_idr, "unit": row.unit,
                "image": row.cover, "stock": row.stock, "category_id": row.category_id,
                "shop_slug": row.shop_slug, "shop_name": row.shop_name, "district_code": row.district_code},
    }


def documents(connection_or_session, product_ids=None):
    """Yield the index documents of the public listings (streamed in batches)."""
    result = connection_or_session.execute(listing_rows(product_ids).execution_options(yield_per=ROW_BATCH))
    for row in result:
        yield document(row)


def count_public(connection_or_session):
    """How many listings are public."""
    from sqlalchemy import func

    subquery = public_products().with_only_columns(Product.id, maintain_column_froms=True).subquery()
    return connection_or_session.scalar(select(func.count()).select_from(subquery))
