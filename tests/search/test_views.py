"""/search, /api/v1/search and /search/suggest through HTTP."""
import re
from urllib.parse import parse_qs, urlparse

import pytest
from sqlalchemy import select

from marketplace.catalogue import service as catalogue
from marketplace.extensions import db
from marketplace.search.whoosh_engine import index as search_index
from marketplace.search.models import SearchOutbox
from tests.conftest import csrf_token
from tests.pages import page_html

from .conftest import sharing_the_catalogue

ITEM_KEYS = {"id", "slug", "title", "price_idr", "unit", "url", "image", "shop", "in_stock"}
BAD_ARGUMENTS = ["min_price=-1", "max_price=abc", "min_price=5000&max_price=10", "sort=cheapest", "page=0",
                 f"page={10**9}", "page=-1", "per_page=500", "in_stock=yes", "category=no-such",
                 "district=Jakarta", f"min_price={'9' * 40}"]
HOSTILE_QUERIES = ["title:(", "*", "~", "x" * 10_000, "!!!???", "%00", "<script>alert(1)</script>",
                   "madu' OR '1'='1", "((((((((", "\\", "🍯"]


# The catalogue is built once for the module (tests/search/conftest.py: catalogue_market).
app, world = sharing_the_catalogue()


def links(html, pattern):
    """The hrefs of the page that match a pattern (HTML-unescaped)."""
    return [href.replace("&amp;", "&") for href in re.findall(r'href="([^"]+)"', html) if re.search(pattern, href)]


def test_results_link_to_product_pages_and_facets_narrow(client, world):
    html = client.get("/search?q=madu").get_data(as_text=True)
    product = world.products["Madu Kelulut Asli 250 ml"]
    assert f'/toko/{product.shop.slug}/{product.slug}' in html
    category_links = links(html, r"category=")
    assert category_links and all("q=madu" in href for href in category_links)
    narrowed = next(href for href in category_links if "category=teh-herbal" in href)
    narrowed_html = client.get(narrowed).get_data(as_text=True)
    assert "Teh Rempah Hangat" in narrowed_html and "Madu Trigona Hutan" not in narrowed_html
    district = next(href for href in links(html, r"district=") if "64.02.12" in href)
    assert parse_qs(urlparse(district).query) == {"q": ["madu"], "district": ["64.02.12"]}
    assert "Madu Trigona Hutan" in client.get(district).get_data(as_text=True)


def test_a_typo_shows_the_correction(client, world):
    html = client.get("/search?q=kerpik+pisang").get_data(as_text=True)
    assert "Menampilkan hasil untuk" in html and "keripik pisang" in html
    assert "Keripik Pisang Manis" in html


def test_the_page_works_without_a_query_and_without_results(client, world):
    assert "Kain Ulap Doyo" in client.get("/search").get_data(as_text=True)
    html = client.get("/search?q=xqzvw").get_data(as_text=True)
    assert "Tidak ada produk yang cocok" in html


@pytest.mark.parametrize("arguments", BAD_ARGUMENTS)
def test_bad_arguments_get_400_with_a_message(client, world, arguments):
    response = client.get(f"/search?q=madu&{arguments}")
    assert response.status_code == 400
    assert 'role="alert"' in response.get_data(as_text=True)
    api = client.get(f"/api/v1/search?q=madu&{arguments}")
    assert api.status_code == 400 and api.is_json
    assert set(api.get_json()) == {"error", "field"} and api.get_json()["error"]


@pytest.mark.parametrize("text", HOSTILE_QUERIES)
def test_hostile_queries_never_fail(client, world, text):
    for path in ("/search", "/api/v1/search", "/search/suggest"):
        response = client.get(path, query_string={"q": text})
        assert response.status_code == 200, (path, text)


def test_api_shape(client, world):
    response = client.get("/api/v1/search?q=madu&per_page=2")
    body = response.get_json()
    assert set(body) == {"query", "total", "page", "per_page", "items", "facets", "corrected_query",
                         "partial"}
    assert (body["query"], body["total"], body["page"], body["per_page"], body["corrected_query"]) == (
        "madu", 4, 1, 2, None)
    assert len(body["items"]) == 2
    for item in body["items"]:
        assert set(item) == ITEM_KEYS
        assert set(item["shop"]) == {"slug", "name", "district"}
        assert item["url"].startswith("http://localhost/toko/")
        assert isinstance(item["price_idr"], int) and isinstance(item["in_stock"], bool)
    assert body["facets"] == {"category": {"madu": 3, "teh-herbal": 1},
                              "district": {"Loa Kulu": 1, "Tabang": 1, "Samboja": 2}}
    corrected = client.get("/api/v1/search?q=mdau").get_json()
    assert corrected["corrected_query"] == "madu" and corrected["total"] == 4


def test_api_items_follow_the_page_and_sort(client, world):
    first = client.get("/api/v1/search?sort=price_asc&per_page=5").get_json()
    second = client.get("/api/v1/search?sort=price_asc&per_page=5&page=2").get_json()
    prices = [item["price_idr"] for item in first["items"] + second["items"]]
    assert prices == sorted(prices) and first["total"] == 22
    assert {i["id"] for i in first["items"]}.isdisjoint(i["id"] for i in second["items"])


def test_suggest(client, world):
    body = client.get("/search/suggest?q=madu+kel").get_json()
    assert body == {"query": "madu kel", "suggestions": ["madu kelulut"]}
    many = client.get("/search/suggest?q=ke").get_json()["suggestions"]
    assert 0 < len(many) <= 8 and all(word.startswith("ke") for word in many)
    assert client.get("/search/suggest").get_json()["suggestions"] == []


def test_header_search_box_on_every_page(client, world):
    html = client.get("/").get_data(as_text=True)
    assert 'action="/search"' in html and 'name="q"' in html and "js/suggest.js" in html
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)         # CSP: no inline scripts


def test_a_listing_unpublished_before_the_index_catches_up_is_not_shown(app, client, world):
    app.config["SEARCH_SYNC_ON_COMMIT"] = False
    catalogue.archive_product(world.products["Madu Hutan Liar"])
    db.session.commit()
    page = page_html(client, "/search?q=madu")
    assert "Madu Hutan Liar" not in page
    assert "Madu Kelulut Asli 250 ml" in page  # the search itself found the others


def test_a_busy_index_never_fails_a_request(app, client, auth, make_user, make_shop, make_product, runner):
    producer = make_user("producer")
    product = make_product(shop=make_shop(owner=producer), title="Gula Semut Busy", stock=5)
    auth.login(producer.email)
    token = csrf_token(client, "/dashboard")
    with search_index.live_writer(app.config["SEARCH_INDEX_DIR"]):      # another worker is writing
        response = client.post(f"/dashboard/products/{product.id}/stock", data={"stock": "0", "csrf_token": token})
        assert response.status_code == 302
        assert db.session.scalars(select(SearchOutbox.object_id)).all() == [product.id]
    # The index still says in stock; the API answers from the database, as the page does.
    assert client.get("/api/v1/search?q=semut+busy").get_json()["items"][0]["in_stock"] is False
    result = runner.invoke(args=["search", "sync"])
    assert result.exit_code == 0 and "Applied 1" in result.output
    assert client.get("/api/v1/search?q=semut+busy").get_json()["items"][0]["in_stock"] is False


def test_the_api_hides_a_suspended_shops_goods_while_the_index_is_busy(app, client, world, make_user):
    from marketplace.moderation import service as moderation

    with search_index.live_writer(app.config["SEARCH_INDEX_DIR"]):      # another worker is writing
        moderation.suspend_shop(world.shops["anggana"], make_user("admin"), "Uji penangguhan.")
        db.session.commit()
        assert db.session.scalars(select(SearchOutbox.id)).all() != []  # the index has not caught up
    answer = client.get("/api/v1/search?q=amplang").get_json()
    page = client.get("/search?q=amplang").get_data(as_text=True)
    assert "Amplang Ikan Pipih" not in page
    assert "Amplang Ikan Pipih" not in [item["title"] for item in answer["items"]]


BROWSES = ["q=&category=madu", "q=&category=kopi", "q=&district=64.02.12", "q=&in_stock=1",
           "q=&category=kerupuk-amplang&in_stock=1", "q=&min_price=20000&max_price=40000", "q=", "q=madu"]


def test_filtered_browses_never_change_later_answers(client, world):
    """A browse without words starts from the cached set of every listing; a filter must not narrow it."""
    def totals():
        return {args: client.get(f"/api/v1/search?{args}&per_page=1").get_json()["total"] for args in BROWSES}

    first = totals()
    assert first["q=&category=madu"] == 3 and first["q=&category=kopi"] == 1 and first["q="] == len(world.products)
    for _ in range(2):
        for args in BROWSES + BROWSES[::-1]:
            client.get(f"/api/v1/search?{args}")
            client.get(f"/search?{args}")
        assert totals() == first
