"""Fixtures of the order tests: the stock invariant after every test, buyers with carts, a committed database."""
import pytest

from marketplace.extensions import db
from marketplace.orders import cart, service
from tests.ledger.helpers import ledger_invariant_fixture
from tests.orders.helpers import address, committed_market, stock_invariant_fixture


@pytest.fixture(autouse=True)
def ledger_invariant(request):
    """After every test: orders and the ledger agree, and every entry balances."""
    yield from ledger_invariant_fixture(request)


@pytest.fixture(autouse=True)
def stock_invariant(request):
    """After every test: stock >= 0 and initial stock = stock + reserved and sold - released, per product."""
    yield from stock_invariant_fixture(request)


@pytest.fixture(scope="module")
def market(server_database, tmp_path_factory):
    """The app on a committed database of its own, for tests with real concurrency."""
    market = committed_market(server_database, tmp_path_factory)
    yield market
    market.close()


@pytest.fixture
def buyer(make_user):
    """A buyer account."""
    return make_user("buyer")


@pytest.fixture
def fill_cart():
    """fill_cart(user, (product, quantity), ...) through the cart service, committed."""

    def fill(user, *lines):
        basket = cart.AccountCart(user)
        for product, quantity in lines:
            cart.add_to_cart(basket, str(product.id), str(quantity))
        db.session.commit()
        return basket

    return fill


@pytest.fixture
def place(fill_cart):
    """place(user, (product, quantity), ..., fulfilment=None): an order placed through the real service."""

    def make(user, *lines, fulfilment=None, **address_fields):
        fill_cart(user, *lines)
        order = service.place_order(user, address(**address_fields), fulfilment or {})
        db.session.commit()
        return order

    return make
