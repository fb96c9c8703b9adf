"""Review fixtures: orders driven to 'completed' through the real fulfilment service, logged-in clients."""
import pytest
from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.orders import service as orders
from marketplace.reviews import service
from marketplace.reviews.models import Review
from tests.conftest import Auth


def complete_order(order):
    """Every part of the order accepted, shipped and received through the real services, committed."""
    for part in order.shop_orders:
        producer = part.shop.owner
        orders.accept_shop_order(part, producer)
        orders.ship_shop_order(part, producer, "jne", "JP123456")
        orders.confirm_receipt(part, order.buyer)
    db.session.commit()
    return order


@pytest.fixture
def complete():
    """complete(order): every part accepted, shipped and received through the real services, committed."""
    return complete_order


def build_world(make):
    """For the review modules' many refusal tests (see tests/worlds.py): the one item of a completed order, not yet
    reviewed; a review of another completed order (another listing of another shop), without reply; an admin."""
    item = complete_order(make.order()).shop_orders[0].items[0]
    reviewed = complete_order(make.order()).shop_orders[0].items[0]
    review = service.write_review(reviewed.shop_order.order.buyer, reviewed, 4, "Ulasan yang sudah ada")
    return {"item": item, "review": review, "admin": make.user("admin", name="Admin Ulasan")}


def reviews_of(product_id):
    """How many reviews the listing has (hidden ones included)."""
    return db.session.scalar(select(func.count(Review.id)).where(Review.product_id == product_id))


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
