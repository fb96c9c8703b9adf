"""Switching how an unpaid order is paid: the old attempt is closed first, money that arrives for it later is owed
back (settle's 'superseded'), and a switch racing the statement's settlement of the old attempt ends in exactly one
outcome (SQLite, or PostgreSQL with TEST_DATABASE_URL)."""
import pytest
from sqlalchemy import select

from marketplace.accounts.models import User
from marketplace.errors import InvalidInput, InvalidState
from marketplace.extensions import db
from marketplace.ledger import check
from marketplace.ledger.models import JournalEntry
from marketplace.models_base import utcnow
from marketplace.orders import service
from marketplace.orders.models import Order
from marketplace.payments import statement, switch, transfer
from marketplace.payments.models import Payment
from marketplace.payments.settle import latest_attempt, open_attempt, settle
from tests.orders.helpers import address, committed_market, in_parallel
from tests.orders.test_views import _token
from tests.payments.transfer_helpers import messages, methods_on


@pytest.fixture
def account(app):
    return methods_on()


@pytest.fixture
def order(account, place, make_user, make_product):
    order = place(make_user(), (make_product(stock=3, price_idr=150000), 1))
    transfer.start_transfer(order)
    db.session.commit()
    return order


def _credit(account_id, amount_idr):
    raw = f"tanggal,keterangan,jumlah,jenis\n{utcnow().date().isoformat()},TRSF CR {amount_idr},{amount_idr},CR\n"
    return statement.import_statement(account_id, raw.encode())


def test_switching_closes_the_old_attempt_before_opening_the_new_one(order):
    old = open_attempt(order)
    new = switch.switch_method(order, "qris")
    db.session.commit()
    db.session.refresh(old)
    assert (old.state, new.state, new.method) == ("failed", "pending", "qris")
    assert latest_attempt(order).id == new.id and order.expires_at == new.expires_at
    assert switch.switchable_methods(order) == ["bank_transfer", "stripe"]


def test_the_old_amount_paid_later_is_owed_back_not_used(account, order):
    old = open_attempt(order)
    switch.switch_method(order, "qris")
    db.session.commit()
    result = _credit(account.id, old.amount_idr)
    db.session.commit()
    db.session.refresh(old)
    order = db.session.get(Order, order.id, populate_existing=True)
    assert (result.refund_owed, result.settled) == (1, 0)
    assert (old.state, old.received_idr, order.state, order.flagged_for_admin) == \
        ("refund_owed", old.amount_idr, "pending", True)
    assert "sudah diganti" in order.flag_reason
    entry = db.session.scalar(select(JournalEntry).where(JournalEntry.kind == "late_payment",
                                                         JournalEntry.reference == f"payment-{old.id}"))
    assert sorted(line.amount_idr for line in entry.lines) == [-old.amount_idr, old.amount_idr]
    assert len(messages("buyer_refund_owed", order.buyer)) == 1
    assert open_attempt(order).method == "qris"  # the new attempt can still pay the order


def test_settle_names_a_switched_attempt_superseded(order):
    old = open_attempt(order)
    switch.switch_method(order, "stripe")
    assert settle(old, old.amount_idr, "admin") == "superseded"
    assert db.session.get(Order, order.id).state == "pending"


def test_switching_to_the_same_method_changes_nothing(order):
    old = open_attempt(order)
    assert switch.switch_method(order, "bank_transfer") is old and old.state == "pending"


@pytest.mark.parametrize("method", ["cash_on_pickup", "", "BANK_TRANSFER", "stripe\x00", "<b>qris</b>", "x" * 5000,
                                    None, 3])
def test_an_unknown_method_is_refused_and_changes_nothing(order, method):
    old = open_attempt(order)
    with pytest.raises(InvalidInput):
        switch.switch_method(order, method)
    assert old.state == "pending"


def test_a_method_switched_off_is_refused(order):
    transfer.set_method_enabled("qris", False)
    with pytest.raises(InvalidInput):
        switch.switch_method(order, "qris")


def test_a_paid_order_cannot_switch(order):
    payment = open_attempt(order)
    settle(payment, payment.amount_idr)
    with pytest.raises(InvalidState):
        switch.switch_method(order, "qris")
    assert payment.state == "paid"


def test_switching_is_bounded(order):
    for method in ["qris", "bank_transfer", "qris", "bank_transfer", "qris"]:
        switch.switch_method(order, method)
    with pytest.raises(InvalidState):
        switch.switch_method(order, "bank_transfer")
    assert open_attempt(order).method == "qris"


def test_a_card_session_the_buyer_completed_is_not_switched_away_from(order):
    switch.switch_method(order, "stripe")
    with pytest.raises(InvalidState):
        switch.switch_method(order, "bank_transfer", card_session="complete")
    assert open_attempt(order).method == "stripe"


# --- the order page ------------------------------------------------------------------------------------------


@pytest.fixture
def buyer_order(client, auth, order):
    auth.login(order.buyer.email)
    return order


def test_the_order_page_offers_the_switch_without_javascript(client, buyer_order):
    page = client.get(f"/orders/{buyer_order.code}").get_data(as_text=True)
    assert f'action="/orders/{buyer_order.code}/cara-bayar"' in page
    assert 'value="qris"' in page and 'value="stripe"' in page and 'name="method" value="bank_transfer"' not in page
    response = client.post(f"/orders/{buyer_order.code}/cara-bayar", data={"csrf_token": _token(client),
                                                                            "method": "qris"})
    assert response.status_code == 302
    assert open_attempt(buyer_order).method == "qris"


def test_switching_to_card_goes_to_the_payment_page(client, buyer_order):
    response = client.post(f"/orders/{buyer_order.code}/cara-bayar", data={"csrf_token": _token(client),
                                                                            "method": "stripe"})
    assert response.status_code == 302 and "/stripe-standin/pay/" in response.headers["Location"]
    payment = open_attempt(buyer_order)
    assert payment.method == "stripe" and payment.stripe_session_id is not None


@pytest.mark.parametrize("method", ["cash_on_pickup", "", "x" * 100000, "qris\x00", "<script>"])
def test_the_switch_form_refuses_hostile_methods(client, buyer_order, method):
    old = open_attempt(buyer_order)
    response = client.post(f"/orders/{buyer_order.code}/cara-bayar", data={"csrf_token": _token(client),
                                                                            "method": method})
    assert response.status_code == 422
    db.session.refresh(old)
    assert old.state == "pending"


def test_the_switch_needs_csrf_and_the_buyers_own_order(client, auth, buyer_order, make_user):
    assert client.post(f"/orders/{buyer_order.code}/cara-bayar", data={"method": "qris"}).status_code == 400
    other = make_user()
    auth.logout()
    auth.login(other.email)
    assert client.post(f"/orders/{buyer_order.code}/cara-bayar", data={"csrf_token": _token(client),
                                                                        "method": "qris"}).status_code == 404
    assert open_attempt(buyer_order).method == "bank_transfer"


# --- a switch racing the statement ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def market(server_database, tmp_path_factory):
    market = committed_market(server_database, tmp_path_factory, pool_size=4)
    yield market
    market.close()


def test_a_switch_racing_the_statement_ends_in_exactly_one_outcome(market):
    account_id = market.run(lambda: methods_on().id)
    outcomes = set()
    for _round in range(6):
        product_id = market.make_product(stock=2, price_idr=150000)
        buyer_id = market.make_user()
        market.fill_cart(buyer_id, (product_id, 1))
        order_id = market.run(lambda: service.place_order(db.session.get(User, buyer_id), address(), {}).id)
        amount = market.run(lambda: transfer.start_transfer(db.session.get(Order, order_id)).amount_idr)

        def switch_it():
            try:
                return market.run(lambda: switch.switch_method(db.session.get(Order, order_id), "qris").method)
            except InvalidState:
                return "refused"

        def import_it():
            return market.run(lambda: _credit(account_id, amount).settled)

        switched, settled = in_parallel([switch_it, import_it])

        def seen():
            order = db.session.get(Order, order_id)
            attempts = db.session.scalars(select(Payment).where(Payment.order_id == order_id)
                                          .order_by(Payment.id)).all()
            return order.state, [(payment.method, payment.state) for payment in attempts], check.problems()

        state, attempts, problems = market.run(seen)
        assert problems == []
        if switched == "refused":
            assert (settled, state, attempts) == (1, "paid", [("bank_transfer", "paid")])
        else:
            assert (switched, settled, state) == ("qris", 0, "pending")
            assert attempts == [("bank_transfer", "refund_owed"), ("qris", "pending")]
        outcomes.add(switched)
    assert outcomes  # both orders of arrival are allowed; each round had exactly one
