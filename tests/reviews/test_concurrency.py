"""Two submissions of the same review at the same moment, on a committed database (SQLite, or PostgreSQL when
TEST_DATABASE_URL is set): each in its own thread, app context and session."""
import pytest
from sqlalchemy import func, select

from marketplace.accounts.models import User
from marketplace.errors import InvalidState
from marketplace.extensions import db
from marketplace.orders import service as orders
from marketplace.orders.models import Order, OrderItem
from marketplace.reviews import service
from marketplace.reviews.models import Review
from tests.orders.helpers import address, committed_market, in_parallel

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def market(server_database, tmp_path_factory):
    """The app on a committed database of its own."""
    market = committed_market(server_database, tmp_path_factory)
    yield market
    market.close()


def _completed_item(market, buyer_id, product_id):
    """The id of the item of a new order of the product, paid, shipped and received through the real services."""
    market.fill_cart(buyer_id, (product_id, 1))

    def order_and_complete():
        buyer = db.session.get(User, buyer_id)
        order = orders.place_order(buyer, address(), {})
        orders.settle_order(order, "pi_reviews_test")
        db.session.expire_all()  # settle_order moves the parts with a bulk UPDATE
        part = order.shop_orders[0]
        orders.accept_shop_order(part, part.shop.owner)
        orders.ship_shop_order(part, part.shop.owner, "jne", "JP123456")
        orders.confirm_receipt(part, buyer)
        return part.items[0].id

    return market.run(order_and_complete)


def _writer(market, buyer_id, item_id, rating):
    def write():
        with market.app.app_context():
            try:
                service.write_review(db.session.get(User, buyer_id), db.session.get(OrderItem, item_id), rating,
                                     f"ulasan {rating}")
                db.session.commit()
                return "written"
            except InvalidState as refused:
                db.session.rollback()
                return refused.message
            finally:
                db.session.remove()

    return write


@pytest.mark.parametrize("round_", range(5))
def test_the_same_review_sent_twice_at_once_is_written_once(market, round_):
    buyer_id, product_id = market.make_user(), market.make_product(stock=5)
    first, second = _completed_item(market, buyer_id, product_id), _completed_item(market, buyer_id, product_id)
    results = in_parallel([_writer(market, buyer_id, first, 5), _writer(market, buyer_id, second, 1),
                           _writer(market, buyer_id, first, 3)])
    assert results.count("written") == 1
    assert all("sudah mengulas" in result for result in results if result != "written")
    count = market.run(lambda: db.session.scalar(select(func.count(Review.id)).where(
        Review.buyer_id == buyer_id, Review.product_id == product_id)))
    assert count == 1
    assert market.run(lambda: db.session.scalar(select(func.count(Order.id)).where(Order.buyer_id == buyer_id))) == 2
