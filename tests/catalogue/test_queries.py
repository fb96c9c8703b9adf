"""Public read queries of catalogue/queries.py: cards, pagination, categories, districts, the product page."""
import pytest
from flask import g

from marketplace.catalogue import queries, service
from marketplace.extensions import db
from marketplace.media.storage import get_storage
from marketplace.moderation import service as moderation
from tests.shops.images import jpeg_bytes


@pytest.fixture
def photo(app):
    """Make real processed photos: photo(colour) -> StoredImage."""

    def make(colour=(180, 90, 20)):
        return service.process_photos([jpeg_bytes((200, 150), colour)], get_storage()).images[0]

    return make


def test_newest_cards_show_only_public_listings_newest_first(make_product, make_shop, make_user):
    shop = make_shop()
    older = make_product(shop=shop, title="Madu lama")
    newer = make_product(shop=shop, title="Madu baru")
    hidden = [make_product(shop=shop, status=status) for status in ("draft", "pending", "rejected", "archived")]
    suspended = make_shop()
    hidden.append(make_product(shop=suspended))
    moderation.suspend_shop(suspended, make_user("admin"), "Melanggar aturan")
    db.session.commit()

    ids = [card.id for card in queries.newest_cards()]
    assert ids.index(newer.id) < ids.index(older.id)
    assert not {product.id for product in hidden} & set(ids)


def test_card_carries_what_the_card_shows(make_product, make_shop, make_user, photo):
    shop = make_shop(name="Toko Madu Loa Kulu", district_code="64.02.02")
    product = make_product(shop=shop, title="Madu Kelulut", price_idr=125000, unit="1 botol", stock=0,
                           status="draft")
    first, second = photo((10, 200, 10)), photo((200, 10, 10))
    service.add_photo(product, first)
    service.add_photo(product, second)
    service.move_photo(product, product.images[1].id, -1)
    service.submit_product(product)
    moderation.approve_product(product, make_user("admin"))
    db.session.commit()

    card = next(card for card in queries.newest_cards() if card.id == product.id)
    assert (card.title, card.price_idr, card.unit, card.stock) == ("Madu Kelulut", 125000, "1 botol", 0)
    assert (card.shop_slug, card.shop_name, card.district_name) == (shop.slug, shop.name, "Loa Kulu")
    assert card.slug == product.slug
    assert card.cover_hash == second.content_hash  # the photo moved first is the cover


def test_card_without_photo_has_no_cover(make_product):
    product = make_product()
    assert next(card for card in queries.newest_cards() if card.id == product.id).cover_hash is None


def test_newest_cards_limit(make_product, make_shop):
    shop = make_shop()
    for _ in range(3):
        make_product(shop=shop)
    assert len(queries.newest_cards(limit=2)) == 2


def test_pagination_splits_24_a_page(make_product, make_shop):
    shop = make_shop()
    products = [make_product(shop=shop) for _ in range(25)]
    first = queries.shop_page(shop, 1)
    assert (first.number, first.pages, first.total, len(first.items)) == (1, 2, 25, 24)
    assert first.has_next and not first.has_prev and first.prev_num is None
    second = queries.shop_page(shop, 2)
    assert [card.id for card in second.items] == [products[0].id]  # the oldest comes last
    assert second.has_prev and not second.has_next and second.prev_num is None
    assert queries.shop_page(shop, 3) is None


def test_empty_listing_has_one_empty_page(make_shop):
    shop = make_shop()
    page = queries.shop_page(shop, 1)
    assert (page.items, page.pages, page.total) == ([], 1, 0)
    assert queries.shop_page(shop, 2) is None


def test_category_page_includes_children(make_product, make_shop):
    shop = make_shop()
    coffee = make_product(shop=shop, category="kopi")
    drink = make_product(shop=shop, category="minuman")
    honey = make_product(shop=shop, category="madu")
    category, parent, children = queries.find_category("minuman")
    assert parent is None and "kopi" in [child.slug for child in children]
    ids = {card.id for card in queries.category_page(category, 1).items}
    assert {coffee.id, drink.id} <= ids and honey.id not in ids

    child, parent, grandchildren = queries.find_category("kopi")
    assert parent.slug == "minuman" and grandchildren == []
    assert [card.id for card in queries.category_page(child, 1).items] == [coffee.id]
    assert queries.find_category("no-such-category") is None


def test_district_page_and_counts(make_product, make_shop):
    here = make_shop(district_code="64.02.02")
    there = make_shop(district_code="64.02.04")
    mine = [make_product(shop=here) for _ in range(2)]
    make_product(shop=here, status="pending")
    make_product(shop=there)
    assert {card.id for card in queries.district_page("64.02.02", 1).items} == {p.id for p in mine}
    counts = {code: count for code, _name, count in queries.district_counts()}
    assert counts["64.02.02"] == 2 and counts["64.02.04"] == 1
    assert len(counts) == len(queries.regions.home_districts())


def test_shop_page_lists_approved_listings_even_when_the_shop_is_suspended(make_product, make_shop, make_user):
    shop = make_shop()
    approved = make_product(shop=shop)
    make_product(shop=shop, status="draft")
    moderation.suspend_shop(shop, make_user("admin"), "Sedang diperiksa")
    db.session.commit()
    assert [card.id for card in queries.shop_page(shop, 1).items] == [approved.id]
    assert approved.id not in [card.id for card in queries.newest_cards()]


def test_category_tree_and_district_counts_are_read_once_per_request(app, count_queries):
    with app.test_request_context("/"):
        tree, first = count_queries(queries.category_tree)
        again, second = count_queries(queries.category_tree)
        assert again is tree and (first, second) == (1, 0)
        _counts, first = count_queries(queries.district_counts)
        _counts, second = count_queries(queries.district_counts)
        assert (first, second) == (1, 0)
        # A new request starts with an empty `g` (its own app context): the district counts are read again,
        # the category tree is this process's for HOME_PAGE_CACHE_SECONDS (test_category_cache.py).
        vars(g).clear()
        _counts, third = count_queries(queries.district_counts)
        _tree, kept = count_queries(queries.category_tree)
        assert (third, kept) == (1, 0)


def test_category_tree_is_in_display_order(app):
    tops = [top.slug for top, _children in queries.category_tree()]
    assert tops[:3] == ["makanan-olahan", "minuman", "madu"]
    assert dict((top.slug, [c.slug for c in children]) for top, children in queries.category_tree())["minuman"] \
        == ["kopi", "teh-herbal"]
    assert queries.category_tree()[0][0].display_name("en") == "Processed food"


@pytest.mark.parametrize("code, expected", [("64.02.02", True), ("64.02", False), ("64.01.01", False),
                                            ("64.02.99", False), ("", False), ("../etc", False)])
def test_is_home_district(app, code, expected):
    assert queries.is_home_district(code) is expected


def test_product_for_page_loads_shop_category_and_photos_in_one_query(make_product, photo, count_queries):
    product = make_product(photos=[photo((180, 90, 20)), photo((20, 90, 180)), photo((90, 180, 20))])
    shop_slug, product_slug = product.shop.slug, product.slug
    in_order = [image.content_hash for image in sorted(product.images, key=lambda image: image.position)]
    db.session.expunge_all()

    def load_and_touch():
        found = queries.product_for_page(shop_slug, product_slug)
        return found.shop.name, found.category.slug, [image.content_hash for image in found.images]

    (_name, category, hashes), statements = count_queries(load_and_touch)
    assert category == "madu" and hashes == in_order and len(set(hashes)) == 3
    assert statements == 1
    assert queries.product_for_page(shop_slug, "other") is None
    assert queries.product_for_page("other", product_slug) is None


@pytest.mark.parametrize("stock, state", [(0, "sold_out"), (1, "few_left"), (5, "few_left"), (6, "in_stock")])
def test_stock_state(make_product, stock, state):
    assert queries.stock_state(make_product(stock=stock)) == state
