"""An admin works through the review queue, resolves a report, suspends a shop and finds it all in the audit log,
in a real Chromium, with and without JavaScript; the server-drawn chart renders under the CSP."""
import uuid

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.conftest import TEST_PASSWORD

pytestmark = pytest.mark.browser


def watch_console(page):
    """Collect console errors (a CSP violation shows up there) and failed loads of anything but the favicon
    (Chromium asks for /favicon.ico on its own; the site has none)."""
    problems = []

    def on_console(message):
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            problems.append(message.text)

    def on_response(response):
        if response.status >= 400 and not response.url.endswith("/favicon.ico"):
            problems.append(f"{response.status} {response.url}")

    page.on("console", on_console)
    page.on("response", on_response)
    return problems


def build_world(tag):
    """Two shops with listings waiting, one reported listing, and a shop to suspend (run inside the app)."""
    from marketplace import regions
    from marketplace.accounts import service as accounts
    from marketplace.catalogue import service as catalogue
    from marketplace.catalogue.models import Category
    from marketplace.extensions import db
    from marketplace.moderation import service as moderation
    from marketplace.shops import service as shops

    admin = accounts.register_user(verified=True, email=f"admin-{tag}@example.com", name="Admin Wati", phone="",
                                   password=TEST_PASSWORD, role="admin")
    category_id = db.session.scalar(select(Category.id).where(Category.slug == "madu"))

    def shop(name):
        owner = accounts.register_user(verified=True, email=f"p-{uuid.uuid4().hex[:8]}@example.com", name="Produsen",
                                       phone="0812 3456 7890", password=TEST_PASSWORD, role="producer")
        return shops.open_shop(owner, shops.ShopDetails(
            name=name, story="", district_code="64.02.06", village_code=regions.children("64.02.06")[0][0],
            whatsapp="0812 3456 7890", shipping_fee_idr=0, pickup_allowed=True))

    def listing(owner_shop, title, status="pending"):
        product = catalogue.create_product(owner_shop, catalogue.ProductDetails(
            title=title, description="Madu asli.", category_id=category_id, price_idr=75000, stock=5))
        catalogue.submit_product(product)
        if status == "approved":
            moderation.approve_product(product, admin)
        return product

    honey, crackers = shop(f"Madu Hutan {tag}"), shop(f"Amplang Nakal {tag}")
    good, unclear = listing(honey, f"Madu Kelulut {tag}"), listing(honey, f"Madu Buram {tag}")
    reported = listing(crackers, f"Amplang Palsu {tag}", status="approved")
    moderation.file_report(reason="counterfeit", text="Bukan amplang ikan.", address_hash="b" * 64,
                           product=reported)
    db.session.flush()
    return {"admin": admin.email, "good": good.id, "unclear": unclear.id, "reported": reported.id,
            "crackers": crackers.name, "good_title": good.title, "reported_title": reported.title,
            "reported_page": f"/toko/{crackers.slug}/{reported.slug}"}


def log_in(page, email):
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Kata sandi").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Masuk").click()


def expect_chart(page):
    """The inline SVG chart is drawn: twelve bars, a real size on screen, at least one bar standing."""
    chart = page.locator("svg.chart")
    expect(chart).to_be_visible()
    expect(chart.locator("rect.bar")).to_have_count(12)
    box = chart.bounding_box()
    assert box["width"] > 200 and box["height"] > 50
    heights = [chart.locator("rect.bar").nth(n).bounding_box() for n in range(12)]
    assert any(bar and bar["height"] > 1 for bar in heights), "no approval shows in the chart"


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_admin_works_through_queue_reports_and_a_suspension(new_context, live_server, javascript):
    world = live_server.run(build_world, uuid.uuid4().hex[:6])
    page = new_context(java_script_enabled=javascript).new_page()
    problems = watch_console(page)
    log_in(page, world["admin"])

    page.get_by_role("link", name="Admin", exact=True).click()
    page.get_by_role("link", name="Antrean tinjauan").click()
    good = page.locator(f"#produk-{world['good']}")
    expect(good).to_contain_text("Rp75.000")
    good.get_by_role("button", name="Setujui").click()
    expect(page.get_by_role("status")).to_contain_text(f"{world['good_title']}\u201d disetujui")

    unclear = page.locator(f"#produk-{world['unclear']}")
    unclear.get_by_text("Tolak…").click()
    unclear.get_by_label("Alasan").select_option(label="Foto kurang jelas")
    unclear.get_by_label("Keterangan untuk produsen").fill("Foto kemasan buram, mohon foto ulang.")
    unclear.get_by_role("button", name="Tolak produk ini").click()
    expect(page.get_by_role("status")).to_contain_text("ditolak")
    expect(page.locator(f"#produk-{world['unclear']}")).to_have_count(0)

    page.get_by_role("link", name="Laporan", exact=True).click()
    group = page.locator(f"#product-{world['reported']}")
    expect(group).to_contain_text("Bukan amplang ikan.")
    group.get_by_text("Turunkan produk…").click()
    group.get_by_label("Alasan", exact=True).select_option(label="Barang terlarang")
    group.get_by_role("button", name="Turunkan produk").click()
    expect(page.get_by_role("status")).to_contain_text("Laporan diselesaikan")
    expect(page.get_by_text("Tidak ada laporan terbuka.")).to_be_visible()

    page.get_by_role("link", name="Daftar toko", exact=True).click()
    page.get_by_label("Cari toko").fill(world["crackers"])
    page.get_by_role("button", name="Cari").click()
    page.get_by_role("link", name=world["crackers"]).click()
    page.get_by_label("Alasan pembekuan").fill("Menjual amplang palsu.")
    page.get_by_role("button", name="Bekukan toko").click()
    expect(page.get_by_role("status")).to_contain_text("dibekukan")
    expect(page.get_by_role("button", name="Pulihkan toko")).to_be_visible()

    page.get_by_role("link", name="Log audit").click()
    page.get_by_label("Toko (nama atau alamat)").fill(world["crackers"])
    page.get_by_role("button", name="Saring").click()
    rows = page.locator("table.mod-audit tbody tr")
    expect(rows.filter(has_text="Toko dibekukan")).to_contain_text("Menjual amplang palsu.")
    expect(rows.filter(has_text="Diturunkan")).to_contain_text(world["reported_title"])
    expect(rows.filter(has_text="Toko dibekukan")).to_contain_text("Admin Wati")

    page.get_by_role("link", name="Ringkasan").click()
    expect(page.get_by_role("heading", name="Ringkasan moderasi")).to_be_visible()
    expect_chart(page)
    assert problems == []


def test_report_from_the_product_page(page, live_server):
    world = live_server.run(build_world, uuid.uuid4().hex[:6])
    problems = watch_console(page)
    page.goto(world["reported_page"])
    page.get_by_role("link", name="Laporkan produk ini").click()
    expect(page.get_by_role("heading", name="Laporkan produk")).to_be_visible()
    page.get_by_label("Keterangan menyesatkan").check()
    page.get_by_label("Keterangan (tidak wajib)").fill("Beratnya kurang dari yang tertulis.")
    page.get_by_role("button", name="Kirim laporan").click()
    expect(page).to_have_url(live_server.url + world["reported_page"])
    expect(page.get_by_role("status")).to_contain_text("Laporan Anda sudah kami terima")
    assert problems == []
