"""A buyer searches, puts goods of two shops in the cart, checks out, pays on the stand-in's page and sees the
paid order, in a real Chromium, with and without JavaScript."""
import re
import uuid

import pytest
from playwright.sync_api import expect

from marketplace.extensions import db
from tests.conftest import TEST_PASSWORD

pytestmark = pytest.mark.browser


def _seed(token):
    """Two shops (one allows pickup), each with a product whose title carries the token."""
    from sqlalchemy import select

    from marketplace import regions
    from marketplace.accounts import service as accounts
    from marketplace.catalogue import service as catalogue
    from marketplace.catalogue.models import Category
    from marketplace.moderation import service as moderation
    from marketplace.shops import service as shops

    admin = accounts.register_user(verified=True, email=f"admin-{token}@example.com", name="Admin", phone="",
                                   password=TEST_PASSWORD, role="admin")
    madu = db.session.scalar(select(Category.id).where(Category.slug == "madu"))
    titles = []
    for number, (shop_name, title, price, pickup) in enumerate([
            ("Madu Loa Kulu", f"Madu Kelulut {token}", 125000, False),
            ("Gula Aren Muara Badak", f"Gula Aren {token}", 30000, True)]):
        owner = accounts.register_user(verified=True, email=f"produsen{number}-{token}@example.com", name="Produsen",
                                       phone="081234567890", password=TEST_PASSWORD, role="producer")
        shop = shops.open_shop(owner, shops.ShopDetails(
            name=f"{shop_name} {token}", story="", district_code="64.02.02",
            village_code=regions.children("64.02.02")[0][0], whatsapp="0812 3456 7890", shipping_fee_idr=15000,
            pickup_allowed=pickup))
        product = catalogue.create_product(shop, catalogue.ProductDetails(
            title=title, description="Asli dari desa.", category_id=madu, price_idr=price, stock=10))
        catalogue.submit_product(product)
        moderation.approve_product(product, admin)
        titles.append(title)
    return titles


def _find_and_add(page, token, title, quantity):
    """Search for the token, open the product, put `quantity` in the cart."""
    page.get_by_label("Cari produk").fill(f"{title.split()[0]} {token}")
    page.get_by_role("button", name="Telusuri").click()
    page.get_by_role("link", name=re.compile(re.escape(title))).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    page.get_by_label("Jumlah").fill(str(quantity))
    page.get_by_role("button", name="Tambah ke keranjang").click()
    expect(page.get_by_role("status")).to_contain_text(f"{title} masuk ke keranjang")


def _choose_region(page, label, value, javascript):
    """Pick a region; the next select is filled in place with JavaScript, by a reload (a button) without."""
    if javascript:
        page.evaluate("window.notReloaded = true")
        page.get_by_label(label).select_option(value)
        next_select = page.get_by_label(label).evaluate("s => s.dataset.regionNext")
        expect(page.locator(f"#{next_select} option").nth(1)).to_be_attached()
        assert page.evaluate("window.notReloaded === true")  # no reload, no jump to the top
        return
    with page.expect_navigation():
        page.get_by_label(label).select_option(value)
        page.get_by_role("button", name="Perbarui pilihan wilayah").click()
    assert page.evaluate("location.hash") == "#wilayah"  # back at the region fields


def fill_address(page, javascript):
    """A delivery address in Loa Kulu; what was typed survives the region reloads."""
    page.get_by_label("Nama penerima").fill("Ibu Rina")
    page.get_by_label("Nomor HP penerima").fill("0812 3456 7890")
    page.get_by_label("Alamat: jalan, nomor rumah, RT/RW").fill("Jl. Poros Loa Kulu No. 3")
    _choose_region(page, "Provinsi", "64", javascript)
    _choose_region(page, "Kabupaten/kota", "64.02", javascript)
    _choose_region(page, "Kecamatan", "64.02.02", javascript)
    expect(page.get_by_label("Alamat: jalan, nomor rumah, RT/RW")).to_have_value("Jl. Poros Loa Kulu No. 3")
    page.get_by_label("Desa/kelurahan").select_option(index=1)
    page.get_by_label("Kode pos").fill("75571")


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_search_cart_checkout_pay(new_context, live_server, javascript):
    token = uuid.uuid4().hex[:8]
    honey, sugar = live_server.run(_seed, token)
    email = live_server.make_user("buyer")
    page = new_context(java_script_enabled=javascript).new_page()
    problems = []
    page.on("console", lambda m: m.type == "error" and not m.text.startswith("Failed to load resource")
            and problems.append(m.text))
    page.on("response", lambda r: r.status >= 500 and problems.append(r.url))

    page.goto("/")
    _find_and_add(page, token, honey, 2)
    _find_and_add(page, token, sugar, 3)

    page.get_by_role("link", name=re.compile("Keranjang")).click()
    expect(page.get_by_role("heading", name=re.compile("Madu Loa Kulu"))).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile("Gula Aren Muara Badak"))).to_be_visible()
    expect(page.locator(".cart-count")).to_have_text("(5)")
    page.get_by_role("link", name="Lanjut ke pemesanan").click()

    page.get_by_label("Email").fill(email)  # checkout asks to log in; the cart comes along
    page.get_by_label("Kata sandi").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    expect(page.get_by_role("heading", name="Pemesanan")).to_be_visible()

    fill_address(page, javascript)
    page.get_by_label(re.compile("Ambil sendiri")).check()
    page.get_by_role("button", name="Buat pesanan dan bayar").click()

    expect(page.get_by_role("heading", name="Pembayaran (simulasi Stripe)")).to_be_visible()
    # 2 x Rp125.000 + Rp15.000 shipping for the honey, 3 x Rp30.000 picked up: Rp355.000.
    expect(page.get_by_text("Total: Rp355.000")).to_be_visible()
    page.get_by_role("button", name="Bayar", exact=True).click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Sudah dibayar")
    code = re.search(r"PD-\d{4}-[A-Z0-9]{4}", page.get_by_role("heading", level=1).inner_text()).group(0)
    page.get_by_role("link", name="Pesanan saya", exact=True).click()
    row = page.get_by_role("row", name=re.compile(code))
    expect(row).to_contain_text("Madu Loa Kulu")  # each shop's part, now waiting for its producer
    expect(row).to_contain_text("Gula Aren Muara Badak")
    expect(row.get_by_text("Menunggu diproses penjual")).to_have_count(2)
    assert problems == []
