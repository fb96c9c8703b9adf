"""Browsing leaves no cookie; a POST is checked by the browser's Sec-Fetch-Site / Origin, or by the session's token."""
import pytest
from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.orders.models import CartItem
from tests.conftest import TEST_PASSWORD, csrf_token

SITE = "http://localhost"  # the tests' SITE_URL (tests/conftest.py)
SAME_ORIGIN = {"Sec-Fetch-Site": "same-origin", "Origin": SITE}
HOSTILE_HEADERS = [
    {"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"},
    {"Sec-Fetch-Site": "cross-site", "Origin": SITE},  # the browser's own word wins over a matching Origin
    {"Sec-Fetch-Site": "same-site"},  # a sibling subdomain is another site for us
    {"Sec-Fetch-Site": "none"},
    {"Sec-Fetch-Site": ""},
    {"Origin": "https://evil.example"},
    {"Origin": "null"},  # sandboxed frames, data: pages
    {"Origin": "https://127.0.0.1:5000"},  # another scheme
    {"Origin": "http://127.0.0.1:5001"},  # another port
    {"Origin": "http://127.0.0.1:5000.evil.example"},
]


@pytest.fixture
def product(make_product):
    return make_product(title="Madu kelulut Loa Kulu")


def _public_paths(product):
    shop = product.shop
    return ["/", f"/toko/{shop.slug}/{product.slug}", f"/toko/{shop.slug}", f"/kategori/{product.category.slug}",
            f"/kecamatan/{shop.district_code}", "/search?q=madu", "/search"]


def _carts():
    return db.session.scalar(select(func.count()).select_from(CartItem))


def test_browsing_public_pages_sets_no_cookie(app, client, product):
    page = client.get(f"/toko/{product.shop.slug}/{product.slug}").get_data(as_text=True)
    assert 'name="csrf_token"' in page and "/cart/add" in page  # the add-to-cart form is there
    for path in _public_paths(product):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "Set-Cookie" not in response.headers, path
    assert not client.get_cookie(app.config["SESSION_COOKIE_NAME"])


def test_visitor_who_opened_product_and_shop_pages_gets_the_cached_home_page(app, client, product):
    for path in _public_paths(product)[1:]:
        client.get(path)
    client.get("/")
    assert app.extensions["home_page_cache"], "the home page was not cached for a cookie-less visitor"
    cached = next(iter(app.extensions["home_page_cache"].values()))[1]
    assert client.get("/").get_data(as_text=True) == cached


def test_pages_that_start_a_session_still_set_their_cookie(client):
    """The login form still works for a client that sends no Origin (the token path)."""
    assert "session=" in client.get("/login").headers.get("Set-Cookie", "")


def test_first_post_from_own_page_starts_the_session(app, client, product):
    client.get(f"/toko/{product.shop.slug}/{product.slug}")
    response = client.post("/cart/add", data={"product_id": product.id, "quantity": "2"}, headers=SAME_ORIGIN)
    assert response.status_code == 302
    assert "session=" in response.headers["Set-Cookie"]
    assert "(2)" in client.get("/cart").get_data(as_text=True)


def test_origin_alone_is_enough_for_a_browser_without_fetch_metadata(client, make_user):
    user = make_user()
    response = client.post("/login", data={"email": user.email, "password": TEST_PASSWORD},
                           headers={"Origin": SITE})
    assert response.status_code == 302
    assert client.get("/account/password").status_code == 200


@pytest.mark.parametrize("headers", HOSTILE_HEADERS, ids=lambda headers: repr(headers))
def test_post_from_another_site_is_refused_even_with_a_valid_token(app, auth, client, make_user, product, headers):
    buyer = make_user()
    auth.login(buyer.email)
    before = _carts()
    response = client.post("/cart/add", headers=headers, data={
        "product_id": product.id, "quantity": "1", "csrf_token": csrf_token(client, "/login")})
    assert response.status_code == 400
    assert "kedaluwarsa" in response.get_data(as_text=True)
    assert _carts() == before
    assert client.get("/account/password").status_code == 200, "the refused POST logged the buyer out"


@pytest.mark.parametrize("headers", HOSTILE_HEADERS, ids=lambda headers: repr(headers))
def test_login_from_another_site_is_refused(client, make_user, headers):
    """Login CSRF: another site must not log a visitor into an account of its choosing."""
    user = make_user()
    response = client.post("/login", data={"email": user.email, "password": TEST_PASSWORD}, headers=headers)
    assert response.status_code == 400
    assert "Set-Cookie" not in response.headers
    assert client.get("/account/password").status_code in (302, 401)


def test_session_less_post_without_headers_or_token_is_refused(client, product):
    """A client that says nothing about where it comes from is held to the token, which it cannot have."""
    page = client.get(f"/toko/{product.shop.slug}/{product.slug}").get_data(as_text=True)
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]  # rendered, but never stored
    for data in ({}, {"csrf_token": token}):
        response = client.post("/cart/add", data={"product_id": product.id, "quantity": "1", **data})
        assert response.status_code == 400
    assert _carts() == 0


def test_trusted_proxy_host_counts_as_own_origin(app, client, make_user):
    """Behind the proxy the request's own scheme and host are ours too, not only SITE_URL's."""
    user = make_user()
    response = client.post("/login", base_url="https://pasardesa.example",
                           data={"email": user.email, "password": TEST_PASSWORD},
                           headers={"Origin": "https://pasardesa.example"})
    assert response.status_code == 302
