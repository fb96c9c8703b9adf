"""What checkout refuses before any stock is held: totals no payment can carry, a buyer's own shop, more unpaid
orders or more of a listing than one buyer may hold unpaid, and a flood of checkouts (429 in their language)."""
import pytest
from sqlalchemy import func, select

from marketplace.catalogue.models import Product
from marketplace.errors import InvalidInput, InvalidState, NotAllowed
from marketplace.extensions import db
from marketplace.orders import service
from marketplace.orders.models import CartItem, Order
from marketplace.orders.limits import STRIPE_MAX_CHARGE_IDR, max_payment_idr
from tests.orders.helpers import address
from tests.orders.test_views import _add, _checkout


def _stock(product):
    return db.session.get(Product, product.id, populate_existing=True).stock


def _orders_of(user):
    return db.session.scalar(select(func.count(Order.id)).where(Order.buyer_id == user.id))


def _cart_lines(user):
    return db.session.scalar(select(func.count(CartItem.id)).where(CartItem.user_id == user.id))


# --- what one payment can carry ------------------------------------------------------------------------------


def test_stripe_maximum_for_idr_is_twelve_digits_in_its_units():
    assert max_payment_idr("stripe") == STRIPE_MAX_CHARGE_IDR == 9_999_999_999
    assert len(str(STRIPE_MAX_CHARGE_IDR * 100)) == 12


def test_a_total_above_one_payment_is_refused_and_changes_nothing(make_product, make_shop, buyer, fill_cart):
    gold = make_product(shop=make_shop(shipping_fee_idr=0), price_idr=100_000_000, stock=1000,
                        title="Tenun Ulap Doyo Emas")
    fill_cart(buyer, (gold, 100))  # Rp10.000.000.000: Rp1 over what Stripe can charge at once
    with pytest.raises(InvalidInput) as refused:
        service.place_order(buyer, address(), {})
    assert "Rp10.000.000.000" in refused.value.message and "Rp9.999.999.999" in refused.value.message
    db.session.rollback()
    assert _stock(gold) == 1000 and _orders_of(buyer) == 0 and _cart_lines(buyer) == 1


def test_the_largest_payable_total_is_placed(make_product, make_shop, buyer, place):
    shop = make_shop(shipping_fee_idr=99)
    product = make_product(shop=shop, price_idr=99_999_999, stock=1000)
    order = place(buyer, (product, 100))
    assert order.total_idr == STRIPE_MAX_CHARGE_IDR and order.state == "pending"
    assert db.session.get(Order, order.id, populate_existing=True).total_idr == 9_999_999_999


def test_checkout_page_says_why_a_huge_order_is_refused(client, auth, make_user, make_product):
    buyer = make_user()
    auth.login(buyer.email)
    product = make_product(price_idr=100_000_000, stock=1000)
    _add(client, product.id, "1000")
    response = _checkout(client)
    assert response.status_code == 422
    assert "melebihi batas satu pembayaran" in response.get_data(as_text=True)
    assert _stock(product) == 1000 and _orders_of(buyer) == 0


# --- a shop's own owner ---------------------------------------------------------------------------------------


def test_a_producer_cannot_order_from_their_own_shop(make_product, make_shop, make_user, fill_cart):
    owner = make_user("producer")
    own = make_product(shop=make_shop(owner=owner), title="Amplang Pedas", stock=10)
    other = make_product(stock=10)
    fill_cart(owner, (other, 1), (own, 1))
    with pytest.raises(NotAllowed) as refused:
        service.place_order(owner, address(), {})
    assert "Amplang Pedas" in refused.value.message and "toko Anda sendiri" in refused.value.message
    db.session.rollback()
    assert (_stock(own), _stock(other)) == (10, 10) and _orders_of(owner) == 0


def test_a_producer_still_buys_from_other_shops(make_product, make_shop, make_user, place):
    producer = make_user("producer")
    make_shop(owner=producer)
    order = place(producer, (make_product(stock=10), 1))
    assert order.state == "pending"


# --- unpaid orders hold stock -----------------------------------------------------------------------------------


def test_a_third_unpaid_order_is_refused(make_product, buyer, place, fill_cart):
    place(buyer, (make_product(stock=10), 1))
    place(buyer, (make_product(stock=10), 1))
    third = make_product(stock=10)
    fill_cart(buyer, (third, 1))
    with pytest.raises(InvalidState) as refused:
        service.place_order(buyer, address(), {})
    assert "2 pesanan yang belum dibayar" in refused.value.message
    db.session.rollback()
    assert _stock(third) == 10 and _orders_of(buyer) == 2


def test_cancelled_or_paid_orders_no_longer_count(make_product, make_order, buyer, place):
    make_order(buyer=buyer)  # paid
    first = place(buyer, (make_product(stock=10), 1))
    service.release_order(first, "cancelled", actor=buyer, actor_role="buyer")
    db.session.commit()
    place(buyer, (make_product(stock=10), 1))
    assert place(buyer, (make_product(stock=10), 1)).state == "pending"


def test_the_number_of_unpaid_orders_is_a_setting(app, make_product, buyer, place, fill_cart):
    app.config["MAX_UNPAID_ORDERS"] = 1
    place(buyer, (make_product(stock=10), 1))
    fill_cart(buyer, (make_product(stock=10), 1))
    with pytest.raises(InvalidState):
        service.place_order(buyer, address(), {})


@pytest.fixture
def half(app):
    """The default share: one unpaid order holds at most half a listing's stock (the suite sets 100)."""
    app.config["UNPAID_ORDER_MAX_STOCK_PERCENT"] = 50
    return app


def test_the_default_share_is_half():
    from marketplace import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x"})
    assert app.config["UNPAID_ORDER_MAX_STOCK_PERCENT"] == 50 and app.config["MAX_UNPAID_ORDERS"] == 2


def test_one_unpaid_order_cannot_hold_a_listings_whole_stock(half, make_product, buyer, fill_cart):
    honey = make_product(stock=10, title="Madu Kelulut")
    fill_cart(buyer, (honey, 6))
    with pytest.raises(InvalidInput) as refused:
        service.place_order(buyer, address(), {})
    assert "paling banyak memegang 5 dari stok Madu Kelulut" in refused.value.message
    db.session.rollback()
    assert _stock(honey) == 10 and _orders_of(buyer) == 0


def test_half_the_stock_and_the_last_piece_can_be_ordered(half, make_product, make_user, place):
    honey = make_product(stock=10)
    assert place(make_user(), (honey, 5)).state == "pending"
    last = make_product(stock=1)
    assert place(make_user(), (last, 1)).state == "pending"
    assert (_stock(honey), _stock(last)) == (5, 0)


def test_the_share_of_stock_is_a_setting(half, make_product, buyer, place):
    half.config["UNPAID_ORDER_MAX_STOCK_PERCENT"] = 80
    honey = make_product(stock=10)
    place(buyer, (honey, 8))
    assert _stock(honey) == 2


# --- rate limits ------------------------------------------------------------------------------------------------


@pytest.fixture
def limited(app):
    """Checkout limits small enough to reach, and counters that start from zero."""
    from marketplace.extensions import limiter

    app.config.update(CHECKOUT_LIMIT_ACCOUNT="2 per hour", CHECKOUT_LIMIT_ADDRESS="3 per hour",
                      MAX_UNPAID_ORDERS=10)
    limiter.reset()
    yield app
    limiter.reset()


def _placed(client, product):
    _add(client, product.id, "1")
    return _checkout(client)


def test_checkouts_per_account_are_limited_with_a_429_in_the_users_language(client, auth, make_user,
                                                                          make_product, limited):
    user = make_user()
    auth.login(user.email)
    assert _placed(client, make_product()).status_code == 302
    assert _placed(client, make_product()).status_code == 302
    product = make_product()
    refused = _placed(client, product)
    assert refused.status_code == 429 and "Terlalu banyak percobaan" in refused.get_data(as_text=True)
    client.get("/?lang=en")  # the language cookie, as a visitor who chose English has it
    english = _checkout(client)
    assert english.status_code == 429 and "Too many attempts" in english.get_data(as_text=True)
    assert _orders_of(user) == 2 and _stock(product) == 10


def test_refused_checkouts_do_not_count(client, auth, make_user, make_product, limited):
    user = make_user()
    auth.login(user.email)
    product = make_product()
    _add(client, product.id, "1")
    for _ in range(3):
        assert _checkout(client, phone="nope").status_code == 422
    assert _checkout(client).status_code == 302


def test_checkouts_per_address_are_limited_across_accounts(client, auth, make_user, make_product, limited):
    for _ in range(2):
        auth.login(make_user().email)
        assert _placed(client, make_product()).status_code == 302
        auth.logout()
    auth.login(make_user().email)
    assert _placed(client, make_product()).status_code == 302
    auth.logout()
    auth.login(make_user().email)
    assert _placed(client, make_product()).status_code == 429


@pytest.mark.parametrize("name, value", [
    ("CHECKOUT_LIMIT_ACCOUNT", "lots"), ("CHECKOUT_LIMIT_ADDRESS", "10 per fortnight"),
    ("MAX_UNPAID_ORDERS", "0"), ("UNPAID_ORDER_MAX_STOCK_PERCENT", "101"),
])
def test_unreadable_checkout_settings_stop_the_start(monkeypatch, name, value):
    from marketplace import create_app
    from marketplace.config import ConfigError

    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=name):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x"})
