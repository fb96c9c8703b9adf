"""The admins' payment settings: switching methods and registering receiving accounts, admins only, CSRF always."""
import pytest
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.payments import transfer
from marketplace.payments.models import ReceivingAccount
from tests.conftest import csrf_token


def _post(client, path, data):
    return client.post(path, data={**data, "csrf_token": csrf_token(client, "/admin/payments")})


def test_admin_registers_an_account_and_switches_bank_transfer_on(client, admin):
    response = _post(client, "/admin/payments/accounts",
                     {"bank": " BRI ", "account_number": "0123 4567 8901", "holder_name": "PT  Pasar Desa"})
    assert response.status_code == 302
    account = db.session.scalar(select(ReceivingAccount))
    assert (account.bank, account.account_number, account.holder_name) == ("BRI", "0123 4567 8901", "PT Pasar Desa")
    assert _post(client, "/admin/payments/methods/bank_transfer", {"enabled": "1"}).status_code == 302
    assert transfer.method_enabled("bank_transfer")
    page = client.get("/admin/payments").get_data(as_text=True)
    assert "0123 4567 8901" in page and "Ditawarkan" in page
    _post(client, f"/admin/payments/accounts/{account.id}/deactivate", {})
    assert not transfer.method_enabled("bank_transfer")  # no account left to transfer to


@pytest.mark.parametrize("fields, message", [
    ({"bank": "", "account_number": "0123456789", "holder_name": "PT Pasar Desa"}, "Nama bank"),
    ({"bank": "BRI", "account_number": "12-34<script>", "holder_name": "PT Pasar Desa"}, "Nomor rekening"),
    ({"bank": "BRI", "account_number": "1" * 40, "holder_name": "PT Pasar Desa"}, "Nomor rekening"),
    ({"bank": "BRI", "account_number": "0123456789", "holder_name": "x" * 500}, "Nama pemilik"),
])
def test_a_bad_account_is_refused_with_the_reason(client, admin, fields, message):
    response = _post(client, "/admin/payments/accounts", fields)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert db.session.scalar(select(ReceivingAccount)) is None


def test_unknown_method_and_missing_csrf_change_nothing(client, admin):
    assert _post(client, "/admin/payments/methods/bitcoin", {"enabled": "1"}).status_code == 400
    assert client.post("/admin/payments/methods/bank_transfer", data={"enabled": "1"}).status_code == 400
    assert client.post("/admin/payments/accounts", data={"bank": "BRI", "account_number": "0123456789",
                                                         "holder_name": "PT"}).status_code in (400, 422)
    assert db.session.scalar(select(ReceivingAccount)) is None


@pytest.mark.parametrize("role", [None, "buyer", "producer"])
def test_only_admins_reach_the_settings(client, auth, make_user, role):
    if role:
        auth.login(make_user(role).email)
    assert client.get("/admin/payments").status_code in (302, 403)
    assert client.get("/admin/payments/transfers").status_code in (302, 403)
    assert client.post("/admin/payments/methods/stripe", data={"enabled": "0"}).status_code in (302, 400, 403)
    assert transfer.method_enabled("stripe")


@pytest.fixture
def transfer_order(app, place, make_user, make_product):
    db.session.add(ReceivingAccount(bank="BRI", account_number="0123456789", holder_name="PT Pasar Desa"))
    order = place(make_user(), (make_product(stock=3, price_idr=150000), 1))
    payment = transfer.start_transfer(order)
    db.session.commit()
    return order, payment


def test_admin_marks_a_transfer_received_and_the_order_is_paid(client, admin, transfer_order):
    order, payment = transfer_order
    queue = client.get("/admin/payments/transfers").get_data(as_text=True)
    assert order.code in queue and f"{payment.amount_idr:,}".replace(",", ".") in queue
    response = _post(client, f"/admin/payments/transfers/{payment.id}/received", {"bank_reference": "BRI 0601 77"})
    assert response.status_code == 302
    db.session.refresh(order)
    db.session.refresh(payment)
    assert (order.state, payment.state, payment.bank_reference) == ("paid", "paid", "BRI 0601 77")
    again = _post(client, f"/admin/payments/transfers/{payment.id}/received", {"bank_reference": "BRI 0601 77"})
    assert "sudah ditutup" in client.get(again.headers["Location"]).get_data(as_text=True)
    assert order.code not in client.get("/admin/payments/transfers").get_data(as_text=True)


@pytest.mark.parametrize("reference", ["", "x", "y" * 101])
def test_marking_received_needs_a_reference(client, admin, transfer_order, reference):
    order, payment = transfer_order
    _post(client, f"/admin/payments/transfers/{payment.id}/received", {"bank_reference": reference})
    db.session.refresh(order)
    assert order.state == "pending" and payment.state == "pending"


def _upload(client, account_id, raw):
    import io

    return client.post("/admin/payments/statements", content_type="multipart/form-data", data={
        "csrf_token": csrf_token(client, "/admin/payments/transfers"), "account": str(account_id),
        "statement": (io.BytesIO(raw), "mutasi.csv")})


def test_admin_uploads_a_statement_and_the_order_is_paid(client, admin, transfer_order):
    from marketplace.models_base import utcnow

    order, payment = transfer_order
    account = db.session.scalar(select(ReceivingAccount))
    today = utcnow().date()
    raw = (f"tanggal,keterangan,jumlah,jenis\n{today},TRSF BUDI,{payment.amount_idr},CR\n"
           f"{today},<b>ORANG LAIN</b>,77777,CR\n").encode()
    response = _upload(client, account.id, raw)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "1 dibayar" in page and "&lt;b&gt;ORANG LAIN&lt;/b&gt;" in page and "<b>ORANG" not in page
    db.session.refresh(order)
    assert order.state == "paid"


def test_a_bad_statement_upload_says_why_and_changes_nothing(client, admin, transfer_order):
    order, _payment = transfer_order
    account = db.session.scalar(select(ReceivingAccount))
    response = _upload(client, account.id, b"tanggal,keterangan,jumlah,jenis\n2026-01-01,TRF,abc,CR\n")
    assert "Baris 2: jumlah" in client.get(response.headers["Location"]).get_data(as_text=True)
    db.session.refresh(order)
    assert order.state == "pending"
