"""Fixtures of the payment tests: the stock invariant after every test, orders with a stand-in Checkout
Session, and Stripe-signed deliveries to the webhook."""
import pytest
from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.orders import cart, service
from marketplace.orders.models import Order
from marketplace.payments import service as payments
from marketplace.payments import transfer
from marketplace.payments.models import PaymentEvent, PaymentRefund, ReceivingAccount
from marketplace.payments.standin import StandinCheckoutSession, StandinRefund
from marketplace.payments.settle import latest_attempt
from tests.orders.conftest import fill_cart, place  # noqa: F401 (fixtures shared with the order tests)
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


@pytest.fixture(autouse=True)
def standin_stripe(request):
    """Payments go to the local stand-in, whatever the environment says."""
    if "app" in request.fixturenames:
        app = request.getfixturevalue("app")
        app.config.update(STRIPE_SECRET_KEY=None, STRIPE_API_BASE=None, PRODUCTION=False,
                          STRIPE_WEBHOOK_SECRET="whsec_pasardesa_development")


@pytest.fixture(scope="module")
def market(server_database, tmp_path_factory):
    """The app on a committed database of its own, for concurrent deliveries."""
    market = committed_market(server_database, tmp_path_factory)
    yield market
    market.close()


def start_checkout(app, order):
    """Create the order's Checkout Session at the stand-in through the real payments service; returns it as a dict."""
    with app.test_request_context():
        request = payments.checkout_request(order, f"http://localhost/orders/{order.code}?checkout=success",
                                            f"http://localhost/orders/{order.code}?checkout=cancel")
        db.session.commit()
        payments.remember_session(request.order_id, payments.open_checkout(request))
        db.session.commit()
    return stripe_session(order)


def stripe_session(order):
    """The stand-in's current view of the order's session, as Stripe's API would return it."""
    db.session.refresh(order)
    session_id = latest_attempt(order).stripe_session_id
    return db.session.get(StandinCheckoutSession, session_id, populate_existing=True).as_stripe()


@pytest.fixture
def checkout(app, make_user, make_product):
    """checkout(buyer=None, lines=None, start=True) -> (order, session dict or None): a placed order, with its
    stand-in session unless start is False."""
    return checkout_maker(app, make_user, make_product)


def checkout_maker(app, make_user, make_product):
    """checkout's function, for fixtures that build rows outside one test (inside an app context)."""

    def make(buyer=None, lines=None, start=True):
        buyer = buyer or make_user()
        lines = lines or [(make_product(stock=5, price_idr=50000), 2)]
        basket = cart.AccountCart(buyer)
        for product, quantity in lines:
            cart.add_to_cart(basket, str(product.id), str(quantity))
        order = service.place_order(buyer, address(), {})
        db.session.commit()
        return order, start_checkout(app, order) if start else None

    return make


def fresh(order):
    """The order as the database has it now."""
    return db.session.get(Order, order.id, populate_existing=True)


def count(model, *where):
    """How many rows of a table (matching where)."""
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def refunds_of(payment_intent):
    """(refunds the marketplace recorded, refunds the stand-in 'Stripe' made) for a payment intent."""
    return (count(PaymentRefund, PaymentRefund.payment_intent == payment_intent),
            count(StandinRefund, StandinRefund.payment_intent == payment_intent))


def events_recorded():
    """How many Stripe events the marketplace has recorded."""
    return count(PaymentEvent)


@pytest.fixture
def account(app):
    """A receiving account buyers transfer to."""
    account = ReceivingAccount(bank="BRI", account_number="0123456789", holder_name="PT Pasar Desa")
    db.session.add(account)
    db.session.commit()
    return account


@pytest.fixture
def transfer_of(place, make_user, make_product):
    """make(price_idr=150000): a placed order of one listing and its open bank transfer, committed."""
    def make(price_idr=150000):
        order = place(make_user(), (make_product(stock=3, price_idr=price_idr), 1))
        payment = transfer.start_transfer(order)
        db.session.commit()
        return order, payment

    return make


@pytest.fixture
def admin(client, auth, make_user):
    """An admin, logged in on the test client."""
    user = make_user("admin")
    auth.login(user.email)
    return user


@pytest.fixture
def shopper(client, auth, make_user):
    """A buyer, logged in on the test client."""
    user = make_user()
    auth.login(user.email)
    return user
