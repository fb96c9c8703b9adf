"""Paying by bank transfer and by QRIS, in a real Chromium without JavaScript: the buyer checks out by transfer,
uploads a photo of the receipt on the order page, the admin sees it in the verification queue and opens it
(nobody else can), imports the bank's statement, and the buyer sees the order paid. By QRIS: the order page
shows the QR (an SVG) with the amount, and the admin marks the payment received."""
import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.test_accounts_journey import watch_console
from tests.browser.test_admin_journey import log_in
from tests.browser.test_checkout_journey import _find_and_add, fill_address
from tests.browser.test_money_journey import _admin_imports_statement, _buyer_orders_by_transfer, _seed

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("card_only_afterwards")]


def _receipt(tmp_path):
    """A small JPEG, like a phone's photo of the bank's receipt."""
    from marketplace.payments.demo import receipt_photo

    path = tmp_path / "bukti-transfer.jpg"
    path.write_bytes(receipt_photo(150_123))
    return path


def test_transfer_with_a_proof_then_the_statement_pays_it(new_context, live_server, tmp_path):
    token = uuid.uuid4().hex[:8]
    admin_email, _producers, titles = live_server.run(_seed, token)
    buyer_email = live_server.make_user("buyer")
    buyer, admin, stranger = (new_context(java_script_enabled=False).new_page() for _ in range(3))
    problems = watch_console(buyer) + watch_console(admin)

    code, amount, _unique = _buyer_orders_by_transfer(buyer, token, titles, buyer_email)
    buyer.get_by_label("Foto atau PDF bukti transfer").set_input_files(str(_receipt(tmp_path)))
    buyer.get_by_role("button", name="Kirim bukti transfer").click()
    expect(buyer.get_by_text(re.compile("Bukti terkirim .*; admin sedang memeriksanya."))).to_be_visible()
    proof_path = buyer.get_by_role("link", name="Unduh bukti").get_attribute("href")

    log_in(admin, admin_email)
    admin.goto("/admin/payments/transfers")
    photo = admin.get_by_role("img", name=f"Bukti transfer {code}")
    expect(photo).to_be_visible()
    # Proofs are sent as attachments (never rendered by the browser): fetched with each page's own cookies.
    origin = re.match(r"https?://[^/]+", admin.url).group(0)
    opened = admin.context.request.get(origin + proof_path, max_redirects=0)
    assert opened.status == 200 and opened.headers["content-type"] == "image/webp"
    assert opened.body()[8:12] == b"WEBP" and len(opened.body()) > 1000
    seen = stranger.context.request.get(origin + proof_path, max_redirects=0)   # not logged in: never the receipt
    assert seen.status in (302, 403, 404) and b"WEBP" not in seen.body()

    _admin_imports_statement(admin, amount, tmp_path)
    buyer.reload()
    expect(buyer.get_by_role("heading", level=1)).to_contain_text("Sudah dibayar")
    assert problems == []


def _qris_on():
    from marketplace.payments import transfer
    from marketplace.payments.demo import demo_qris_payload

    transfer.set_qris_payload(demo_qris_payload())
    transfer.set_method_enabled("qris", True)


def test_qris_shows_the_code_with_its_amount_and_the_admin_marks_it_received(new_context, live_server):
    token = uuid.uuid4().hex[:8]
    admin_email, _producers, titles = live_server.run(_seed, token)
    live_server.run(_qris_on)
    buyer_email = live_server.make_user("buyer")
    buyer, admin = (new_context(java_script_enabled=False).new_page() for _ in range(2))
    problems = watch_console(buyer) + watch_console(admin)

    log_in(buyer, buyer_email)
    buyer.goto("/")
    _find_and_add(buyer, token, titles[1], 1)
    buyer.goto("/checkout")
    fill_address(buyer, javascript=False)
    buyer.get_by_label("QRIS", exact=True).check()
    buyer.get_by_role("button", name="Buat pesanan dan bayar").click()
    code = re.search(r"PD-\d{4}-[A-Z0-9]{4}", buyer.get_by_role("heading", level=1).inner_text()).group(0)
    expect(buyer.get_by_role("heading", name="Bayar dengan QRIS")).to_be_visible()
    figure = buyer.locator("figure.qris")
    expect(figure.locator("svg")).to_have_count(1)
    amount = figure.locator("figcaption strong").inner_text()
    hint = buyer.get_by_text(re.compile(r"Total pesanan Rp65\.000 \+ kode unik \d+\.")).inner_text()
    unique = int(re.search(r"kode unik (\d+)", hint).group(1))
    assert int(re.sub(r"[^0-9]", "", amount)) == 65_000 + unique

    log_in(admin, admin_email)
    admin.goto("/admin/payments/transfers")
    row = admin.locator("tr", has_text=code)
    row.get_by_label(re.compile("eferensi")).fill("QRIS 0412 8891")
    row.get_by_role("button", name="Tandai diterima").click()
    expect(admin.get_by_role("status").first).to_be_visible()
    expect(admin.locator("tr", has_text=code)).to_have_count(0)
    buyer.reload()
    expect(buyer.get_by_role("heading", level=1)).to_contain_text("Sudah dibayar")
    assert problems == []
