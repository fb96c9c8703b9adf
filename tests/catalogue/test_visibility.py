"""Who sees which listing, on its page and on the listing pages: by the listing's status, its shop's and the
visitor's role."""
from urllib.parse import quote

import pytest

from tests.catalogue.test_views import ROLES, STATUSES, _suspend, body, login_as, product_path  # noqa: F401 (a fixture)
from tests.worlds import module_world


def build_world(make):
    """One shop with a coffee listing in every status, each titled after it (\"Madu Rahasia approved\"...)."""
    shop = make.shop()
    return {status: make.product(shop=shop, status=status, title=f"Madu Rahasia {status}", category="kopi")
            for status in STATUSES}


# Built once for the module (its 93 tests each built a shop and a listing), each test rolled back to it.
world_built, app, world = module_world(build_world)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("shop_status", ["active", "suspended"])
@pytest.mark.parametrize("status", STATUSES)
def test_product_page_visibility(client, world, make_user, login_as, role, shop_status, status):
    product = world[status]
    if shop_status == "suspended":
        _suspend(product.shop, make_user)
    login_as(role, product.shop)
    response = client.get(product_path(product))
    visible = (status == "approved" and shop_status == "active") or role in ("owner", "admin")
    assert response.status_code == (200 if visible else 404)
    assert (product.title in body(response)) is visible


@pytest.mark.parametrize("shop_status", ["active", "suspended"])
@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("role", ["anonymous", "owner", "admin"])
def test_listing_pages_show_only_public_listings(client, world, make_user, login_as, role, shop_status, status):
    product = world[status]
    if shop_status == "suspended":
        _suspend(product.shop, make_user)
    login_as(role, product.shop)
    public = status == "approved" and shop_status == "active"
    for path in ("/", "/kategori/minuman", "/kategori/kopi", f"/kecamatan/{product.shop.district_code}"):
        response = client.get(path)
        assert response.status_code == 200
        assert (product.title in body(response)) is public, path


@pytest.mark.parametrize("role, visible", [("anonymous", False), ("buyer", False), ("other_producer", False),
                                           ("owner", True), ("admin", True)])
def test_suspended_shop_page(client, world, make_user, login_as, role, visible):
    product = world["approved"]
    _suspend(product.shop, make_user)
    login_as(role, product.shop)
    response = client.get(f"/toko/{product.shop.slug}")
    assert response.status_code == (200 if visible else 404)
    if visible:
        assert "sedang dinonaktifkan" in body(response) and "Diperiksa admin" in body(response)
        assert product.title in body(response) and 'name="robots" content="noindex"' in body(response)


@pytest.mark.parametrize("status, banner", [
    ("draft", "Draf: produk ini belum diajukan"), ("pending", "Menunggu tinjauan admin"),
    ("rejected", "Ditolak: Foto kurang jelas."), ("archived", "Diarsipkan"),
])
@pytest.mark.parametrize("role", ["owner", "admin"])
def test_producer_and_admin_see_why_a_listing_is_hidden(client, world, login_as, status, banner, role):
    product = world[status]
    login_as(role, product.shop)
    html = body(client.get(product_path(product)))
    assert banner in html and 'class="banner' in html
    assert 'name="robots" content="noindex"' in html


@pytest.mark.parametrize("slug", ["x" * 3000, quote("madu'; DROP TABLE product;--"), "%00", "..%2F..%2Fetc"])
def test_hostile_product_slugs_are_404(client, world, slug):
    product = world["approved"]
    assert client.get(f"/toko/{product.shop.slug}/{slug}").status_code == 404
