"""Public pages are drawn once per language, address and set of rows (web.shared_page): never stale, never
another visitor's."""
import re

from sqlalchemy import update

from marketplace.catalogue.models import Product
from marketplace.extensions import db
from marketplace.orders.models import CartItem
from marketplace.shops.models import Shop
from marketplace.web import MAX_SHARED_PAGES

KEPT = "pasardesa_shared_pages"


def _html(client, path):
    response = client.get(path)
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


def _kept(app):
    return app.extensions.get(KEPT, {})


def test_a_kept_product_page_shows_a_change_at_once_even_one_made_without_the_orm(app, make_product):
    product = make_product(title="Madu Kelulut Asli", stock=10)
    path = f"/toko/{product.shop.slug}/{product.slug}"
    app.extensions.pop(KEPT, None)
    first = _html(app.test_client(), path)
    assert len(_kept(app)) == 1
    again = _html(app.test_client(), path)
    assert again == first.replace(_token(first), _token(again)) and again != first
    # A plain UPDATE (as stock reservations do) fires no ORM event: the page still changes, its rows did.
    db.session.execute(update(Product).where(Product.id == product.id).values(stock=0))
    db.session.commit()
    sold_out = _html(app.test_client(), path)
    assert "Habis" in sold_out and "Tambah ke keranjang" not in sold_out
    db.session.execute(update(Shop).where(Shop.id == product.shop_id).values(name="Toko Baru Namanya"))
    db.session.commit()
    assert "Toko Baru Namanya" in _html(app.test_client(), path)


def _token(html):
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    return found.group(1) if found else ""


def test_a_kept_page_gets_a_fresh_token_and_sets_no_cookie(app, make_product):
    product = make_product()
    path = f"/toko/{product.shop.slug}/{product.slug}"
    tokens = set()
    for _ in range(3):
        response = app.test_client().get(path)
        assert response.headers.get("Set-Cookie") is None
        tokens.add(_token(response.get_data(as_text=True)))
    assert len(tokens) == 3 and "" not in tokens


def test_shop_category_and_search_pages_follow_their_rows(app, make_product):
    product = make_product(title="Amplang Ikan Pipih")
    shop, category = product.shop, product.category
    paths = [f"/toko/{shop.slug}", f"/kategori/{category.slug}", "/search?q=amplang"]
    for path in paths:
        assert "Amplang Ikan Pipih" in _html(app.test_client(), path)
    db.session.execute(update(Product).where(Product.id == product.id).values(price_idr=123000))
    db.session.commit()
    for path in paths:
        assert "Rp123.000" in _html(app.test_client(), path), path


def test_languages_and_addresses_are_kept_apart(app, make_product):
    product = make_product()
    path = f"/toko/{product.shop.slug}/{product.slug}"
    english = app.test_client()
    english.set_cookie("lang", "en")
    assert 'lang="en"' in _html(english, path)
    assert 'lang="id"' in _html(app.test_client(), path)
    assert 'lang="en"' in _html(english, path)
    # The address is part of the key: ?lang=en draws English, and the plain address stays Indonesian.
    assert 'lang="en"' in _html(app.test_client(), path + "?lang=en")
    assert 'lang="id"' in _html(app.test_client(), path)


def test_a_visitor_with_a_session_or_a_login_never_gets_a_kept_page(app, client, auth, make_product, make_user):
    product = make_product()
    path = f"/toko/{product.shop.slug}/{product.slug}"
    owner_view = app.test_client()
    auth_owner = type(auth)(owner_view)
    auth_owner.login(product.shop.owner.email)
    _html(app.test_client(), path)
    assert "Toko saya" in _html(owner_view, path)  # the producer's own header and status banner
    buyer = make_user(name="Ibu Rahmah")
    auth.login(buyer.email)
    html = _html(client, path)
    assert "Ibu Rahmah" in html and "Keluar" in html


def test_a_logged_in_home_page_follows_its_header(app, client, auth, make_product, make_user):
    product = make_product()
    buyer = make_user(name="Pak Darto")
    auth.login(buyer.email)
    assert "(0)" in _html(client, "/")
    db.session.add(CartItem(user_id=buyer.id, product_id=product.id, quantity=3, price_seen_idr=product.price_idr))
    db.session.commit()
    html = _html(client, "/")
    assert 'class="cart-count">(3)' in html and "Pak Darto" in html
    other = app.test_client()
    type(auth)(other).login(make_user(name="Bu Sari").email)
    other_html = _html(other, "/")
    assert "Bu Sari" in other_html and "Pak Darto" not in other_html
    assert 'class="cart-count">(0)' in other_html


def test_kept_pages_are_bounded(app, make_product):
    product = make_product()
    app.extensions[KEPT] = {("filler", n): ("", None) for n in range(MAX_SHARED_PAGES)}
    _html(app.test_client(), f"/toko/{product.shop.slug}/{product.slug}")
    assert len(_kept(app)) == 1
