"""A cash order past its pickup deadline, expired by cron at the very moment the producer marks it paid and
collected: exactly one wins, the stock goes back at most once and the ledger holds exactly what the winner wrote
(threads with their own app contexts and sessions on a committed database: SQLite, or PostgreSQL when
TEST_DATABASE_URL is set)."""
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from marketplace.accounts.models import User
from marketplace.errors import InvalidState
from marketplace.extensions import db
from marketplace.ledger import check
from marketplace.ledger.models import JournalEntry
from marketplace.models_base import utcnow
from marketplace.orders import service
from marketplace.orders.models import Order, ShopOrder
from marketplace.payments import cash, transfer
from marketplace.payments.cli import expire_command
from marketplace.payments.settle import latest_attempt
from marketplace.shops.models import Shop
from tests.orders.helpers import address, in_parallel

pytestmark = pytest.mark.slow


def _overdue_cash_order(market, stock=5, quantity=2):
    """(order id, shop order id, producer id, product id) of a cash order past its deadline, all committed."""
    buyer_id, product_id = market.make_user(), market.make_product(stock=stock, price_idr=40_000)

    def accept_cash():
        shop = db.session.get(Shop, _shop_of(product_id))
        shop.cash_on_pickup = True
        transfer.set_method_enabled("cash_on_pickup", True)
        return shop.id, shop.owner_id

    shop_id, producer_id = market.run(accept_cash)
    market.fill_cart(buyer_id, (product_id, quantity))

    def place():
        order = service.place_order(db.session.get(User, buyer_id), address(), {shop_id: "pickup"},
                                    method="cash_on_pickup")
        cash.start_cash(order)
        db.session.flush()
        db.session.execute(update(Order).where(Order.id == order.id).values(expires_at=utcnow() - timedelta(minutes=1)))
        return order.id, order.shop_orders[0].id

    order_id, part_id = market.run(place)
    return order_id, part_id, producer_id, product_id


def _shop_of(product_id):
    from marketplace.catalogue.models import Product

    return db.session.get(Product, product_id).shop_id


def _cron(market):
    def run():
        """One `flask orders expire` run (click's stream swapping is not thread-safe, so call it directly)."""
        with market.app.app_context():
            try:
                expire_command.callback.__wrapped__(limit=200)
                return "cron"
            finally:
                db.session.remove()

    return run


def _producer(market, part_id, producer_id, delay=0.0):
    def collect():
        time.sleep(delay)
        with market.app.app_context():
            try:
                cash.mark_collected(db.session.get(ShopOrder, part_id), db.session.get(User, producer_id))
                db.session.commit()
                return "collected"
            except InvalidState:
                db.session.rollback()
                return "refused"
            finally:
                db.session.remove()

    return collect


@pytest.mark.parametrize("round_", range(6))
def test_expiry_and_the_producer_at_once_exactly_one_wins(market, round_):
    order_id, part_id, producer_id, product_id = _overdue_cash_order(market)
    workers = [_cron(market), _producer(market, part_id, producer_id)]
    if round_ % 2:
        workers.reverse()
    results = in_parallel(workers + [_cron(market), _producer(market, part_id, producer_id)])

    def outcome():
        order = db.session.get(Order, order_id)
        entries = db.session.scalar(select(func.count(JournalEntry.id)).where(JournalEntry.order_id == order_id))
        return order.state, latest_attempt(order).state, entries, check.problems()

    state, payment_state, entries, problems = market.run(outcome)
    assert problems == []
    assert results.count("collected") <= 1
    if state == "paid":
        assert results.count("collected") == 1 and results.count("refused") == 1
        assert (payment_state, entries, market.stock(product_id)) == ("paid", 1, 3)
    else:
        assert state == "expired" and results.count("refused") == 2
        assert (payment_state, entries, market.stock(product_id)) == ("expired", 0, 5)   # given back once


def test_the_producer_a_moment_after_the_expiry_is_refused_and_the_stock_stays_back(market):
    order_id, part_id, producer_id, product_id = _overdue_cash_order(market)
    results = in_parallel([_cron(market), _producer(market, part_id, producer_id, delay=1.0)])
    assert results == ["cron", "refused"]
    assert market.run(lambda: db.session.get(Order, order_id).state) == "expired"
    assert market.stock(product_id) == 5 and market.run(check.problems) == []
