"""The balance and payout pages through HTTP: who may see and press what, CSRF, hostile input, CSV."""
import csv
import io
import re
from datetime import timedelta

import pytest

from marketplace.extensions import db
from marketplace.ledger import payouts, rules, service
from marketplace.ledger.models_payouts import Payout, PayoutBatch, ShopBankAccount
from marketplace.ledger.payouts import BankAccountDetails
from marketplace.ledger.rules import ShopShare
from marketplace.models_base import utcnow
from tests.conftest import Auth, csrf_token

PRODUCER_PAGES = ["/dashboard/saldo", "/dashboard/saldo/rekening", "/dashboard/saldo/2026-12",
                  "/dashboard/saldo/2026-12.csv"]
ADMIN_PAGES = ["/admin/keuangan", "/admin/keuangan/rekening", "/admin/keuangan/pencairan"]


@pytest.fixture
def world(app, make_user, make_shop):
    """A producer whose shop earned Rp95.000 (available), with an unverified bank account; an admin."""
    shop = make_shop()
    share = ShopShare(shop.id, 100_000, 5_000)
    rules.record_payment("payment-w", "held:stripe", [share], order_id=None)
    rules.release_earnings("release-w", shop.id, share.net_idr)
    account = payouts.set_bank_account(shop, BankAccountDetails("014", "1234567890", "Siti Aminah"))
    db.session.commit()
    return {"shop": shop, "producer": shop.owner, "admin": make_user("admin"), "buyer": make_user("buyer"),
            "account": account}


def login(client, user):
    Auth(client).login(user.email)
    return client


def test_the_producer_sees_their_balance_and_statement(client, world):
    login(client, world["producer"])
    page = client.get("/dashboard/saldo")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Rp95.000" in html and "Menunggu pemeriksaan" in html
    assert "Pesanan selesai, saldo tersedia" in html
    month = utcnow().strftime("%Y-%m")
    rows = list(csv.reader(io.StringIO(client.get(f"/dashboard/saldo/{month}.csv").get_data(as_text=True))))
    assert rows[0][-1] == "Jumlah (Rp)" and sorted(int(row[-1]) for row in rows[1:]) == [-95_000, 95_000, 95_000]


@pytest.mark.parametrize("page", PRODUCER_PAGES)
@pytest.mark.parametrize("role", ["anonymous", "buyer", "admin"])
def test_producer_pages_are_for_producers(client, world, page, role):
    if role != "anonymous":
        login(client, world[role])
    response = client.get(page)
    assert response.status_code in (302, 403)
    assert "Rp95.000" not in response.get_data(as_text=True)


@pytest.mark.parametrize("page", ADMIN_PAGES)
@pytest.mark.parametrize("role", ["anonymous", "buyer", "producer"])
def test_admin_pages_are_for_admins(client, world, page, role):
    if role != "anonymous":
        login(client, world[role])
    assert client.get(page).status_code in (302, 403)


@pytest.mark.parametrize("month", ["2026-13", "1999-01", "abcd-ef", "2026-1", "9" * 40, "2026-12-01"])
def test_bad_months_are_404(client, world, month):
    login(client, world["producer"])
    assert client.get(f"/dashboard/saldo/{month}").status_code == 404
    assert client.get(f"/dashboard/saldo/{month}.csv").status_code == 404


@pytest.mark.parametrize("fields, message", [
    ({"bank_code": "999", "account_number": "123456", "holder_name": "Siti"}, "Pilih bank dari daftar"),
    ({"bank_code": "014", "account_number": "12<b>34", "holder_name": "Siti"}, "5 sampai 20 angka"),
    ({"bank_code": "014", "account_number": "1" * 10_000, "holder_name": "Siti"}, "5 sampai 20 angka"),
    ({"bank_code": "014", "account_number": "123456", "holder_name": "=HYPERLINK(\"http://x\")"}, "huruf saja"),
])
def test_a_bad_bank_account_is_refused_on_the_form_and_changes_nothing(client, world, fields, message):
    login(client, world["producer"])
    token = csrf_token(client, "/dashboard/saldo/rekening")
    response = client.post("/dashboard/saldo/rekening", data=dict(fields, csrf_token=token))
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert db.session.query(ShopBankAccount).filter_by(shop_id=world["shop"].id).count() == 1


def test_changing_the_account_needs_the_csrf_token(client, world):
    login(client, world["producer"])
    response = client.post("/dashboard/saldo/rekening", data={"bank_code": "008", "account_number": "99999999",
                                                              "holder_name": "Maling"})
    assert response.status_code == 400
    assert payouts.current_account(world["shop"].id).bank_code == "014"


def test_the_whole_payout_through_the_pages(client, world):
    login(client, world["admin"])
    token = csrf_token(client, "/admin/keuangan/rekening")
    client.post(f"/admin/keuangan/rekening/{world['account'].id}/setujui", data={"csrf_token": token})
    assert db.session.get(ShopBankAccount, world["account"].id).status == "verified"
    world["account"].payouts_from = utcnow() - timedelta(minutes=1)     # the 48 hours have passed
    db.session.commit()
    token = csrf_token(client, "/admin/keuangan/pencairan")
    response = client.post("/admin/keuangan/pencairan", data={"source": "held:stripe", "csrf_token": token})
    batch = db.session.query(PayoutBatch).one()
    assert response.headers["Location"].endswith(f"/admin/keuangan/pencairan/{batch.id}")
    rows = list(csv.reader(io.StringIO(client.get(f"/admin/keuangan/pencairan/{batch.id}.csv").get_data(as_text=True))))
    assert rows == [["bank_code", "account_number", "holder_name", "amount", "reference"],
                    ["014", "1234567890", "SITI AMINAH", "95000", batch.payouts[0].reference]]
    token = csrf_token(client, f"/admin/keuangan/pencairan/{batch.id}")
    payout_id = batch.payouts[0].id
    client.post(f"/admin/keuangan/pembayaran/{payout_id}/berhasil", data={"bank_reference": "TRF-778899",
                                                                          "csrf_token": token})
    assert db.session.get(Payout, payout_id).state == "paid"
    assert service.shop_balances(world["shop"].id)["available"] == 0
    html = client.get("/admin/keuangan").get_data(as_text=True)
    assert "Rp5.000" in html and re.search(r"stripe</td><td>Rp5\.000", html)


def test_admin_buttons_need_the_csrf_token(client, world):
    login(client, world["admin"])
    assert client.post(f"/admin/keuangan/rekening/{world['account'].id}/setujui").status_code == 400
    assert client.post("/admin/keuangan/pencairan", data={"source": "held:stripe"}).status_code == 400
    assert db.session.get(ShopBankAccount, world["account"].id).status == "unverified"


def test_a_statement_memo_that_looks_like_a_formula_stays_text(client, world):
    service.post("earnings_released", "formula", [service.debit(service.shop_account(world["shop"].id, "pending"), 1),
                                                  service.credit(service.shop_account(world["shop"].id, "available"), 1)],
                 memo="=cmd|' /C calc'!A0")
    service.post("payment_settled", "formula-pay", [service.debit("held:stripe", 1),
                                                    service.credit(service.shop_account(world["shop"].id, "pending"), 1)])
    db.session.commit()
    login(client, world["producer"])
    body = client.get(f"/dashboard/saldo/{utcnow().strftime('%Y-%m')}.csv").get_data(as_text=True)
    assert "'=cmd" in body and "\n=cmd" not in body and ",=cmd" not in body


@pytest.mark.parametrize("role", ["anonymous", "buyer", "producer"])
def test_admin_money_actions_refuse_everybody_else_and_change_nothing(client, world, role):
    from marketplace.ledger.models import JournalEntry

    if role != "anonymous":
        login(client, world[role])
    token = csrf_token(client, "/login" if role == "anonymous" else "/")
    posts = [(f"/admin/keuangan/rekening/{world['account'].id}/setujui", {}),
             (f"/admin/keuangan/rekening/{world['account'].id}/tolak", {"note": "Nama tidak cocok"}),
             ("/admin/keuangan/pencairan", {"source": "held:stripe"}),
             ("/admin/keuangan/pembayaran/1/berhasil", {"bank_reference": "TRF-1"}),
             ("/admin/keuangan/pembayaran/1/gagal", {"reason": "Rekening tutup"})]
    entries = db.session.query(JournalEntry).count()
    for path, data in posts:
        response = client.post(path, data={**data, "csrf_token": token})
        assert response.status_code in (302, 403) and (role != "anonymous" or "/login" in response.headers["Location"])
        assert role == "anonymous" or response.status_code == 403
    db.session.expire_all()
    assert db.session.get(ShopBankAccount, world["account"].id).status == "unverified"
    assert db.session.query(PayoutBatch).count() == 0 and db.session.query(JournalEntry).count() == entries
