"""Visitors report a listing or a shop from its page: no login needed, rate-limited, hostile input harmless."""
import pytest
from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.moderation import service
from marketplace.moderation.models import Report
from tests.conftest import Auth, csrf_token


def report_count():
    return db.session.scalar(select(func.count()).select_from(Report))


def report(client, url, address="203.0.113.7", **data):
    token = csrf_token(client, url)
    return client.post(url, data={"reason": "scam", **data, "csrf_token": token},
                       environ_base={"REMOTE_ADDR": address})


def test_anonymous_visitor_reports_a_listing(client, make_product):
    product = make_product()
    url = f"/lapor/produk/{product.id}"
    page = client.get(url).get_data(as_text=True)
    assert product.title in page and "Barang palsu atau tidak sesuai" in page
    response = report(client, url, reason="counterfeit", text="Isinya madu campuran.")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/toko/{product.shop.slug}/{product.slug}"
    [stored] = db.session.scalars(select(Report)).all()
    assert (stored.product, stored.shop, stored.reason, stored.text, stored.reporter) == (
        product, product.shop, "counterfeit", "Isinya madu campuran.", None)
    assert len(stored.reporter_address_hash) == 64 and "203.0.113.7" not in stored.reporter_address_hash
    assert "Laporan Anda sudah kami terima" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_logged_in_reporter_is_recorded(client, make_user, make_shop):
    buyer, shop = make_user(), make_shop()
    Auth(client).login(buyer.email)
    response = report(client, f"/lapor/toko/{shop.slug}", reason="offensive")
    assert response.status_code == 302 and response.headers["Location"] == f"/toko/{shop.slug}"
    [stored] = db.session.scalars(select(Report)).all()
    assert (stored.reporter, stored.shop, stored.product) == (buyer, shop, None)


def test_the_same_sender_reports_a_listing_once(client, make_product):
    product = make_product()
    url = f"/lapor/produk/{product.id}"
    assert report(client, url).status_code == 302
    response = report(client, url, reason="misleading")
    assert response.status_code == 409 and "sudah melaporkan" in response.get_data(as_text=True)
    assert report(client, url, address="198.51.100.9").status_code == 302
    assert report_count() == 2


@pytest.mark.parametrize("status", ["pending", "draft", "rejected", "archived"])
def test_only_public_listings_can_be_reported(client, make_product, status):
    product = make_product(status=status)
    assert client.get(f"/lapor/produk/{product.id}").status_code == 404
    assert client.post(f"/lapor/produk/{product.id}", data={"reason": "scam",
                                                             "csrf_token": csrf_token(client)}).status_code == 404
    assert report_count() == 0


def test_listings_and_shop_of_a_suspended_shop_cannot_be_reported(client, make_product, admin):
    product = make_product()
    service.suspend_shop(product.shop, admin, "Penipuan")
    db.session.commit()
    assert client.get(f"/lapor/produk/{product.id}").status_code == 404
    assert client.get(f"/lapor/toko/{product.shop.slug}").status_code == 404


@pytest.mark.parametrize("url", ["/lapor/produk/987654321", "/lapor/produk/100000000000000000000",
                                 "/lapor/toko/no-such-shop", "/lapor/toko/" + "x" * 5000, "/lapor/toko/a%00b",
                                 "/lapor/toko/%27%20OR%201=1"])
def test_unknown_targets_are_404(client, url):
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("data, message", [
    ({"reason": "bogus"}, "reason-error"),
    ({"reason": ""}, "Pilih salah satu alasan"),
    ({"reason": "other", "text": "  "}, "Ceritakan singkat"),
    ({"text": "x" * 100_000}, "1000"),
])
def test_bad_reports_are_refused_with_a_message(client, make_product, data, message):
    product = make_product()
    response = report(client, f"/lapor/produk/{product.id}", **data)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert report_count() == 0


def test_hostile_text_is_stored_as_text(client, make_product):
    product = make_product()
    hostile = "<script>alert(1)</script>\x00 ' OR 1=1 --"
    assert report(client, f"/lapor/produk/{product.id}", text=hostile).status_code == 302
    assert db.session.scalars(select(Report.text)).one() == "<script>alert(1)</script> ' OR 1=1 --"


def test_report_needs_the_csrf_token(client, make_product):
    product = make_product()
    response = client.post(f"/lapor/produk/{product.id}", data={"reason": "scam"})
    assert response.status_code == 400 and report_count() == 0


def test_five_reports_an_hour_per_address(client, make_product, make_shop):
    products = [make_product() for _ in range(6)]
    for product in products[:5]:
        assert report(client, f"/lapor/produk/{product.id}").status_code == 302
    response = report(client, f"/lapor/produk/{products[5].id}")
    assert response.status_code == 429 and "Terlalu banyak percobaan" in response.get_data(as_text=True)
    shop = make_shop()
    assert report(client, f"/lapor/toko/{shop.slug}").status_code == 429  # shop reports share the limit
    assert report_count() == 5
    assert report(client, f"/lapor/produk/{products[5].id}", address="198.51.100.9").status_code == 302


def test_refused_reports_do_not_use_up_the_limit(client, make_product):
    product = make_product()
    url = f"/lapor/produk/{product.id}"
    for _ in range(6):
        assert report(client, url, reason="bogus").status_code == 422
    assert report(client, url).status_code == 302


def test_report_link_on_the_public_pages(client, make_product):
    product = make_product()
    product_page = client.get(f"/toko/{product.shop.slug}/{product.slug}").get_data(as_text=True)
    assert f'href="/lapor/produk/{product.id}"' in product_page
    shop_page = client.get(f"/toko/{product.shop.slug}").get_data(as_text=True)
    assert f'href="/lapor/toko/{product.shop.slug}"' in shop_page
