"""Bank statement import: the generic layout in both number styles, each line recorded and settled once (twice the
same file, overlapping files, ten imports at once), closed transfers owed back, hostile files refused whole."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from marketplace.errors import InvalidInput
from marketplace.extensions import db
from marketplace.models_base import utcnow
from marketplace.orders.models import Order
from marketplace.payments import statement, transfer
from marketplace.payments.models import Payment, ReceivingAccount, StatementLine
from marketplace.payments.settle import close_attempt
from tests.orders.helpers import committed_market, in_parallel

HEADER = "tanggal,keterangan,jumlah,jenis\n"


def _rupiah_dots(amount):
    return f"\"{amount:,}\"".replace(",", ".")[:-1] + ",00\""


def _csv(*lines):
    return (HEADER + "".join(line + "\n" for line in lines)).encode()


@pytest.mark.parametrize("style", ["dots", "commas", "plain"])
def test_a_credit_of_the_exact_amount_settles_its_transfer(account, transfer_of, style):
    order, payment = transfer_of()
    amount = {"dots": _rupiah_dots(payment.amount_idr), "commas": f"\"{payment.amount_idr:,}.00\"",
              "plain": str(payment.amount_idr)}[style]
    today = utcnow().date().isoformat()
    result = statement.import_statement(account.id, _csv(f"{today},TRSF E-BANKING CR BUDI,{amount},CR",
                                                         f"{today},BIAYA ADM,{amount},DB"))
    db.session.commit()
    assert (result.settled, result.unmatched) == (1, 0)
    assert db.session.get(Order, order.id, populate_existing=True).state == "paid"


def test_the_same_file_twice_and_an_overlapping_one_settle_once(account, transfer_of):
    (first_order, first), (second_order, second) = transfer_of(), transfer_of(90000)
    day = utcnow().date()
    one = f"{day - timedelta(days=1)},TRF A,{first.amount_idr},CR"
    two = f"{day},TRF B,{second.amount_idr},CR"
    assert statement.import_statement(account.id, _csv(one)).settled == 1
    again = statement.import_statement(account.id, _csv(one))
    overlapping = statement.import_statement(account.id, _csv(one, two))
    db.session.commit()
    assert (again.already_imported, overlapping.already_imported, overlapping.settled) == (1, 1, 1)
    assert db.session.scalar(select(func.count()).select_from(StatementLine)) == 2
    assert {db.session.get(Order, o.id, populate_existing=True).state for o in (first_order, second_order)} == \
        {"paid"}


def test_a_credit_for_an_expired_transfer_is_owed_back_and_flagged(account, transfer_of):
    order, payment = transfer_of()
    close_attempt(payment, "expired")
    result = statement.import_statement(account.id, _csv(f"{utcnow().date()},TRF LATE,{payment.amount_idr},CR"))
    db.session.commit()
    db.session.refresh(order)
    assert result.refund_owed == 1 and payment.state == "refund_owed" and order.flagged_for_admin
    assert order.state == "pending"


def test_an_unknown_amount_is_listed_unmatched_and_settles_nothing(account, transfer_of):
    order, payment = transfer_of()
    result = statement.import_statement(account.id, _csv(f"{utcnow().date()},TRF ?,{payment.amount_idr + 1},CR"))
    assert result.unmatched == 1 and db.session.get(Order, order.id).state == "pending"
    line = db.session.scalar(select(StatementLine))
    assert (line.outcome, line.payment_id) == ("unmatched", None)


def test_a_line_booked_this_morning_in_kutai_kartanegara_is_not_in_the_future(account, transfer_of):
    """07:30 WITA is 23:30 UTC of the day before: the bank's date is today, where the statement is made."""
    _order, payment = transfer_of()
    morning = utcnow().replace(hour=23, minute=30, second=0, microsecond=0)   # the next 23:30 UTC, before
    if morning <= utcnow():                                                  # the transfer's deadline
        morning += timedelta(days=1)
    local_today, local_tomorrow = morning.date() + timedelta(days=1), morning.date() + timedelta(days=2)
    raw = _csv(f"{local_today},TRF PAGI,{_rupiah_dots(payment.amount_idr)},CR")
    assert statement.import_statement(account.id, raw, now=morning).settled == 1
    with pytest.raises(InvalidInput, match="masa depan"):
        statement.import_statement(account.id, _csv(f"{local_tomorrow},TRF BESOK,1000,CR"), now=morning)


def test_formulas_and_html_in_descriptions_are_stored_inert(account):
    today = utcnow().date()
    statement.import_statement(account.id, _csv(f'{today},"=HYPERLINK(""http://x"")",1000,CR',
                                                f"{today},<script>alert(1)</script>,2000,CR"))
    descriptions = sorted(db.session.scalars(select(StatementLine.description)))
    assert descriptions == ["'=HYPERLINK(\"http://x\")", "<script>alert(1)</script>"]


@pytest.mark.parametrize("raw, reason", [
    (_csv("2026-01-01,TRF,1000,XX"), "Baris 2: jenis"),
    (_csv("2026-01-01,TRF,0,CR"), "Baris 2: jumlah"),
    (_csv("2026-01-01,TRF,-5000,CR"), "Baris 2: jumlah"),
    (_csv("2026-01-01,TRF,\"1.000,50\",CR"), "Baris 2: jumlah"),
    (_csv("2026-01-01,TRF,1000,CR", "kemarin,TRF,1000,CR"), "Baris 3: tanggal"),
    (_csv("2999-01-01,TRF,1000,CR"), "Baris 2: tanggal di masa depan"),
    (_csv("2026-01-01,TRF"), "Baris 2: kolom"),
    (b"date,desc,amount\n2026-01-01,x,1\n", "Baris 1: kolom"),
    (HEADER.encode("utf-16") + "2026-01-01,TRF,1000,CR\n".encode("utf-16"), "UTF-8"),
    ((HEADER + "2026-01-01,Pak Agus \xe9,1000,CR\n").encode("latin-1"), "UTF-8"),
    (b"\x00" * 100, "CSV"),
    (b" " * (statement.MAX_BYTES + 1), "5 MB"),
])
def test_a_bad_file_is_refused_whole_with_line_and_reason(account, raw, reason):
    with pytest.raises(InvalidInput) as refused:
        statement.import_statement(account.id, _csv("2026-01-01,OK,1000,CR")[:0] + raw)
    assert reason in refused.value.message
    assert db.session.scalar(select(func.count()).select_from(StatementLine)) == 0


def test_the_command_imports_a_file(app, runner, account, transfer_of, tmp_path):
    order, payment = transfer_of()
    path = tmp_path / "mutasi.csv"
    path.write_bytes(_csv(f"{utcnow().date()},TRF,{payment.amount_idr},CR"))
    result = runner.invoke(args=["payments", "import-statement", str(path), "--account", str(account.id)])
    assert result.exit_code == 0 and "1 settled" in result.output
    bad = runner.invoke(args=["payments", "import-statement", str(path), "--account", "999999"])
    assert bad.exit_code != 0 and "Rekening tidak ditemukan" in bad.output


@pytest.fixture(scope="module")
def market(server_database, tmp_path_factory):
    market = committed_market(server_database, tmp_path_factory)
    yield market
    market.close()


@pytest.mark.slow
def test_ten_imports_of_one_statement_at_once_settle_once(market):
    from marketplace.accounts.models import User
    from marketplace.orders import service
    from tests.orders.helpers import address

    product_id, buyer_id = market.make_product(stock=5, price_idr=150000), market.make_user()
    market.fill_cart(buyer_id, (product_id, 1))
    account_id = market.run(lambda: _new_account().id)

    def place_and_transfer():
        order = service.place_order(db.session.get(User, buyer_id), address(), {})
        return order.id, transfer.start_transfer(order).amount_idr

    order_id, amount = market.run(place_and_transfer)
    raw = _csv(f"{utcnow().date()},TRF,{amount},CR")
    results = in_parallel([lambda: market.run(statement.import_statement, account_id, raw)] * 10)
    assert sorted(result.settled for result in results) == [0] * 9 + [1]
    assert market.run(lambda: db.session.scalar(select(func.count()).select_from(StatementLine))) == 1
    assert market.run(lambda: db.session.get(Order, order_id).state) == "paid"
    assert market.run(lambda: db.session.scalar(select(Payment.state).where(Payment.order_id == order_id))) == "paid"


def _new_account():
    account = ReceivingAccount(bank="BRI", account_number="0123456789", holder_name="PT Pasar Desa")
    db.session.add(account)
    db.session.flush()
    return account
