"""The money adds up, in a real Chromium without JavaScript: a buyer pays Rp150.000 plus its unique code by bank
transfer for two shops' goods; the admin imports the bank statement and the order is paid; one shop cancels,
the other ships and the buyer confirms; after the hold, the payout batch pays that shop exactly its share less
the commission; the finance overview shows the commission and the unique code; the ledger check finds nothing."""
import re
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.browser.test_accounts_journey import watch_console
from tests.browser.test_admin_journey import log_in
from tests.browser.test_checkout_journey import _find_and_add, fill_address

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("card_only_afterwards")]

# Shop A: 1 x Rp30.000, picked up (cancelled later). Shop B: 2 x Rp55.000 + Rp10.000 shipping (completed).
# The order is Rp150.000; the fee is 5% of the goods: Rp1.500 for A (given back), Rp5.500 for B.
B_SHARE = 2 * 55_000 + 10_000 - 5_500


def _seed(token):
    """An admin, two shops with a listing each, a receiving account with bank transfer on, and shop B's
    payout account verified; returns (admin email, producer emails, titles)."""
    from sqlalchemy import select

    from marketplace import regions
    from marketplace.accounts import service as accounts
    from marketplace.catalogue import service as catalogue
    from marketplace.catalogue.models import Category
    from marketplace.extensions import db
    from marketplace.ledger import payouts
    from marketplace.models_base import utcnow
    from marketplace.moderation import service as moderation
    from marketplace.payments import transfer
    from marketplace.shops import service as shops
    from tests.conftest import TEST_PASSWORD

    admin = accounts.register_user(verified=True, email=f"admin-{token}@example.com", name="Admin Keuangan",
                                   phone="", password=TEST_PASSWORD, role="admin")
    category = db.session.scalar(select(Category.id).where(Category.slug == "madu"))
    producers, titles = [], []
    for letter, (shop_name, title, price, fee, pickup) in zip("ab", [
            ("Gula Aren Loa Kulu", f"Gula Aren {token}", 30_000, 10_000, True),
            ("Amplang Muara Badak", f"Amplang Bandeng {token}", 55_000, 10_000, False)]):
        owner = accounts.register_user(verified=True, email=f"produsen-{letter}-{token}@example.com",
                                       name="Produsen", phone="081234567890", password=TEST_PASSWORD, role="producer")
        shop = shops.open_shop(owner, shops.ShopDetails(
            name=f"{shop_name} {token}", story="", district_code="64.02.02",
            village_code=regions.children("64.02.02")[0][0], whatsapp="0812 3456 7890", shipping_fee_idr=fee,
            pickup_allowed=pickup))
        product = catalogue.create_product(shop, catalogue.ProductDetails(
            title=title, description="Asli dari desa.", category_id=category, price_idr=price, stock=10))
        catalogue.submit_product(product)
        moderation.approve_product(product, admin)
        producers.append(owner.email)
        titles.append(title)
        if letter == "b":
            account = payouts.set_bank_account(shop, payouts.BankAccountDetails("014", "1234567890", "Produsen"))
            account.status, account.payouts_from = "verified", utcnow() - timedelta(minutes=1)
    transfer.add_account("BCA", "0123456789", "PT Pasar Desa")
    transfer.set_method_enabled("bank_transfer", True)
    return admin.email, producers, titles


def _shown(amount):
    return f"Rp{amount:,}".replace(",", ".")


def _rupiah(text):
    return int(re.sub(r"[^0-9]", "", text))


def _buyer_orders_by_transfer(page, token, titles, email):
    page.goto("/")
    _find_and_add(page, token, titles[1], 2)
    _find_and_add(page, token, titles[0], 1)
    page.get_by_role("link", name=re.compile("Keranjang")).click()
    page.get_by_role("link", name="Lanjut ke pemesanan").click()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Kata sandi").fill("correct horse battery")
    page.get_by_role("button", name="Masuk").click()
    expect(page.get_by_role("heading", name="Pemesanan")).to_be_visible()
    fill_address(page, javascript=False)
    page.get_by_label(re.compile("Ambil sendiri")).check()      # only shop A offers pickup
    page.get_by_label("Transfer bank").check()
    page.get_by_role("button", name="Buat pesanan dan bayar").click()
    code = re.search(r"PD-\d{4}-[A-Z0-9]{4}", page.get_by_role("heading", level=1).inner_text()).group(0)
    hint = page.get_by_text(re.compile(r"Total pesanan Rp150\.000 \+ kode unik \d+\."))
    expect(hint).to_be_visible()
    unique_code = int(re.search(r"kode unik (\d+)", hint.inner_text()).group(1))
    amount = _rupiah(page.locator(".amount strong").inner_text())
    assert amount == 150_000 + unique_code and 1 <= unique_code <= 999
    expect(page.get_by_text("0123456789").first).to_be_visible()   # each journey of the run adds this account
    return code, amount, unique_code


def _admin_imports_statement(page, amount, tmp_path):
    today = datetime.now(ZoneInfo("Asia/Makassar")).date().isoformat()
    whole = f"{amount:,}".replace(",", ".")
    statement = tmp_path / "mutasi.csv"
    statement.write_text("tanggal,keterangan,jumlah,jenis\n"
                         f"{today},TRSF E-BANKING CR IBU RINA,\"{whole},00\",CR\n"
                         f"{today},BIAYA ADM,\"15.000,00\",DB\n", encoding="utf-8")
    page.goto("/admin/payments/transfers")
    expect(page.get_by_role("cell", name=f"Rp{whole}")).to_be_visible()
    page.locator("input[type=file][name=statement]").set_input_files(str(statement))
    page.get_by_role("button", name="Impor").click()
    expect(page.get_by_role("status").first).to_contain_text("1 dibayar")
    expect(page.get_by_text("Tidak ada transfer yang ditunggu.")).to_be_visible()


def _open_shop_order(page, code):
    page.goto("/dashboard/orders")
    page.get_by_role("link", name=re.compile(code)).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(code)


def _shop_a_cancels(page, email, code):
    log_in(page, email)
    _open_shop_order(page, code)
    page.get_by_text("Batalkan pesanan", exact=True).click()
    page.get_by_label("Alasan pembatalan (dibaca pembeli)").fill("Gula aren habis terjual di pasar.")
    page.get_by_role("button", name="Batalkan pesanan ini").click()
    expect(page.get_by_role("status").first).to_be_visible()
    expect(page.get_by_text(re.compile("Dibatalkan"))).not_to_have_count(0)


def _shop_b_ships(page, email, code):
    log_in(page, email)
    _open_shop_order(page, code)
    page.get_by_role("button", name="Terima dan proses pesanan").click()
    page.get_by_label("Kurir").select_option("jne")
    page.get_by_label("Nomor resi").fill("JP7788123456")
    page.get_by_role("button", name="Tandai sudah dikirim").click()
    expect(page.get_by_role("status").first).to_contain_text("dikirim")


def test_the_money_adds_up_from_transfer_to_payout(new_context, live_server, tmp_path):
    from marketplace.ledger import check, service
    from marketplace.models_base import utcnow
    from marketplace.orders import earnings

    token = uuid.uuid4().hex[:8]
    admin_email, (producer_a, producer_b), titles = live_server.run(_seed, token)
    buyer_email = live_server.make_user("buyer")
    # The live server is shared by every journey of the run: the finance figures are read as what this one adds.
    before = live_server.run(lambda: {code: service.balance(code) for code in
                                      ("income:commission", "income:unique_code", "refunds_owed")})
    buyer, admin, shop_a, shop_b = (new_context(java_script_enabled=False).new_page() for _ in range(4))
    problems = watch_console(buyer) + watch_console(admin)

    code, amount, unique_code = _buyer_orders_by_transfer(buyer, token, titles, buyer_email)
    log_in(admin, admin_email)
    _admin_imports_statement(admin, amount, tmp_path)
    buyer.reload()
    expect(buyer.get_by_role("heading", level=1)).to_contain_text("Sudah dibayar")

    _shop_a_cancels(shop_a, producer_a, code)
    _shop_b_ships(shop_b, producer_b, code)
    buyer.goto("/orders")
    buyer.get_by_role("link", name=code).click()
    buyer.get_by_text("Pesanan sudah diterima", exact=True).click()
    buyer.get_by_role("button", name="Ya, barang sudah saya terima").click()
    expect(buyer.get_by_role("status").first).to_be_visible()

    # The cron job after the hold (PAYOUT_HOLD_DAYS, 3 by default) releases shop B's share.
    assert live_server.run(lambda: earnings.release_due(now=utcnow() + timedelta(days=3, minutes=1))) >= 1
    shop_b.goto("/dashboard/saldo")
    expect(shop_b.locator("dt:has-text('Tersedia untuk dicairkan') + dd")).to_have_text(_shown(B_SHARE))
    shop_a.goto("/dashboard/saldo")
    expect(shop_a.locator("dt:has-text('Tersedia untuk dicairkan') + dd")).to_have_text("Rp0")

    admin.goto("/admin/keuangan/pencairan")
    ready = admin.locator("section#next, section[aria-labelledby=next]").first
    expect(ready.locator("li")).to_have_count(1)
    expect(ready.locator("li")).to_contain_text(f"Amplang Muara Badak {token}")
    expect(ready.locator("li")).to_contain_text(_shown(B_SHARE))
    source = admin.get_by_label("Dibayar dari")  # the account the statement was imported for holds the money
    source.select_option(source.locator("option", has_text="BCA 0123456789 (bank-").first.get_attribute("value"))
    admin.get_by_role("button", name="Buat daftar pencairan").click()
    expect(admin.get_by_role("heading", level=1)).to_contain_text("Daftar pencairan #")
    rows = admin.locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(_shown(B_SHARE))
    admin.get_by_label("Nomor referensi bank").fill("BCA-20261207-0001")
    admin.get_by_role("button", name="Tandai berhasil").click()
    expect(admin.get_by_text(re.compile("Berhasil · BCA-20261207-0001"))).to_be_visible()

    admin.goto("/admin/keuangan")
    month = admin.locator("table", has=admin.get_by_role("columnheader", name="Komisi")).locator("tbody tr").last
    commission = before["income:commission"] + 5_500                          # B's fee; A's was given back
    codes = before["income:unique_code"] + unique_code
    expect(month).to_contain_text(_shown(commission))
    expect(month).to_contain_text(_shown(codes))
    owed = admin.locator("dt:has-text('Dana yang harus dikembalikan ke pembeli') + dd")
    expect(owed).to_have_text(_shown(before["refunds_owed"] + 30_000))        # shop A's part, owed to the buyer
    shop_b.goto("/dashboard/saldo")
    expect(shop_b.locator("dt:has-text('Tersedia untuk dicairkan') + dd")).to_have_text("Rp0")
    assert live_server.run(check.problems) == []
    assert problems == []
