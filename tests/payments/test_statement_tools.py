"""Statement tools: an admin matches an unmatched line to an open transfer by hand (through settle(), once, even
when admins click at once), a receiving account reads its bank's own CSV layout, and hostile statements are
refused or stored inert."""
import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from marketplace.errors import DomainError, InvalidInput, InvalidState
from marketplace.extensions import db
from marketplace.ledger.models import JournalEntry
from marketplace.models_base import utcnow
from marketplace.orders.models import Order
from marketplace.payments import statement, statement_layout, transfer
from marketplace.payments.models import Payment, ReceivingAccount, StatementLine
from marketplace.payments.settle import close_attempt
from marketplace.payments.statement_layout import StatementLayout
from tests.conftest import csrf_token
from tests.orders.helpers import committed_market, in_parallel


def _line(account_id, amount_idr, description="TRSF E-BANKING CR"):
    """An unmatched line as an import leaves it."""
    line = StatementLine(account_id=account_id, fingerprint=hashlib.sha256(f"{description}{amount_idr}{utcnow()}"
                                                                           .encode()).hexdigest(),
                         booked_on=utcnow().date(), description=description, amount_idr=amount_idr)
    db.session.add(line)
    db.session.commit()
    return line


def _match(client, line_id, code):
    response = client.post(f"/admin/payments/statement-lines/{line_id}/match",
                           data={"order_code": code, "csrf_token": csrf_token(client, "/admin/payments/transfers")})
    assert response.status_code == 302
    return client.get(response.headers["Location"]).get_data(as_text=True)


# --- matching by hand -----------------------------------------------------------------------------------------


def test_an_admin_matches_a_line_and_the_order_is_paid_once(client, admin, account, transfer_of):
    order, payment = transfer_of()
    line = _line(account.id, payment.amount_idr, "TRF dari BUDI <b>tanpa</b> berita")
    queue = client.get("/admin/payments/transfers").get_data(as_text=True)
    assert "TRF dari BUDI &lt;b&gt;tanpa&lt;/b&gt; berita" in queue and f'<option value="{order.code}">' in queue
    assert "pesanan dibayar" in _match(client, line.id, f" {order.code} ")
    db.session.refresh(line)
    assert (line.outcome, line.payment_id, line.matched_by_id) == ("settled", payment.id, admin.id)
    assert db.session.get(Order, order.id, populate_existing=True).state == "paid"
    assert "sudah dicocokkan" in _match(client, line.id, order.code)
    other = _line(account.id, payment.amount_idr, "TRF kedua")
    assert "Tidak ada transfer" in _match(client, other.id, order.code)
    assert db.session.get(StatementLine, other.id, populate_existing=True).outcome == "unmatched"


def test_a_wrong_amount_matched_by_hand_is_owed_back_through_settle(client, admin, account, transfer_of):
    order, payment = transfer_of()
    line = _line(account.id, order.total_idr)  # the buyer left the unique code out
    assert "tidak cocok" in _match(client, line.id, order.code)
    db.session.refresh(payment)
    db.session.refresh(line)
    assert (payment.state, payment.received_idr, line.outcome) == ("refund_owed", order.total_idr, "refund_owed")
    order = db.session.get(Order, order.id, populate_existing=True)
    assert order.flagged_for_admin and order.state == "cancelled"
    assert db.session.scalar(select(JournalEntry).where(JournalEntry.kind == "late_payment",
                                                        JournalEntry.reference == f"payment-{payment.id}"))


@pytest.mark.parametrize("code", ["", "PD-NOPE", "<script>alert(1)</script>", "x" * 5000, "' OR 1=1 --"])
def test_an_unknown_order_matches_nothing(client, admin, account, transfer_of, code):
    _order, payment = transfer_of()
    line = _line(account.id, payment.amount_idr)
    page = _match(client, line.id, code)
    assert "Tidak ada transfer" in page and "<script>alert(1)" not in page
    assert db.session.get(StatementLine, line.id, populate_existing=True).outcome == "unmatched"
    assert db.session.get(Payment, payment.id, populate_existing=True).state == "pending"


def test_a_stripe_order_or_a_closed_transfer_cannot_be_matched(client, admin, account, place, make_user, make_product,
                                                              transfer_of):
    stripe_order = place(make_user(), (make_product(stock=3), 1))
    order, payment = transfer_of()
    close_attempt(payment, "expired")
    db.session.commit()
    line = _line(account.id, payment.amount_idr)
    for code in (stripe_order.code, order.code):
        assert "Tidak ada transfer" in _match(client, line.id, code)
    assert db.session.get(StatementLine, line.id, populate_existing=True).outcome == "unmatched"


def test_matching_needs_csrf_and_an_admin(client, auth, make_user, account, transfer_of):
    order, payment = transfer_of()
    line = _line(account.id, payment.amount_idr)
    auth.login(make_user("admin").email)
    assert client.post(f"/admin/payments/statement-lines/{line.id}/match",
                       data={"order_code": order.code}).status_code == 400
    client.post("/logout", data={"csrf_token": csrf_token(client, "/login")})
    auth.login(order.buyer.email)
    response = client.post(f"/admin/payments/statement-lines/{line.id}/match",
                           data={"order_code": order.code, "csrf_token": csrf_token(client, "/login")})
    assert response.status_code in (302, 403) and "/admin/payments/transfers" not in response.headers.get(
        "Location", "")
    assert db.session.get(StatementLine, line.id, populate_existing=True).outcome == "unmatched"


@pytest.fixture(scope="module")
def market(server_database, tmp_path_factory):
    market = committed_market(server_database, tmp_path_factory)
    yield market
    market.close()


def _attempt(market, line_id, code, admin_id):
    from marketplace.accounts.models import User

    def match():
        try:
            return statement.match_line(line_id, code, db.session.get(User, admin_id))
        except DomainError:
            db.session.rollback()
            return "refused"

    return market.run(match)


@pytest.mark.slow
def test_ten_admins_matching_at_once_settle_once(market):
    from marketplace.accounts.models import User
    from marketplace.orders import service
    from tests.orders.helpers import address

    product_id, buyer_id, admin_id = market.make_product(stock=5, price_idr=150000), market.make_user(), \
        market.make_user("admin")
    market.fill_cart(buyer_id, (product_id, 1))

    def setup():
        account = ReceivingAccount(bank="BRI", account_number="0123456789", holder_name="PT Pasar Desa")
        db.session.add(account)
        order = service.place_order(db.session.get(User, buyer_id), address(), {})
        payment = transfer.start_transfer(order)
        db.session.flush()
        lines = []
        for number in range(2):
            line = StatementLine(account_id=account.id, fingerprint=f"manual-{order.code}-{number}",
                                 booked_on=utcnow().date(), description=f"TRF {number}",
                                 amount_idr=payment.amount_idr)
            db.session.add(line)
            lines.append(line)
        db.session.flush()
        return order.id, order.code, [line.id for line in lines]

    order_id, code, (first, second) = market.run(setup)
    # Five admins on one line, five on another line for the same order.
    results = in_parallel([lambda line_id=line_id: _attempt(market, line_id, code, admin_id)
                           for line_id in [first] * 5 + [second] * 5])
    assert sorted(results) == ["paid"] + ["refused"] * 9
    assert market.run(lambda: db.session.get(Order, order_id).state) == "paid"
    outcomes = market.run(lambda: sorted(db.session.scalars(select(StatementLine.outcome).where(
        StatementLine.id.in_([first, second])))))
    assert outcomes == ["settled", "unmatched"]


# --- a bank's own layout --------------------------------------------------------------------------------------


BCA_LIKE = """Informasi Rekening - Mutasi Rekening
No. rekening : ,0123456789
Tanggal Transaksi,Keterangan,Cabang,Jumlah,Saldo
{day},TRSF E-BANKING CR 0612/FTSCY/WS95031 BUDI,0000,"{amount:,}.00 CR","9,999,999.00"
{day},BIAYA ADM,0000,"10,000.00 DB","9,989,999.00"
"""


def test_an_account_with_its_banks_layout_reads_its_statement(client, admin, account, transfer_of):
    order, payment = transfer_of()
    form = {"skip_rows": "3", "date_column": "1", "description_column": "2", "amount_column": "4",
            "marker_column": "4", "credit_marker": "cr", "debit_marker": "DB", "number_style": "commas",
            "action": "layout", "csrf_token": csrf_token(client, "/admin/payments")}
    assert client.post(f"/admin/payments/accounts/{account.id}/layout", data=form).status_code == 302
    layout = db.session.get(StatementLayout, account.id)
    assert (layout.skip_rows, layout.amount_column, layout.credit_marker) == (3, 4, "CR")
    raw = BCA_LIKE.format(day=utcnow().strftime("%d/%m/%Y"), amount=payment.amount_idr).encode()
    result = statement.import_statement(account.id, raw)
    db.session.commit()
    assert (result.settled, result.unmatched) == (1, 0)
    assert db.session.get(Order, order.id, populate_existing=True).state == "paid"
    generic = ("tanggal,keterangan,jumlah,jenis\n" + f"{utcnow().date()},TRF,1000,CR\n" * 3).encode()
    with pytest.raises(InvalidInput, match="Baris 4"):  # this account's files are read with its layout
        statement.import_statement(account.id, generic)


def test_separate_marker_columns_and_the_dots_style(account, transfer_of):
    order, payment = transfer_of()
    statement_layout.set_layout(account.id, 1, 2, 3, 4, 5, "K", "D", "dots")
    amount = f"{payment.amount_idr:,}".replace(",", ".") + ",00"
    raw = (f"No,Tanggal,Uraian,Nominal,Jenis\n1,{utcnow().strftime('%d-%m-%Y')},SETORAN,\"{amount}\",K\n"
           f"2,{utcnow().strftime('%d-%m-%Y')},TARIK,\"1.000,00\",D\n").encode()
    assert statement.import_statement(account.id, raw).settled == 1
    with pytest.raises(InvalidInput, match="Baris 2: jumlah"):  # 1,234.00 is not this bank's style
        statement.import_statement(account.id, f"No,T,U,N,J\n1,{utcnow().date()},X,\"1,000.00\",K\n".encode())


def test_the_generic_layout_is_the_default_and_can_be_put_back(client, admin, account):
    statement_layout.set_layout(account.id, 0, 1, 2, 3, 4, "CR", "DB", "auto")
    db.session.commit()
    assert "khusus bank ini" in client.get("/admin/payments").get_data(as_text=True)
    response = client.post(f"/admin/payments/accounts/{account.id}/layout",
                           data={"action": "generic", "csrf_token": csrf_token(client, "/admin/payments")})
    assert response.status_code == 302 and db.session.get(StatementLayout, account.id) is None
    raw = f"tanggal,keterangan,jumlah,jenis\n{utcnow().date()},TRF,1000,CR\n".encode()
    assert statement.import_statement(account.id, raw).unmatched == 1


@pytest.mark.parametrize("changes, field, message", [
    ({"date_column": "0"}, "date_column", "Nomor kolom"),
    ({"amount_column": "51"}, "amount_column", "Nomor kolom"),
    ({"description_column": "dua"}, "description_column", "Nomor kolom"),
    ({"description_column": "1"}, "marker_column", "kolom sendiri"),
    ({"marker_column": "1"}, "marker_column", "kolom sendiri"),
    ({"skip_rows": "21"}, "skip_rows", "Baris dilewati"),
    ({"skip_rows": "-1"}, "skip_rows", "Baris dilewati"),
    ({"skip_rows": "١"}, "skip_rows", "Baris dilewati"),  # an Arabic-Indic digit is no column number here
    ({"credit_marker": "<script>"}, "credit_marker", "Penanda"),
    ({"debit_marker": "cr"}, "debit_marker", "berbeda"),
    ({"debit_marker": "x" * 5000}, "debit_marker", "Penanda"),
    ({"number_style": "roman"}, "number_style", "gaya angka"),
])
def test_a_bad_layout_is_refused_with_the_reason(client, admin, account, changes, field, message):
    form = {"skip_rows": "1", "date_column": "1", "description_column": "2", "amount_column": "3",
            "marker_column": "4", "credit_marker": "CR", "debit_marker": "DB", "number_style": "auto",
            "action": "layout", **changes, "csrf_token": csrf_token(client, "/admin/payments")}
    response = client.post(f"/admin/payments/accounts/{account.id}/layout", data=form)
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and message in page and "<script>" not in page.split("<main")[-1]
    assert db.session.get(StatementLayout, account.id) is None


def test_a_layout_for_an_unknown_account_is_not_found(client, admin):
    form = {"skip_rows": "1", "date_column": "1", "description_column": "2", "amount_column": "3",
            "marker_column": "4", "credit_marker": "CR", "debit_marker": "DB", "number_style": "auto",
            "csrf_token": csrf_token(client, "/admin/payments")}
    assert client.post("/admin/payments/accounts/99999/layout", data=form).status_code == 404


# --- hostile statements ---------------------------------------------------------------------------------------


def test_fifty_megabytes_are_refused_by_the_page_and_the_command(client, admin, account, runner, tmp_path):
    big = b"tanggal,keterangan,jumlah,jenis\n" + b"2026-01-01,TRF,1000,CR\n" * (50 * 1024 * 1024 // 23)
    path = tmp_path / "mutasi.csv"
    path.write_bytes(big)
    result = runner.invoke(args=["payments", "import-statement", str(path), "--account", str(account.id)])
    assert result.exit_code != 0 and "5 MB" in result.output
    from tests.shops.conftest import multipart
    import io

    boundary, body = multipart({"account": str(account.id), "statement": (io.BytesIO(big), "mutasi.csv"),
                                "csrf_token": csrf_token(client, "/admin/payments/transfers")})
    response = client.post("/admin/payments/statements", data=body,
                           content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code == 413
    assert db.session.scalar(select(func.count()).select_from(StatementLine)) == 0


def test_a_cell_too_long_for_csv_is_refused_not_a_crash(account):
    raw = f"tanggal,keterangan,jumlah,jenis\n{utcnow().date()},{'A' * 200_000},1000,CR\n".encode()
    with pytest.raises(InvalidInput, match="CSV"):
        statement.import_statement(account.id, raw)


@pytest.mark.parametrize("prefix", ["=", "+", "-", "@", "\t=", " @"])
def test_every_formula_prefix_is_stored_inert(account, prefix):
    raw = f'tanggal,keterangan,jumlah,jenis\n{utcnow().date()},"{prefix}cmd|\' /C calc\'!A0",1000,CR\n'.encode()
    statement.import_statement(account.id, raw)
    assert db.session.scalar(select(StatementLine.description)).startswith("'")


def test_a_credit_for_an_expired_transfer_is_booked_as_held_and_owed(account, transfer_of):
    order, payment = transfer_of()
    close_attempt(payment, "expired")
    raw = f"tanggal,keterangan,jumlah,jenis\n{utcnow().date()},TRF LATE,{payment.amount_idr},CR\n".encode()
    assert statement.import_statement(account.id, raw).refund_owed == 1
    second = (f"tanggal,keterangan,jumlah,jenis\n{(utcnow() - timedelta(days=1)).date()},TRF LATE AGAIN,"
              f"{payment.amount_idr},CR\n").encode()
    assert statement.import_statement(account.id, second).unmatched == 1  # the first one already took it
    db.session.commit()
    entries = db.session.scalars(select(JournalEntry).where(JournalEntry.reference == f"payment-{payment.id}")).all()
    assert [entry.kind for entry in entries] == ["late_payment"]
    assert db.session.get(Payment, payment.id, populate_existing=True).received_idr == payment.amount_idr


def test_match_line_refuses_a_taken_line_in_the_service(app, make_user, account, transfer_of):
    order, payment = transfer_of()
    line = _line(account.id, payment.amount_idr)
    admin_user = make_user("admin")
    assert statement.match_line(line.id, order.code, admin_user) == "paid"
    with pytest.raises(InvalidState):
        statement.match_line(line.id, order.code, admin_user)
