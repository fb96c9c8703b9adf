"""Review fixtures: orders driven to 'completed' through the real fulfilment service, logged-in clients."""
import pytest

from marketplace.extensions import db
from marketplace.orders import service as orders
from marketplace.reviews import service
from tests.conftest import Auth


@pytest.fixture
def complete():
    """complete(order): every part accepted, shipped and received through the real services, committed."""

    def run(order):
        for part in order.shop_orders:
            producer = part.shop.owner
            orders.accept_shop_order(part, producer)
            orders.ship_shop_order(part, producer, "jne", "JP123456")
            orders.confirm_receipt(part, order.buyer)
        db.session.commit()
        return order

    return run


@pytest.fixture
def completed_item(make_order, complete):
    """completed_item(buyer=None, product=None) -> the one OrderItem of a new order, completed."""

    def make(buyer=None, product=None):
        order = make_order(buyer=buyer, lines=[(product, 1)] if product is not None else None)
        complete(order)
        return order.shop_orders[0].items[0]

    return make


@pytest.fixture
def make_review(completed_item):
    """make_review(rating=5, body="", buyer=None, product=None) -> a committed Review of a completed order."""

    def make(rating=5, body="", buyer=None, product=None):
        item = completed_item(buyer=buyer, product=product)
        review = service.write_review(item.shop_order.order.buyer, item, rating, body)
        db.session.commit()
        return review

    return make


@pytest.fixture
def login(client):
    """login(user): the test client, logged in through the real form."""

    def run(user):
        response = Auth(client).login(user.email)
        assert response.status_code == 302
        return client

    return run
