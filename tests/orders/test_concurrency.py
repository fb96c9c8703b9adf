"""The real checkout service under real concurrency, on a committed database (SQLite, or PostgreSQL when
TEST_DATABASE_URL is set): every buyer has a thread, an app context and a database session of their own."""
import pytest
from sqlalchemy import func, select

from marketplace.accounts.models import User
from marketplace.errors import InvalidState, OutOfStock
from marketplace.extensions import db
from marketplace.orders import service
from marketplace.orders.models import Order, OrderEvent, OrderItem, ShopOrder
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


def _paid_order(market, buyer_id, product_id, quantity):
    """A placed and settled order's (id, shop order id)."""
    market.fill_cart(buyer_id, (product_id, quantity))

    def place_and_settle():
        order = service.place_order(db.session.get(User, buyer_id), address(), {})
        service.settle_order(order, f"pi_concurrent_{order.id}")
        return order.id, order.shop_orders[0].id

    return market.run(place_and_settle)


def _shop_action(market, shop_order_id, action):
    """A callable that moves the shop order as its producer would: 'won' or 'refused'."""

    def act():
        with market.app.app_context():
            try:
                part = db.session.get(ShopOrder, shop_order_id)
                owner = part.shop.owner
                if action == "cancel":
                    service.cancel_shop_order(part, owner, "producer", "Stok rusak")
                else:
                    service.ship_shop_order(part, owner, "jne", "JP0001112223")
                db.session.commit()
                return "won"
            except InvalidState:
                db.session.rollback()
                return "refused"
            finally:
                db.session.remove()

    return act


@pytest.mark.parametrize("rivals", [("cancel",) * 6, ("cancel", "ship") * 3])
def test_a_shop_order_changes_once_under_concurrent_presses(market, rivals):
    """Six presses at once (double taps, two devices): one wins, the stock comes back at most once."""
    product_id = market.make_product(stock=10)
    _order_id, part_id = _paid_order(market, market.make_user(), product_id, 4)
    market.run(lambda: service.accept_shop_order(db.session.get(ShopOrder, part_id),
                                                 db.session.get(ShopOrder, part_id).shop.owner))
    results = in_parallel([_shop_action(market, part_id, action) for action in rivals])
    assert results.count("won") == 1
    state = market.run(lambda: db.session.get(ShopOrder, part_id).state)
    assert market.stock(product_id) == (10 if state == "cancelled" else 6)
    assert market.run(lambda: db.session.scalar(select(func.count()).select_from(OrderEvent).where(
        OrderEvent.shop_order_id == part_id, OrderEvent.to_state == state))) == 1
