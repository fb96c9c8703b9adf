"""A producer without signal, in a real Chromium: listings drafted offline survive closing the browser and are
sent once when the signal returns, photos resume over a failing link, queued order steps act once, and a
logout leaves nothing for the next person on the same phone."""
import io
import os
import re
import uuid

import pytest
from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import select

from marketplace.catalogue.models import Category, Product
from marketplace.extensions import db
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.browser.test_admin_journey import log_in
from tests.conftest import TEST_PASSWORD

pytestmark = pytest.mark.browser

COLOURS = [(210, 30, 30), (30, 190, 40), (30, 40, 210)]


def producer_with_shop(live_server):
    """A producer with an open shop; returns the email."""
    from marketplace import regions
    from marketplace.accounts.service import find_user_by_email
    from marketplace.shops import service

    email = live_server.make_user("producer")

    def open_shop():
        details = service.ShopDetails(name=f"Toko {uuid.uuid4().hex[:6]}", story="Cerita.", district_code="64.02.06",
                                      village_code=regions.children("64.02.06")[0][0], whatsapp="0812 3456 7890",
                                      shipping_fee_idr=10000, pickup_allowed=True)
        return service.open_shop(find_user_by_email(email), details).id

    return email, live_server.run(open_shop)


def photo(path, colour, size=(900, 700)):
    Image.new("RGB", size, colour).save(path, "JPEG", quality=90)
    return str(path)


def noisy_photo(path, side=2048):
    """A JPEG of noise: even shrunk in the browser it stays over 2 MB."""
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(path, "JPEG", quality=95)
    return str(path)


def listings(live_server, shop_id):
    def find():
        found = db.session.scalars(select(Product).where(Product.shop_id == shop_id)).all()
        return [(p.title, p.status, [(i.content_hash, i.width) for i in p.images]) for p in found]

    return live_server.run(find)


def cover_colours(live_server, shop_id):
    from marketplace.media.service import master_key
    from marketplace.media.storage import get_storage

    def colours():
        [product] = db.session.scalars(select(Product).where(Product.shop_id == shop_id)).all()
        found = []
        for image in product.images:
            with Image.open(io.BytesIO(get_storage().open(master_key(image.content_hash)))) as img:
                found.append(img.convert("RGB").getpixel((10, 10)))
        return found

    return live_server.run(colours)


def phone(browser_type, live_server, profile):
    """A browser that keeps its storage in `profile`, as a phone does between uses."""
    return browser_type.launch_persistent_context(
        str(profile), executable_path=CHROMIUM, args=CHROMIUM_ARGS, base_url=live_server.url, locale="id-ID",
        timezone_id="Asia/Makassar")


def controlled(page, path):
    """Open path once the service worker controls the page (so it is kept for reading offline)."""
    page.goto(path)
    page.evaluate("navigator.serviceWorker.ready")
    if not page.evaluate("!!navigator.serviceWorker.controller"):
        page.reload()
    page.goto(path)


def fill_listing(page, title, photos):
    page.get_by_label("Nama produk").fill(title)
    page.get_by_label("Deskripsi").fill("Madu trigona dari Loa Kulu.")
    page.get_by_label("Kategori").select_option(label="Madu")
    page.get_by_label("Harga (Rp)").fill("Rp 85.000")
    page.get_by_label("Stok").fill("12")
    page.get_by_label("Tambah foto").set_input_files(photos)
    expect(page.locator("[data-draft-status]")).to_contain_text("Tersimpan di ponsel")
    eventually(page, "document.querySelector('#photo').files.length", len(photos))
    eventually(page, SAVED_PHOTOS, True, len(photos))


def eventually(page, expression, expected, arg=None, seconds=20):
    """Poll a script in the page until it gives `expected` (the kept offline pages carry no CSP to lean on)."""
    for _attempt in range(seconds * 10):
        if page.evaluate(expression, arg) == expected:
            return
        page.wait_for_timeout(100)
    assert page.evaluate(expression, arg) == expected


SAVED_PHOTOS = """async (count) => {
    const [info] = (await indexedDB.databases()).filter(d => d.name.startsWith('pasar-desa-'));
    if (!info) { return false; }
    const db = await new Promise(done => { const r = indexedDB.open(info.name); r.onsuccess = () => done(r.result); });
    const drafts = await new Promise(done => {
        const r = db.transaction('drafts').objectStore('drafts').getAll(); r.onsuccess = () => done(r.result); });
    db.close();
    return drafts.some(d => d.id.startsWith('work-') && d.photos.length === count);
}"""


def wait_until_sent(page, live_server, shop_id, seconds=60):
    """Until the phone has nothing left to send and the shop has its listing."""
    for _attempt in range(seconds * 4):
        if listings(live_server, shop_id) and page.locator("[data-queue-list] > li").count() == 0:
            page.wait_for_timeout(500)  # anything still on its way would show now
            return
        page.wait_for_timeout(250)
    raise AssertionError(page.content())


def test_a_listing_drafted_offline_survives_closing_the_browser_and_is_sent_once(browser_type, live_server,
                                                                                   tmp_path):
    email, shop_id = producer_with_shop(live_server)
    title = f"Madu offline {uuid.uuid4().hex[:6]}"
    context = phone(browser_type, live_server, tmp_path / "profile")
    page = context.new_page()
    log_in(page, email)
    controlled(page, "/dashboard")
    controlled(page, "/dashboard/products/new")
    context.set_offline(True)
    page.reload()  # no signal: the kept page, with its banner
    expect(page.locator(".offline-banner")).to_contain_text("Anda sedang offline; halaman ini disimpan pukul")
    fill_listing(page, title, [photo(tmp_path / f"{n}.jpg", colour) for n, colour in enumerate(COLOURS)])
    page.reload()  # a reload loses nothing typed or chosen
    expect(page.get_by_label("Nama produk")).to_have_value(title)
    eventually(page, "document.querySelector('#photo').files.length", 3)
    page.get_by_role("button", name="Simpan untuk dikirim nanti").click()
    expect(page.locator("[data-draft-status]")).to_contain_text("Draf disimpan di ponsel")
    context.close()
    assert listings(live_server, shop_id) == []

    context = phone(browser_type, live_server, tmp_path / "profile")
    page = context.new_page()
    page.goto("/dashboard")  # the browser was closed: the session went with it
    expect(page).to_have_url(re.compile("/login"))
    log_in(page, email)
    page.goto("/dashboard")
    wait_until_sent(page, live_server, shop_id)
    context.close()
    [(found_title, status, images)] = listings(live_server, shop_id)
    assert (found_title, status, len(images)) == (title, "pending", 3)
    for found, colour in zip(cover_colours(live_server, shop_id), COLOURS):
        assert max(abs(a - b) for a, b in zip(found, colour)) < 12


def test_an_answer_lost_after_the_server_saved_still_makes_one_listing(page, live_server, tmp_path):
    email, shop_id = producer_with_shop(live_server)
    log_in(page, email)
    controlled(page, "/dashboard/products/new")
    lost = []

    def drop_first_answer(route):
        response = route.fetch()  # the server saves the listing...
        if not lost:
            lost.append(response.status)
            route.abort("connectionreset")  # ...but the phone never hears back
        else:
            route.fulfill(response=response)

    page.route("**/dashboard/api/listings", drop_first_answer)
    page.context.set_offline(True)
    fill_listing(page, "Amplang ikan pipih", [photo(tmp_path / "a.jpg", COLOURS[0])])
    page.get_by_role("button", name="Simpan untuk dikirim nanti").click()
    expect(page.locator("[data-draft-status]")).to_contain_text("Draf disimpan di ponsel")
    page.context.set_offline(False)
    page.goto("/dashboard")
    wait_until_sent(page, live_server, shop_id)
    assert lost == [201]
    [(_title, status, images)] = listings(live_server, shop_id)
    assert status == "pending" and len(images) == 1


def test_a_2_mb_photo_arrives_whole_over_a_link_that_fails_every_third_request(page, live_server, tmp_path):
    email, shop_id = producer_with_shop(live_server)
    log_in(page, email)
    controlled(page, "/dashboard/products/new")
    seen = {"requests": 0, "failed": 0, "bytes": 0}

    def flaky(route):
        seen["requests"] += 1
        if seen["requests"] % 3 == 0:
            seen["failed"] += 1
            if seen["failed"] % 2:
                route.abort("connectionreset")  # lost on the way there
                return
            route.fetch()  # reached the server; the answer is lost
            route.abort("connectionreset")
            return
        if route.request.method == "PUT":
            seen["bytes"] += len(route.request.post_data_buffer or b"")
        route.continue_()

    page.route("**/api/uploads/**", flaky)
    page.context.set_offline(True)
    fill_listing(page, "Tenun ulap doyo", [noisy_photo(tmp_path / "big.jpg")])
    page.get_by_role("button", name="Simpan untuk dikirim nanti").click()
    expect(page.locator("[data-draft-status]")).to_contain_text("Draf disimpan di ponsel")
    page.context.set_offline(False)
    page.goto("/dashboard")
    wait_until_sent(page, live_server, shop_id)
    [(_title, status, [(content_hash, width)])] = listings(live_server, shop_id)
    assert status == "pending" and width == 2048 and len(content_hash) == 64
    assert seen["failed"] >= 3 and seen["bytes"] >= 2 * 1024 * 1024


def storage_of(page):
    return page.evaluate("""async () => ({
        databases: (await indexedDB.databases()).map(d => d.name).filter(n => n.startsWith('pasar-desa-')),
        pages: (await Promise.all(['pages', 'photos'].map(async name => await caches.has(name) ?
            (await (await caches.open(name)).keys()).map(r => r.url) : []))).flat()})""")


def test_logout_leaves_no_draft_or_kept_page_for_the_next_person(page, live_server, tmp_path):
    first, _shop = producer_with_shop(live_server)
    second, _other = producer_with_shop(live_server)
    log_in(page, first)
    controlled(page, "/dashboard")
    controlled(page, "/dashboard/products/new")
    page.get_by_label("Nama produk").fill("Gula aren rahasia")
    expect(page.locator("[data-draft-status]")).to_contain_text("Tersimpan di ponsel")
    before = storage_of(page)
    assert before["databases"] and any(url.endswith("/dashboard") for url in before["pages"])
    page.get_by_role("button", name="Keluar").click()
    expect(page.get_by_role("status").first).to_contain_text("Anda sudah keluar")
    after = storage_of(page)
    assert after == {"databases": [], "pages": []}
    log_in(page, second)
    page.goto("/dashboard/products/new")
    expect(page.get_by_label("Nama produk")).to_have_value("")
    page.goto("/dashboard")
    expect(page.locator("[data-offline-queue]")).to_be_hidden()
    assert "Gula aren rahasia" not in page.content()


def test_the_pages_still_work_without_javascript(browser, live_server, tmp_path):
    email, shop_id = producer_with_shop(live_server)
    context = browser.new_context(java_script_enabled=False, base_url=live_server.url, locale="id-ID")
    page = context.new_page()
    log_in(page, email)
    page.goto("/dashboard/products/new")
    expect(page.get_by_role("button", name="Simpan untuk dikirim nanti")).to_be_hidden()
    page.get_by_label("Nama produk").fill("Keripik pisang kepok")
    page.get_by_label("Kategori").select_option(label="Madu")
    page.get_by_label("Harga (Rp)").fill("15.000")
    page.get_by_label("Stok").fill("5")
    page.get_by_label("Tambah foto").set_input_files(photo(tmp_path / "k.jpg", COLOURS[1]))
    page.get_by_role("button", name="Simpan draf").click()
    expect(page.get_by_role("status").first).to_contain_text("Draf produk sudah disimpan")
    context.close()
    [(_title, status, images)] = listings(live_server, shop_id)
    assert status == "draft" and len(images) == 1


def paid_order(live_server, shop_id):
    """A buyer's paid order of one listing of the shop, paid at the Stripe stand-in; returns (part id, code)."""
    from marketplace.catalogue import service as catalogue
    from marketplace.moderation import service as moderation
    from marketplace.orders import cart, service
    from marketplace.payments import service as payments
    from marketplace.payments import standin, webhooks
    from marketplace.payments.settle import latest_attempt
    from marketplace.accounts.service import find_user_by_email
    from marketplace.shops.models import Shop
    from tests.orders.helpers import address, signed

    buyer = live_server.make_user("buyer")
    admin = live_server.make_user("admin")
    app = live_server.app

    def place():
        category = db.session.scalar(select(Category.id).where(Category.slug == "madu"))
        product = catalogue.create_product(db.session.get(Shop, shop_id), catalogue.ProductDetails(
            title=f"Madu {uuid.uuid4().hex[:6]}", description="", category_id=category, price_idr=50000, stock=10))
        catalogue.submit_product(product)
        moderation.approve_product(product, find_user_by_email(admin))
        basket = cart.AccountCart(find_user_by_email(buyer))
        cart.add_to_cart(basket, str(product.id), "1")
        return service.place_order(find_user_by_email(buyer), address(), {shop_id: "delivery"}).id

    order_id = live_server.run(place)
    with app.app_context(), app.test_request_context():
        from marketplace.orders.models import Order

        order = db.session.get(Order, order_id)
        request = payments.checkout_request(order, "http://localhost/ok", "http://localhost/cancel")
        db.session.commit()
        payments.remember_session(request.order_id, payments.open_checkout(request))
        db.session.commit()
        session = db.session.get(standin.StandinCheckoutSession, latest_attempt(order).stripe_session_id)
        for event in standin.finish_session(session, paid=True):
            webhooks.handle(*signed(event, secret=app.config["STRIPE_WEBHOOK_SECRET"]))
        db.session.commit()
        return order.shop_orders[0].id, order.code


def part_state(live_server, part_id):
    from marketplace.orders.models import OrderEvent, ShopOrder

    def state():
        part = db.session.get(ShopOrder, part_id)
        moves = db.session.scalars(select(OrderEvent.to_state).where(OrderEvent.shop_order_id == part_id)).all()
        return part.state, part.tracking_number, moves

    return live_server.run(state)


def test_order_steps_taken_offline_act_once_and_a_cancelled_order_is_reported(page, live_server):
    from marketplace.orders import service as orders
    from marketplace.orders.models import ShopOrder

    email, shop_id = producer_with_shop(live_server)
    kept, kept_code = paid_order(live_server, shop_id)
    cancelled, cancelled_code = paid_order(live_server, shop_id)
    log_in(page, email)
    controlled(page, "/dashboard")
    for part_id in (kept, cancelled):
        controlled(page, f"/dashboard/orders/{part_id}")
    page.context.set_offline(True)
    page.goto(f"/dashboard/orders/{kept}")
    page.get_by_role("button", name="Terima dan proses pesanan").click()
    expect(page.locator("[data-order-status]")).to_contain_text("Tersimpan di ponsel")
    shipping = page.locator("[data-queued-ship]")
    shipping.get_by_label("Kurir").select_option("jne")
    shipping.get_by_label("Nomor resi").fill("jp 7788 1234")
    shipping.get_by_role("button", name="Tandai dikirim").click()
    expect(page.locator("[data-order-list] > li")).to_have_count(2)
    page.goto(f"/dashboard/orders/{cancelled}")
    page.get_by_role("button", name="Terima dan proses pesanan").click()
    expect(page.locator("[data-order-list] > li")).to_have_count(1)
    admin = live_server.make_user("admin")

    def buyer_cancels():
        from marketplace.accounts.service import find_user_by_email

        orders.cancel_shop_order(db.session.get(ShopOrder, cancelled), find_user_by_email(admin), "admin",
                                 "Pembeli minta batal")

    live_server.run(buyer_cancels)
    assert part_state(live_server, kept)[0] == "paid"
    page.context.set_offline(False)
    page.goto("/dashboard")
    refused = page.locator("[data-queue-list] > li", has_text=cancelled_code)
    expect(refused).to_contain_text("Ditolak: Pesanan ini sudah dibatalkan.", timeout=30000)
    expect(page.locator("[data-queue-list] > li")).to_have_count(1)
    page.reload()  # sending again changes nothing
    expect(page.locator("[data-queue-list] > li")).to_have_count(1)
    state, resi, moves = part_state(live_server, kept)
    assert (state, resi) == ("shipped", "JP 7788 1234") and moves.count("preparing") == moves.count("shipped") == 1
    assert part_state(live_server, cancelled)[0] == "cancelled"


def test_a_draft_edit_of_a_listing_changed_meanwhile_shows_both_and_the_producer_chooses(page, live_server):
    from marketplace.accounts.service import find_user_by_email
    from marketplace.catalogue import service as catalogue
    from marketplace.moderation import service as moderation
    from marketplace.shops.models import Shop

    email, shop_id = producer_with_shop(live_server)

    def pending_listing():
        category = db.session.scalar(select(Category.id).where(Category.slug == "madu"))
        product = catalogue.create_product(db.session.get(Shop, shop_id), catalogue.ProductDetails(
            title="Madu kelulut lama", description="", category_id=category, price_idr=50000, stock=10))
        catalogue.submit_product(product)
        return product.id

    product_id = live_server.run(pending_listing)
    log_in(page, email)
    controlled(page, "/dashboard")
    controlled(page, f"/dashboard/products/{product_id}/edit")
    page.context.set_offline(True)
    page.get_by_label("Nama produk").fill("Madu kelulut dari ponsel")
    page.get_by_role("button", name="Simpan untuk dikirim nanti").click()
    expect(page.locator("[data-draft-status]")).to_contain_text("Draf disimpan di ponsel")
    admin = live_server.make_user("admin")
    live_server.run(lambda: moderation.reject_product(db.session.get(Product, product_id),
                                                      find_user_by_email(admin), "Foto kurang jelas"))
    page.context.set_offline(False)
    page.goto("/dashboard")
    draft = page.locator("[data-queue-list] > li", has_text="Madu kelulut dari ponsel")
    expect(draft).to_contain_text("Produk ini berubah di server", timeout=30000)
    expect(draft.locator("[data-server=title]")).to_have_text("Madu kelulut lama")
    expect(draft.locator("[data-mine=title]")).to_have_text("Madu kelulut dari ponsel")
    assert listings(live_server, shop_id)[0][:2] == ("Madu kelulut lama", "rejected")  # nothing applied silently
    draft.get_by_role("button", name="Pakai versi saya").click()
    expect(page.locator("[data-queue-list] > li")).to_have_count(0, timeout=30000)
    assert listings(live_server, shop_id)[0][:2] == ("Madu kelulut dari ponsel", "rejected")


def test_a_session_ended_meanwhile_asks_to_log_in_and_then_sends(page, live_server, tmp_path):
    from marketplace.accounts.service import find_user_by_email, rotate_session_token

    email, shop_id = producer_with_shop(live_server)
    log_in(page, email)
    controlled(page, "/dashboard")
    controlled(page, "/dashboard/products/new")
    page.context.set_offline(True)
    fill_listing(page, "Gula aren Jonggon", [photo(tmp_path / "g.jpg", COLOURS[2])])
    page.get_by_role("button", name="Simpan untuk dikirim nanti").click()
    expect(page.locator("[data-draft-status]")).to_contain_text("Draf disimpan di ponsel")
    page.goto("/dashboard")  # the kept dashboard lists the draft
    expect(page.locator("[data-queue-list] > li", has_text="Gula aren Jonggon")).to_be_visible()
    live_server.run(lambda: rotate_session_token(find_user_by_email(email)))  # logged out everywhere
    page.context.set_offline(False)  # the signal returns while the page is open
    status = page.locator("[data-queue-status]")
    expect(status).to_contain_text("Sesi Anda berakhir", timeout=30000)
    assert listings(live_server, shop_id) == []
    status.get_by_role("link", name="Masuk").click()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Kata sandi").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    expect(page).to_have_url(re.compile("/dashboard$"))
    wait_until_sent(page, live_server, shop_id)
    [(title, status_name, images)] = listings(live_server, shop_id)
    assert (title, status_name, len(images)) == ("Gula aren Jonggon", "pending", 1)
