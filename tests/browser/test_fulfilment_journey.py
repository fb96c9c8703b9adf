"""The whole journey in a real Chromium: a producer's first listing, an admin's approval, a buyer's purchase
paid at the Stripe stand-in, the producer accepting and shipping it, the buyer seeing the tracking number,
confirming receipt and leaving a review that shows on the product page; the emails on the way are written."""
import re
import uuid
from email import policy
from email.parser import BytesParser
from pathlib import Path
from urllib.parse import unquote

import pytest
from playwright.sync_api import expect

from tests.browser.test_accounts_journey import watch_console
from tests.browser.test_admin_journey import log_in
from tests.browser.test_checkout_journey import _find_and_add, fill_address
from tests.browser.test_producer_journey import create_listing, open_shop, phone_photo, register_producer
from tests.conftest import TEST_PASSWORD

pytestmark = pytest.mark.browser


def _emails(live_server):
    """(To, Subject, body) of every email the marketplace has written so far."""
    found = []
    for path in sorted(Path(live_server.app.config["MAIL_OUTBOX_DIR"]).glob("*.eml")):
        message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
        found.append((message["To"], message["Subject"], message.get_content()))
    return found


def _producer_lists_honey(page, live_server, tmp_path, token, javascript):
    email = f"produsen-{token}@example.com"
    register_producer(page, email, live_server)
    open_shop(page, f"Madu Jembayan {token}")
    title = f"Madu Kelulut {token}"
    create_listing(page, title, str(phone_photo(tmp_path / "madu.jpg")), javascript)
    page.get_by_role("button", name="Ajukan untuk ditinjau").click()
    expect(page.locator("li.listing", has_text=title).get_by_text("Menunggu tinjauan")).to_be_visible()
    return email, title


def _admin_approves(page, live_server, title):
    log_in(page, live_server.make_user("admin"))
    page.get_by_role("link", name="Admin", exact=True).click()
    page.get_by_role("link", name="Antrean tinjauan").click()
    page.locator("[id^=produk-]", has_text=title).get_by_role("button", name="Setujui").click()
    expect(page.get_by_role("status")).to_contain_text(f"{title}\u201d disetujui")


def _buyer_orders_and_pays(page, token, title, email, javascript):
    page.goto("/")
    _find_and_add(page, token, title, 2)
    page.get_by_role("link", name=re.compile("Keranjang")).click()
    page.get_by_role("link", name="Lanjut ke pemesanan").click()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Kata sandi").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    fill_address(page, javascript)
    page.get_by_role("button", name="Buat pesanan dan bayar").click()
    # 2 x Rp125.000 + Rp15.000 shipping.
    expect(page.get_by_text("Total: Rp265.000")).to_be_visible()
    page.get_by_role("button", name="Bayar", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Sudah dibayar")
    return re.search(r"PD-\d{4}-[A-Z0-9]{4}", page.get_by_role("heading", level=1).inner_text()).group(0)


def _producer_accepts_and_ships(page, code):
    page.goto("/dashboard")
    page.get_by_role("link", name=re.compile(r"^Pesanan\s+1 baru$")).click()  # the new order is counted
    page.get_by_role("link", name=re.compile(code)).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(code)
    page.get_by_role("button", name="Terima dan proses pesanan").click()
    expect(page.get_by_role("status").first).to_contain_text("diproses")
    page.get_by_label("Kurir").select_option("jne")
    page.get_by_label("Nomor resi").fill("jp 7788 1234 56")
    page.get_by_role("button", name="Tandai sudah dikirim").click()
    expect(page.get_by_role("status").first).to_contain_text("dikirim")
    nudge = page.get_by_role("link", name="Kabari pembeli lewat WhatsApp").first
    link = unquote(nudge.get_attribute("href"))
    assert link.startswith("https://wa.me/6281234567890?text=")
    assert code in link and "JP 7788 1234 56" in link and "JNE" in link


def _buyer_copies_the_tracking_number(page, javascript):
    """With JavaScript a button copies the resi; without it the resi is plain text and no button is shown."""
    copy = page.get_by_role("button", name="Salin resi")
    if not javascript:
        expect(copy).to_have_count(0)
        return
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    copy.click()
    expect(page.get_by_role("status").filter(has_text="Nomor resi sudah disalin.")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == "JP 7788 1234 56"
    assert copy.bounding_box()["height"] >= 44


def _buyer_confirms_and_reviews(page, code, title, javascript=True):
    page.goto("/orders")
    expect(page.get_by_role("row", name=re.compile(code))).to_contain_text("Dikirim")
    page.get_by_role("link", name=code).click()
    expect(page.get_by_text("Nomor resi: JP 7788 1234 56")).to_be_visible()
    expect(page.get_by_text("Kurir: JNE")).to_be_visible()
    _buyer_copies_the_tracking_number(page, javascript)
    expect(page.get_by_text(re.compile(r"\d{2}\.\d{2} WITA")).first).to_be_visible()
    page.get_by_text("Pesanan sudah diterima", exact=True).click()  # opens the confirmation
    page.get_by_role("button", name="Ya, barang sudah saya terima").click()
    expect(page.get_by_role("status").first).to_be_visible()
    page.get_by_role("link", name="Beri ulasan").click()
    page.get_by_label(re.compile("5 – Sangat puas")).check()
    page.get_by_label(re.compile("Ceritakan pengalaman Anda")).fill("Madunya asli, asam manis, botolnya rapi dibungkus.")
    page.get_by_role("button", name="Kirim ulasan").click()
    expect(page.get_by_role("status").first).to_contain_text("Terima kasih")
    expect(page.get_by_role("heading", level=1)).to_contain_text(code)  # back on the order
    page.get_by_label("Cari produk").fill(title)
    page.get_by_role("button", name="Telusuri").click()
    page.get_by_role("link", name=re.compile(re.escape(title))).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(page.get_by_text("Madunya asli, asam manis")).to_be_visible()
    expect(page.get_by_text("(1 ulasan)").first).to_be_visible()


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_from_first_listing_to_review(new_context, live_server, tmp_path, javascript):
    token = uuid.uuid4().hex[:8]
    producer_page = new_context(java_script_enabled=javascript).new_page()
    buyer_page = new_context(java_script_enabled=javascript).new_page()
    admin_page = new_context(java_script_enabled=javascript).new_page()
    problems = watch_console(producer_page) + watch_console(buyer_page)

    producer_email, title = _producer_lists_honey(producer_page, live_server, tmp_path, token, javascript)
    _admin_approves(admin_page, live_server, title)
    buyer_email = live_server.make_user("buyer")
    code = _buyer_orders_and_pays(buyer_page, token, title, buyer_email, javascript)
    _producer_accepts_and_ships(producer_page, code)
    _buyer_confirms_and_reviews(buyer_page, code, title, javascript)

    sent = [(to, subject) for to, subject, _body in _emails(live_server) if code in subject]
    assert (producer_email, f"Pesanan baru {code} sudah dibayar") in sent
    assert (buyer_email, f"Pesanan {code} sudah dikirim") in sent
    shipped = next(body for to, subject, body in _emails(live_server) if subject == f"Pesanan {code} sudah dikirim")
    assert "JP 7788 1234 56" in shipped and "JNE" in shipped
    assert problems == []
