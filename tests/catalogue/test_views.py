"""Public catalogue pages: home, category, district, shop and product, who sees what, hostile input."""
import gzip
import re
from datetime import date, timedelta
from urllib.parse import parse_qs, quote, urlsplit

import pytest

from marketplace.catalogue import service
from marketplace.catalogue.views import HOME_CARDS
from marketplace.extensions import db
from marketplace.media.service import variant_dimensions
from marketplace.media.storage import get_storage
from marketplace.moderation import service as moderation
from tests.pages import page_html
from tests.shops.images import jpeg_bytes

ROLES = ("anonymous", "buyer", "other_producer", "owner", "admin")
STATUSES = ("draft", "pending", "approved", "rejected", "archived")


@pytest.fixture
def photo(app):
    """Make a real processed photo: photo(colour, size) -> StoredImage."""

    def make(colour=(180, 90, 20), size=(400, 300)):
        return service.process_photos([jpeg_bytes(size, colour)], get_storage()).images[0]

    return make


@pytest.fixture
def login_as(auth, make_user):
    """login_as(role, shop) logs in as that role relative to the shop (owner = the shop's producer)."""

    def login(role, shop):
        if role == "anonymous":
            return
        user = shop.owner if role == "owner" else make_user("producer" if role == "other_producer" else role)
        assert auth.login(user.email).status_code == 302

    return login


def product_path(product):
    return f"/toko/{product.shop.slug}/{product.slug}"


def body(response):
    return response.get_data(as_text=True)


# ---- home ----

def test_home_shows_newest_cards_categories_and_districts(client, make_product, make_shop, photo):
    shop = make_shop(name="Madu Loa Kulu", district_code="64.02.02")
    product = make_product(shop=shop, title="Madu Kelulut Asli", price_idr=125000, unit="1 botol 250 ml",
                           photos=[photo()])
    html = body(client.get("/"))
    assert "Madu Kelulut Asli" in html and "Rp125.000" in html and "1 botol 250 ml" in html
    assert "Madu Loa Kulu · Loa Kulu" in html
    assert f'href="{product_path(product)}"' in html
    assert f'/media/v/{product.cover.content_hash[:2]}/{product.cover.content_hash}-320.webp' in html
    assert 'href="/kategori/makanan-olahan"' in html and 'href="/kecamatan/64.02.02"' in html
    assert re.search(r'href="/kecamatan/64\.02\.02">Loa Kulu <span class="muted">\(1\)</span>', html)


def test_home_loads_photos_below_the_fold_lazily(client, make_product, make_shop, photo):
    shop = make_shop()
    stored = photo()
    for _ in range(6):
        make_product(shop=shop, photos=[stored])
    images = re.findall(r"<img [^>]*>", body(client.get("/")))
    assert len(images) == 6
    assert ['loading="lazy"' in tag for tag in images] == [False] * 2 + [True] * 4  # one row on the first screen
    assert all('width="320" height="320"' in tag for tag in images)


def test_home_is_small_and_costs_the_same_queries_for_a_full_home_as_for_2(client, make_product, make_shop, photo,
                                                                         count_queries):
    client.application.config["HOME_PAGE_CACHE_SECONDS"] = 0  # measure the rendering itself, every time
    shops = [make_shop(district_code=code) for code in ("64.02.02", "64.02.04", "64.02.05")]
    stored = [photo((i * 40, 100, 200)) for i in range(2)]
    for i in range(2):
        make_product(shop=shops[i % 3], category="kopi", photos=[stored[i % 2]])
    few, few_queries = count_queries(lambda: client.get("/"))
    for i in range(30):
        make_product(shop=shops[i % 3], category=("kopi", "madu", "keripik")[i % 3],
                     photos=[stored[i % 2], stored[(i + 1) % 2]])
    many, many_queries = count_queries(lambda: client.get("/"))
    assert few.status_code == many.status_code == 200
    assert body(many).count('<li class="card">') == HOME_CARDS == 8  # a weak signal fetches every card's photo
    assert many_queries == few_queries <= 4
    assert len(gzip.compress(many.data)) < 15 * 1024


def test_category_page_queries_do_not_grow_with_cards(client, make_product, make_shop, photo, count_queries):
    shop = make_shop()
    stored = photo()
    make_product(shop=shop, category="kopi", photos=[stored])
    client.get("/kategori/minuman")  # the category tree is kept from the first visit (test_category_cache.py)
    _page, few = count_queries(lambda: client.get("/kategori/minuman"))
    for _ in range(26):
        make_product(shop=shop, category="kopi", photos=[stored])
    page, many = count_queries(lambda: client.get("/kategori/minuman"))
    assert body(page).count('<li class="card">') == 24
    assert many == few <= 4


# ---- listing pages ----

def test_category_page_includes_child_categories(client, make_product, make_shop):
    shop = make_shop()
    coffee = make_product(shop=shop, category="kopi", title="Kopi Liberika")
    honey = make_product(shop=shop, category="madu", title="Madu Hutan")
    html = body(client.get("/kategori/minuman"))
    assert coffee.title in html and honey.title not in html
    assert 'href="/kategori/kopi"' in html
    child = body(client.get("/kategori/kopi"))
    assert coffee.title in child and 'href="/kategori/minuman"' in child


def test_category_page_in_english(client):
    assert "<h1>Drinks</h1>" in body(client.get("/kategori/minuman?lang=en"))


def test_district_page(client, make_product, make_shop):
    here = make_product(shop=make_shop(district_code="64.02.02"), title="Madu Loa Kulu")
    there = make_product(shop=make_shop(district_code="64.02.04"), title="Amplang Anggana")
    html = body(client.get("/kecamatan/64.02.02"))
    assert "Loa Kulu" in html and here.title in html and there.title not in html


@pytest.mark.parametrize("path", ["/kategori/tidak-ada", "/kecamatan/64.02", "/kecamatan/64.01.01",
                                  "/kecamatan/64.02.99", "/kecamatan/%3Cscript%3E", "/toko/tidak-ada",
                                  "/toko/tidak-ada/madu", "/kategori/" + "a" * 5000, "/toko/%00", "/toko/%00/%00",
                                  "/kategori/%00", "/kecamatan/%00", "/toko/" + "x" * 5000, "/toko/Toko-Besar"])
def test_unknown_pages_are_404(client, path):
    assert client.get(path).status_code == 404


def test_pagination_links(client, make_product, make_shop):
    shop = make_shop()
    products = [make_product(shop=shop) for _ in range(25)]
    first = body(client.get(f"/toko/{shop.slug}"))
    assert first.count('<li class="card">') == 24
    assert f'href="/toko/{shop.slug}?page=2"' in first and 'rel="prev"' not in first
    assert "Halaman 1 dari 2" in first
    second = client.get(f"/toko/{shop.slug}?page=2")
    assert second.status_code == 200
    assert body(second).count('<li class="card">') == 1 and products[0].title in body(second)
    assert f'rel="prev" href="/toko/{shop.slug}"' in body(second) and 'rel="next"' not in body(second)
    assert client.get(f"/toko/{shop.slug}?page=3").status_code == 404


def test_home_ignores_page_parameter(client):
    assert client.get("/?page=" + "9" * 5000).status_code == 200


# ---- shop page ----

def test_shop_page(client, make_product, make_shop):
    shop = make_shop(name="Gula Aren Muara Badak", district_code="64.02.05",
                     story="Nira aren dari tepi hutan.\n\nDimasak di tungku <b>kayu</b>.\nSetiap pagi.",
                     whatsapp="0852 5503 0003")
    product = make_product(shop=shop, title="Gula Aren Cetak")
    html = body(client.get(f"/toko/{shop.slug}"))
    assert "<h1>Gula Aren Muara Badak</h1>" in html
    assert '<p class="story">Nira aren dari tepi hutan.</p>' in html
    assert '<p class="story">Dimasak di tungku &lt;b&gt;kayu&lt;/b&gt;.\nSetiap pagi.</p>' in html
    assert f"{shop.village_name}, Kecamatan Muara Badak" in html
    assert 'href="https://wa.me/6285255030003?text=' in html
    assert product.title in html


# ---- product page ----

def test_product_page(client, make_product, make_shop, photo):
    shop = make_shop(name="Madu Loa Kulu", district_code="64.02.02")
    first, second, third = photo((10, 10, 200), (400, 300)), photo((10, 200, 10), (300, 400)), photo((200, 1, 1))
    product = make_product(shop=shop, title="Madu Kelulut Asli", price_idr=125000, unit="1 botol 250 ml",
                           weight_g=350, description="Madu trigona.\n\nDipanen <script>alert(1)</script> sendiri.",
                           photos=[(stored, f"foto {stored.content_hash[:4]}") for stored in (first, second, third)])
    html = body(client.get(product_path(product)))
    assert "<h1>Madu Kelulut Asli</h1>" in html and "Rp125.000" in html and "1 botol 250 ml" in html
    assert "Berat 350 g" in html and "Stok tersedia" in html
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert '<p class="story">Madu trigona.</p>' in html
    assert f"{shop.village_name}, Kecamatan Loa Kulu" in html
    assert f'href="/toko/{shop.slug}"' in html and 'href="/kategori/madu"' in html
    images = re.findall(r"<img [^>]*>", html)
    assert len(images) == 3
    for tag, stored in zip(images, (first, second, third)):
        width_320 = variant_dimensions(stored.width, stored.height, 320)[0]  # a portrait's is narrower
        assert f'srcset="/media/v/{stored.content_hash[:2]}/{stored.content_hash}-320.webp {width_320}w' in tag
        assert f'width="{stored.width}" height="{stored.height}"' in tag and 'sizes="' in tag
        assert f'alt="foto {stored.content_hash[:4]}"' in tag
    assert 'loading="lazy"' not in images[0] and 'fetchpriority="high"' in images[0]
    assert all('loading="lazy"' in tag for tag in images[1:])


def test_whatsapp_link_carries_name_and_absolute_url(client, make_product, make_shop):
    shop = make_shop(whatsapp="+62 812-5501-0001")
    product = make_product(shop=shop, title="Madu & Amplang #1 100% asli?")
    link = re.search(r'href="(https://wa\.me/[^"]+)"', body(client.get(product_path(product)))).group(1)
    parts = urlsplit(link.replace("&amp;", "&"))
    assert parts.path == "/6281255010001"
    text = parse_qs(parts.query)["text"]
    assert len(text) == 1
    assert "Madu & Amplang #1 100% asli?" in text[0]
    assert f"http://localhost{product_path(product)}" in text[0]


@pytest.mark.parametrize("stock, label", [(40, "Stok tersedia"), (5, "Tinggal 5"), (1, "Tinggal 1"), (0, "Habis")])
def test_stock_state_on_product_page(client, make_product, stock, label):
    assert label in body(client.get(product_path(make_product(stock=stock))))


def test_sold_out_card(client, make_product):
    make_product(stock=0, title="Madu Habis Terjual")
    html = body(client.get("/"))
    assert re.search(r"Madu Habis Terjual.*?badge-bad\">Habis<", html, re.S)


def test_regulation_badges(client, make_product):
    product = make_product(category="kerupuk-amplang", pirt_number="206640201001227",
                           bpom_number="MD 224612001234", halal_number="ID64110000123450123",
                           halal_expires_on=date.today() + timedelta(days=400))
    html = body(client.get(product_path(product)))
    assert f"P-IRT {product.pirt_number}" in html
    assert "BPOM RI MD224612001234" in html
    assert re.search(r'badge-ok">Halal ID64110000123450123, berlaku sampai ', html)
    assert "kedaluwarsa" not in html


def test_expired_halal_certificate_shows_as_expired(client, make_product):
    product = make_product(halal_number="ID64110000123450123", halal_expires_on=date(2020, 1, 31))
    html = body(client.get(product_path(product)))
    assert re.search(r'badge-bad">Sertifikat halal ID64110000123450123 kedaluwarsa sejak ', html)
    assert "berlaku sampai" not in html


def test_product_without_regulation_numbers_has_no_badges(client, make_product):
    product = make_product()
    page = page_html(client, product_path(product))
    assert product.title in page and 'class="badges"' not in page


# ---- who sees what ----

def _suspend(shop, make_user):
    moderation.suspend_shop(shop, make_user("admin"), "Diperiksa admin")
    db.session.commit()


def test_owner_sees_suspension_banner_on_an_approved_listing(client, make_product, make_user, login_as):
    product = make_product()
    _suspend(product.shop, make_user)
    login_as("owner", product.shop)
    assert "Toko ini sedang dinonaktifkan" in body(client.get(product_path(product)))


def test_public_listing_has_no_banner_for_buyers(client, make_product, login_as):
    product = make_product()
    login_as("buyer", product.shop)
    html = body(client.get(product_path(product)))
    assert 'class="banner' not in html and "noindex" not in html


def test_a_change_awaiting_review_is_told_to_the_owner_only_and_shown_to_nobody(client, auth, make_product,
                                                                                  photo):
    product = make_product()
    added = photo()
    service.add_photo(product, added)
    db.session.commit()
    assert product.changed_since_approval
    html = page_html(client, product_path(product))
    assert "menunggu peninjauan" not in html and added.content_hash not in html
    auth.login(product.shop.owner.email)
    html = body(client.get(product_path(product)))
    assert "Perubahan Anda menunggu peninjauan admin" in html and added.content_hash not in html


def test_product_of_another_shop_is_not_found_under_this_shop(client, make_product, make_shop):
    product = make_product()
    other = make_shop()
    assert client.get(f"/toko/{other.slug}/{product.slug}").status_code == 404


