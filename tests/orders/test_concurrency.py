"""The real checkout service under real concurrency, on a committed database (SQLite, or PostgreSQL when
TEST_DATABASE_URL is set): every buyer has a thread, an app context and a database session of their own."""
import pytest
from sqlalchemy import func, select

from marketplace.accounts.models import User
from marketplace.errors import InvalidState, OutOfStock
from marketplace.extensions import db
from marketplace.orders import service
from marketplace.orders.models import Order, OrderItem, ShopOrder
from tests.orders.helpers import address, in_parallel

pytestmark = pytest.mark.slow


def _buyer_of(market, user_id):
    """A callable that places the user's cart as an order: the order id, or None when out of stock."""

    def buy():
        with market.app.app_context():
            try:
                order = service.place_order(db.session.get(User, user_id), address(), {})
                db.session.commit()
                return order.id
            except OutOfStock:
                db.session.rollback()
                return None
            finally:
                db.session.remove()

    return buy


def _orders_for(market, product_id):
    return market.run(lambda: db.session.scalar(
        select(func.count(Order.id.distinct())).join(ShopOrder).join(OrderItem)
        .where(OrderItem.product_id == product_id)))


@pytest.fixture(scope="module")
def fifty_buyers(market):
    """Fifty buyer ids, registered once for the module."""
    return [market.make_user() for _ in range(50)]


@pytest.mark.parametrize("round_", range(20))
def test_fifty_buyers_for_the_last_five_jars(market, fifty_buyers, round_):
    product_id = market.make_product(stock=5)
    for user_id in fifty_buyers:
        market.fill_cart(user_id, (product_id, 1))
    results = in_parallel([_buyer_of(market, user_id) for user_id in fifty_buyers])
    assert sum(result is not None for result in results) == 5
    assert market.stock(product_id) == 0
    assert _orders_for(market, product_id) == 5


def test_twenty_buyers_of_two_for_five_units(market, fifty_buyers):
    product_id = market.make_product(stock=5)
    buyers = fifty_buyers[:20]
    for user_id in buyers:
        market.fill_cart(user_id, (product_id, 2))
    results = in_parallel([_buyer_of(market, user_id) for user_id in buyers])
    assert sum(result is not None for result in results) == 2  # at most 2: the third pair finds 1 left
    assert market.stock(product_id) == 1


def test_opposite_cart_orders_do_not_deadlock(market, fifty_buyers):
    a, b = market.make_product(stock=100), market.make_product(stock=100)
    buyers = fifty_buyers[:20]
    for index, user_id in enumerate(buyers):
        lines = [(a, 1), (b, 1)] if index % 2 == 0 else [(b, 1), (a, 1)]
        market.fill_cart(user_id, *lines)
    results = in_parallel([_buyer_of(market, user_id) for user_id in buyers], timeout=60)
    assert all(result is not None for result in results)
    assert (market.stock(a), market.stock(b)) == (80, 80)


def test_one_cart_checked_out_twice_at_once_makes_one_order(market):
    user_id, product_id = market.make_user(), market.make_product(stock=10)
    market.fill_cart(user_id, (product_id, 2))

    def submit():
        with market.app.app_context():
            try:
                order = service.place_order(db.session.get(User, user_id), address(), {})
                db.session.commit()
                return order.id
            except InvalidState:
                db.session.rollback()
                return None
            finally:
                db.session.remove()

    results = in_parallel([submit] * 5)
    assert sum(result is not None for result in results) == 1
    assert market.stock(product_id) == 8


def test_a_restock_during_the_rush_loses_no_update(market, fifty_buyers, stock_invariant):
    product_id = market.make_product(stock=5)
    for user_id in fifty_buyers:
        market.fill_cart(user_id, (product_id, 1))

    def restock():
        with market.app.app_context():
            try:
                service.add_stock(product_id, 1)
                db.session.commit()
            finally:
                db.session.remove()

    restocks = [restock] * 20
    results = in_parallel([_buyer_of(market, user_id) for user_id in fifty_buyers] + restocks)
    stock_invariant.restocked(market.url, product_id, 20)
    sold = sum(result is not None for result in results[:50])
    assert market.stock(product_id) == 5 + 20 - sold  # every restock and every sale counted
    assert market.stock(product_id) >= 0 and sold >= 5
