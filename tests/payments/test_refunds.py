"""Refunds to bank transfer and QRIS buyers: what they are owed (money that could not be kept, cancelled paid
parts), the bank account they give on the order page (validated, hostile input refused), and the transfer an admin
records back: once, even under concurrent clicks (SQLite, or PostgreSQL with TEST_DATABASE_URL), with the ledger's
refund_paid entry (refunds_owed -> the account the money was held in) and the buyer's email."""
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from marketplace.accounts.models import User
from marketplace.errors import InvalidInput, InvalidState
from marketplace.extensions import db
from marketplace.ledger import check
from marketplace.ledger.models import JournalEntry
from marketplace.ledger.service import balance
from marketplace.models_base import utcnow
from marketplace.orders import service as orders
from marketplace.orders.models import Order, ShopOrder
from marketplace.payments import refunds, service, statement, switch, transfer
from marketplace.payments.models import Payment
from marketplace.payments.models_refunds import BuyerRefund, RefundAccount
from marketplace.payments.settle import open_attempt, settle
from tests.orders.helpers import address, committed_market, in_parallel
from tests.orders.test_views import _token
from tests.payments.transfer_helpers import messages, methods_on

ACCOUNT = {"bank_code": "014", "account_number": "1234 567 890", "holder_name": "Siti Aminah"}


@pytest.fixture
def superseded(app, place, make_user, make_product):
    """A pending order whose first transfer was paid after the buyer switched to QRIS: owed back."""
    methods_on()
    order = place(make_user(), (make_product(stock=3, price_idr=150000), 1))
    old = transfer.start_transfer(order)
    switch.switch_method(order, "qris")
    assert settle(old, old.amount_idr, "mutasi") == "superseded"
    db.session.commit()
    return order, old


@pytest.fixture
def cancelled_part(app, place, make_user, make_product, make_shop):
    """An order of two shops paid by transfer, one shop's part cancelled: that part is owed back."""
    methods_on()
    order = place(make_user(), (make_product(stock=3, price_idr=100000), 1), (make_product(price_idr=40000), 2))
    payment = transfer.start_transfer(order)
    assert settle(payment, payment.amount_idr, "mutasi") == "paid"
    part = order.shop_orders[0]
    orders.cancel_shop_order(part, part.shop.owner, "producer", "Stok rusak kena banjir")
    assert service.shop_refund_due(part) is None  # not a card: Stripe is never asked
    db.session.commit()
    return order, part


def _admin(make_user):
    return make_user("admin")


def test_a_superseded_payment_is_owed_and_refunded_once_with_its_ledger_entry(superseded, make_user):
    order, old = superseded
    [owed] = refunds.owed_on(order)
    assert (owed.cause, owed.amount_idr, owed.held, owed.is_paid) == (f"payment-{old.id}", old.amount_idr,
                                                                       "held:bank", False)
    assert [each.cause for each in refunds.open_refunds()] == [owed.cause]
    refunds.set_refund_account(order, **ACCOUNT)
    held_before, owed_before = balance("held:bank"), balance("refunds_owed")
    refund = refunds.record_refund(owed.cause, _admin(make_user), "BCA 7781", utcnow().date())
    db.session.commit()
    assert (refund.account_number, refund.holder_name, refund.amount_idr) == ("1234567890", "SITI AMINAH",
                                                                               old.amount_idr)
    assert db.session.get(Payment, old.id, populate_existing=True).state == "refunded"
    assert (balance("held:bank"), balance("refunds_owed")) == (held_before - old.amount_idr,
                                                               owed_before - old.amount_idr)
    assert refunds.open_refunds() == [] and refunds.owed_on(order)[0].is_paid
    [email] = messages("buyer_refund_paid", order.buyer)
    assert "BCA 7781" in email.body and "1234567890" in email.body and "Bank Central Asia" in email.body
    with pytest.raises(InvalidState):
        refunds.record_refund(owed.cause, _admin(make_user), "BCA 7782", utcnow().date())
    assert db.session.scalar(select(func.count()).select_from(JournalEntry)
                             .where(JournalEntry.kind == "refund_paid")) == 1


def test_a_cancelled_part_paid_by_transfer_is_refunded_from_the_bank(cancelled_part, make_user):
    order, part = cancelled_part
    [owed] = refunds.owed_on(order)
    assert (owed.cause, owed.amount_idr, owed.part.id) == (f"shop-order-{part.id}", part.total_idr, part.id)
    assert service.due_shop_refunds() == []  # the cron's Stripe retries leave it alone
    refunds.set_refund_account(order, **ACCOUNT)
    refunds.record_refund(owed.cause, _admin(make_user), "BCA 991", utcnow().date())
    db.session.commit()
    part = db.session.get(ShopOrder, part.id, populate_existing=True)
    assert part.stripe_refund_id.startswith("transfer-") and part.refunded_at is not None
    entry = db.session.scalar(select(JournalEntry).where(JournalEntry.kind == "refund_paid",
                                                         JournalEntry.reference == owed.cause))
    assert {line.account.code: line.amount_idr for line in entry.lines} == {"refunds_owed": part.total_idr,
                                                                           "held:bank": -part.total_idr}
    assert check.problems() == []


def test_nothing_is_recorded_before_the_buyer_gives_an_account(superseded, make_user):
    order, old = superseded
    with pytest.raises(InvalidState):
        refunds.record_refund(f"payment-{old.id}", _admin(make_user), "BCA 7781", utcnow().date())
    assert db.session.get(Payment, old.id).state == "refund_owed"


@pytest.mark.parametrize("reference, day", [
    ("", 0), ("ab", 0), ("x" * 101, 0), ("BCA 1", 3), ("BCA 1", -400), ("BCA 1", None)])
def test_a_bad_reference_or_date_is_refused(superseded, make_user, reference, day):
    order, old = superseded
    refunds.set_refund_account(order, **ACCOUNT)
    when = None if day is None else utcnow().date() + timedelta(days=day)
    with pytest.raises(InvalidInput):
        refunds.record_refund(f"payment-{old.id}", _admin(make_user), reference, when)
    assert db.session.scalar(select(func.count()).select_from(BuyerRefund)) == 0


@pytest.mark.parametrize("cause", ["payment-0", "payment-999999", "shop-order-x", "order-1", "", "payment-1; --",
                                   "payment-" + "9" * 30, None])
def test_an_unknown_cause_is_refused(superseded, make_user, cause):
    with pytest.raises((InvalidInput, InvalidState)):
        refunds.record_refund(cause, _admin(make_user), "BCA 1", utcnow().date())


def test_a_paid_order_owes_nothing_and_takes_no_account(app, place, make_user, make_product):
    methods_on()
    order = place(make_user(), (make_product(price_idr=60000), 1))
    payment = transfer.start_transfer(order)
    settle(payment, payment.amount_idr)
    with pytest.raises(InvalidState):
        refunds.set_refund_account(order, **ACCOUNT)


@pytest.mark.parametrize("field, value", [
    ("bank_code", "999"), ("bank_code", ""), ("bank_code", "<script>"), ("bank_code", "0" * 10000),
    ("account_number", "12ab5678"), ("account_number", "1234"), ("account_number", "9" * 21),
    ("account_number", "١٢٣٤٥٦٧٨"), ("account_number", "1" * 100000), ("account_number", ""),
    ("holder_name", "<b>Siti</b>"), ("holder_name", "S"), ("holder_name", "=HYPERLINK(1)"),
    ("holder_name", "Siti\x00Aminah"), ("holder_name", "x" * 100000), ("holder_name", "")])
def test_a_bad_refund_account_is_refused(superseded, field, value):
    order, _old = superseded
    with pytest.raises(InvalidInput) as refused:
        refunds.set_refund_account(order, **{**ACCOUNT, field: value})
    assert refused.value.field == field
    assert refunds.refund_account(order) is None


def test_the_buyer_may_correct_the_account_before_the_refund(superseded):
    order, _old = superseded
    refunds.set_refund_account(order, **ACCOUNT)
    refunds.set_refund_account(order, **{**ACCOUNT, "bank_code": "002", "account_number": "5550001112"})
    account = refunds.refund_account(order)
    assert (account.bank_code, account.account_number) == ("002", "5550001112")
    assert db.session.scalar(select(func.count()).select_from(RefundAccount)) == 1


def test_the_check_finds_a_refund_without_its_entry(superseded, make_user):
    order, old = superseded
    db.session.add(BuyerRefund(cause=f"payment-{old.id}", order_id=order.id, amount_idr=old.amount_idr,
                               held="held:bank", bank_code="014", account_number="1234567890",
                               holder_name="SITI AMINAH", bank_reference="BCA 1", transferred_on=date.today()))
    db.session.flush()
    assert any(f"refund payment-{old.id}" in problem for problem in check.problems())
    old.state = "refunded"
    db.session.flush()
    assert any(f"refund payment-{old.id}" in problem for problem in check.problems())
    db.session.rollback()


def test_the_check_finds_money_owed_back_without_its_entry(app, place, make_user, make_product):
    methods_on()
    order = place(make_user(), (make_product(price_idr=60000), 1))
    payment = transfer.start_transfer(order)
    payment.state, payment.received_idr = "refund_owed", payment.amount_idr
    db.session.flush()
    assert f"payment {payment.id}: owed back, but no late_payment entry" in check.problems()
    db.session.rollback()


# --- the pages -----------------------------------------------------------------------------------------------


def test_the_buyer_gives_an_account_on_the_order_page_without_javascript(client, auth, superseded):
    order, old = superseded
    auth.login(order.buyer.email)
    page = client.get(f"/orders/{order.code}").get_data(as_text=True)
    assert 'id="pengembalian"' in page and f"{old.amount_idr:,}".replace(",", ".") in page
    response = client.post(f"/orders/{order.code}/rekening-pengembalian", data={"csrf_token": _token(client),
                                                                                 **ACCOUNT})
    assert response.status_code == 302
    assert refunds.refund_account(order).holder_name == "SITI AMINAH"


@pytest.mark.parametrize("field, value", [("bank_code", "<script>alert(1)</script>"),
                                          ("holder_name", "<script>alert(1)</script>"),
                                          ("account_number", "x" * 100000)])
def test_a_hostile_account_is_refused_on_the_page_and_shown_inert(client, auth, superseded, field, value):
    order, _old = superseded
    auth.login(order.buyer.email)
    response = client.post(f"/orders/{order.code}/rekening-pengembalian", data={"csrf_token": _token(client),
                                                                                 **{**ACCOUNT, field: value}})
    assert response.status_code == 422
    assert "<script>alert(1)</script>" not in response.get_data(as_text=True)
    assert refunds.refund_account(order) is None


def test_the_account_form_needs_csrf_and_the_buyers_own_order(client, auth, superseded, make_user):
    order, _old = superseded
    auth.login(order.buyer.email)
    assert client.post(f"/orders/{order.code}/rekening-pengembalian", data=ACCOUNT).status_code == 400
    auth.logout()
    auth.login(make_user().email)
    response = client.post(f"/orders/{order.code}/rekening-pengembalian", data={"csrf_token": _token(client),
                                                                                 **ACCOUNT})
    assert response.status_code == 404 and refunds.refund_account(order) is None


def test_the_admin_sees_the_refund_owed_and_records_the_transfer(client, auth, superseded, make_user):
    order, old = superseded
    refunds.set_refund_account(order, **ACCOUNT)
    db.session.commit()
    auth.login(_admin(make_user).email)
    page = client.get("/admin/keuangan/pengembalian").get_data(as_text=True)
    assert order.code in page and "SITI AMINAH" in page and "1234567890" in page
    assert "/admin/keuangan/pengembalian" in client.get("/admin/keuangan").get_data(as_text=True)
    response = client.post(f"/admin/keuangan/pengembalian/payment-{old.id}", data={
        "csrf_token": _token(client), "bank_reference": "BCA 7781", "transferred_on": utcnow().date().isoformat()})
    assert response.status_code == 302
    assert db.session.get(Payment, old.id, populate_existing=True).state == "refunded"
    assert order.code not in client.get("/admin/keuangan/pengembalian").get_data(as_text=True)
    buyer_page = client.get(f"/orders/{order.code}")
    assert buyer_page.status_code == 404  # the admin is not the buyer


@pytest.mark.parametrize("data", [{"bank_reference": "BCA 1", "transferred_on": "kemarin"},
                                  {"bank_reference": "BCA 1", "transferred_on": "2026-13-45"},
                                  {"bank_reference": "BCA 1", "transferred_on": "9" * 10000},
                                  {"bank_reference": "<i>x</i>" * 50, "transferred_on": "2026-12-01"},
                                  {"bank_reference": "BCA 1"}])
def test_the_admin_form_refuses_bad_input(client, auth, superseded, make_user, data):
    order, old = superseded
    refunds.set_refund_account(order, **ACCOUNT)
    db.session.commit()
    auth.login(_admin(make_user).email)
    client.post(f"/admin/keuangan/pengembalian/payment-{old.id}", data={"csrf_token": _token(client), **data})
    assert db.session.get(Payment, old.id, populate_existing=True).state == "refund_owed"


@pytest.mark.parametrize("role", [None, "buyer", "producer"])
def test_only_admins_reach_the_refunds(client, auth, superseded, make_user, role):
    order, old = superseded
    refunds.set_refund_account(order, **ACCOUNT)
    db.session.commit()
    if role:
        auth.login(make_user(role).email)
    assert client.get("/admin/keuangan/pengembalian").status_code in (302, 403)
    response = client.post(f"/admin/keuangan/pengembalian/payment-{old.id}", data={
        "csrf_token": _token(client), "bank_reference": "BCA 1", "transferred_on": utcnow().date().isoformat()})
    assert response.status_code in (302, 400, 403)
    assert db.session.get(Payment, old.id, populate_existing=True).state == "refund_owed"


# --- concurrent clicks ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def market(server_database, tmp_path_factory):
    market = committed_market(server_database, tmp_path_factory, pool_size=8)
    yield market
    market.close()


def test_concurrent_clicks_record_one_refund(market):
    market.run(methods_on)
    product_id = market.make_product(stock=2, price_idr=150000)
    buyer_id = market.make_user()
    admin_id = market.make_user("admin")
    market.fill_cart(buyer_id, (product_id, 1))
    order_id = market.run(lambda: orders.place_order(db.session.get(User, buyer_id), address(), {}).id)

    def owe():
        order = db.session.get(Order, order_id)
        old = transfer.start_transfer(order)
        switch.switch_method(order, "qris")
        assert settle(old, old.amount_idr) == "superseded"
        refunds.set_refund_account(order, **ACCOUNT)
        return old.id

    cause = f"payment-{market.run(owe)}"

    def click():
        try:
            market.run(lambda: refunds.record_refund(cause, db.session.get(User, admin_id), "BCA 1",
                                                     utcnow().date()))
            return "recorded"
        except InvalidState:
            return "refused"

    results = in_parallel([click] * 8)
    assert sorted(results) == ["recorded"] + ["refused"] * 7

    def seen():
        return (db.session.scalar(select(func.count()).select_from(BuyerRefund)),
                db.session.scalar(select(func.count()).select_from(JournalEntry)
                                  .where(JournalEntry.kind == "refund_paid")),
                len(messages("buyer_refund_paid")), open_attempt(db.session.get(Order, order_id)).method,
                check.problems())

    assert market.run(seen) == (1, 1, 1, "qris", [])


def test_a_transfer_after_its_deadline_is_owed_back_through_the_ledger(app, place, make_user, make_product):
    account = methods_on()
    order = place(make_user(), (make_product(stock=3, price_idr=90000), 1))
    payment = transfer.start_transfer(order)
    orders.release_order(order, "expired", utcnow(), actor_role="system")
    db.session.commit()
    raw = f"tanggal,keterangan,jumlah,jenis\n{utcnow().date().isoformat()},TRSF CR,{payment.amount_idr},CR\n"
    assert statement.import_statement(account.id, raw.encode()).refund_owed == 1
    db.session.commit()
    assert [owed.amount_idr for owed in refunds.owed_on(order)] == [payment.amount_idr]
    assert balance("refunds_owed") == payment.amount_idr
    assert len(messages("buyer_refund_owed", order.buyer)) == 1
    assert "waktu bayar habis" in db.session.get(Order, order.id, populate_existing=True).flag_reason
