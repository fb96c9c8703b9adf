"""Bank transfer with a unique code: the amount asked, the deadline, and no two open transfers asking the same
amount, even when fifty buyers with the same total check out at once (SQLite, or PostgreSQL with
TEST_DATABASE_URL)."""
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from marketplace.accounts.models import User
from marketplace.extensions import db
from marketplace.models_base import utcnow
from marketplace.orders import service
from marketplace.orders.models import Order
from marketplace.payments import transfer
from marketplace.payments.models import Payment, ReceivingAccount
from marketplace.payments.settle import close_attempt, settle
from tests.orders.helpers import address, committed_market, in_parallel


@pytest.fixture
def order(place, make_user, make_product):
    return place(make_user(), (make_product(stock=3, price_idr=150000), 1))


def test_transfer_asks_total_plus_a_code_until_the_deadline(app, order):
    now = utcnow()
    payment = transfer.start_transfer(order, now=now)
    assert 1 <= payment.unique_code_idr <= 999 and payment.amount_idr == order.total_idr + payment.unique_code_idr
    assert payment.expires_at == now + timedelta(hours=app.config["BANK_TRANSFER_HOURS"]) == order.expires_at
    assert transfer.start_transfer(order) is payment  # asking again shows the same amount


def test_the_database_refuses_two_open_transfers_with_one_amount(order, place, make_user, make_product):
    payment = transfer.start_transfer(order)
    other = place(make_user(), (make_product(price_idr=150000), 1))
    db.session.add(Payment(order_id=other.id, method="bank_transfer", amount_idr=payment.amount_idr,
                           unique_code_idr=payment.unique_code_idr, expires_at=utcnow()))
    with pytest.raises(IntegrityError):
        db.session.flush()


def test_an_amount_is_free_again_once_its_transfer_is_closed_or_paid(order, place, make_user, make_product):
    payment = transfer.start_transfer(order)
    close_attempt(payment, "expired")
    other = place(make_user(), (make_product(price_idr=150000), 1))
    db.session.add(Payment(order_id=other.id, method="bank_transfer", amount_idr=payment.amount_idr,
                           unique_code_idr=payment.unique_code_idr, expires_at=utcnow()))
    db.session.flush()


def test_the_transfer_settles_through_the_one_service(order):
    payment = transfer.start_transfer(order)
    assert settle(payment, payment.amount_idr, "mutasi 1") == "paid"
    assert db.session.get(Order, order.id, populate_existing=True).state == "paid"


def test_bank_transfer_is_offered_only_when_switched_on_with_an_account(app):
    assert transfer.method_enabled("stripe") and not transfer.method_enabled("bank_transfer")
    transfer.set_method_enabled("bank_transfer", True)
    assert not transfer.method_enabled("bank_transfer")  # nowhere to transfer to yet
    db.session.add(ReceivingAccount(bank="BRI", account_number="0123456789", holder_name="PT Pasar Desa"))
    assert transfer.method_enabled("bank_transfer")
    transfer.set_method_enabled("bank_transfer", False)
    assert not transfer.method_enabled("bank_transfer")


@pytest.fixture(scope="module")
def market(server_database, tmp_path_factory):
    market = committed_market(server_database, tmp_path_factory, pool_size=20)
    yield market
    market.close()


@pytest.mark.slow
def test_fifty_checkouts_with_one_total_at_once_get_fifty_amounts(market):
    product_id = market.make_product(stock=60, price_idr=150000)
    order_ids = []
    for _buyer in range(50):
        buyer_id = market.make_user()
        market.fill_cart(buyer_id, (product_id, 1))
        order_ids.append(market.run(lambda: service.place_order(db.session.get(User, buyer_id), address(),
                                                                {}).id))

    def start(order_id):
        return lambda: market.run(lambda: transfer.start_transfer(db.session.get(Order, order_id)).amount_idr)

    amounts = in_parallel([start(order_id) for order_id in order_ids])
    assert len(set(amounts)) == 50
    stored = market.run(lambda: db.session.scalars(select(Payment.amount_idr).where(
        Payment.method == "bank_transfer", Payment.state == "pending")).all())
    assert sorted(stored) == sorted(amounts)
    total = market.run(lambda: db.session.get(Order, order_ids[0]).total_idr)
    assert all(total + 1 <= amount <= total + 999 for amount in amounts)
