"""The one rupiah -> Stripe conversion, the Checkout Session we ask for, and which Stripe the app talks to."""
import time
from datetime import timedelta

import pytest
import stripe

from marketplace.extensions import db
from marketplace.models_base import utcnow
from marketplace.payments import gateway, service, standin
from marketplace.payments.settle import latest_attempt
from tests.payments.conftest import fresh


@pytest.mark.parametrize("rupiah, amount", [(0, 0), (1, 100), (15000, 1500000), (125000, 12500000),
                                            (100_000_000, 10_000_000_000)])
def test_rupiah_become_stripe_units_times_one_hundred(rupiah, amount):
    assert gateway.stripe_amount(rupiah) == amount


@pytest.mark.parametrize("bad", [-1, 1.5, "15000", None, True])
def test_only_whole_rupiah_are_converted(bad):
    with pytest.raises(ValueError):
        gateway.stripe_amount(bad)


def test_checkout_session_request(app, checkout, make_product, make_shop):
    shop_a, shop_b = make_shop(shipping_fee_idr=12000), make_shop(shipping_fee_idr=9000, pickup_allowed=True)
    honey, amplang = make_product(shop=shop_a, price_idr=125000), make_product(shop=shop_b, price_idr=25000)
    order, session = checkout(lines=[(honey, 2), (amplang, 3)])
    with app.test_request_context():
        request = service.checkout_request(fresh(order), "https://x.example/ok", "https://x.example/no")
    params = request.params
    assert params["mode"] == "payment"
    assert params["metadata"]["order_id"] == str(order.id) and params["client_reference_id"] == str(order.id)
    assert params["success_url"] == "https://x.example/ok" and params["cancel_url"] == "https://x.example/no"
    amounts = sorted((line["price_data"]["unit_amount"], line["quantity"]) for line in params["line_items"])
    assert amounts == sorted([(12500000, 2), (2500000, 3), (1200000, 1), (900000, 1)])
    assert {line["price_data"]["currency"] for line in params["line_items"]} == {"idr"}
    assert 30 * 60 <= params["expires_at"] - time.time() <= 31 * 60 + 5
    assert str(order.code) in request.idempotency_key and str(params["expires_at"]) in request.idempotency_key
    # What the stand-in (Stripe) computed from those lines equals the order, in Stripe's units.
    assert session["amount_total"] == gateway.stripe_amount(fresh(order).total_idr) == (
        2 * 12500000 + 3 * 2500000 + 1200000 + 900000)
    assert session["currency"] == "idr" and session["metadata"]["order_id"] == str(order.id)


def test_pickup_adds_no_shipping_line(app, make_user, make_product, make_shop, fill_cart):
    from marketplace.orders import service as orders
    from tests.orders.helpers import address

    shop = make_shop(pickup_allowed=True)
    buyer = make_user()
    fill_cart(buyer, (make_product(shop=shop, price_idr=30000), 1))
    order = orders.place_order(buyer, address(), {shop.id: "pickup"})
    with app.test_request_context():
        params = service.checkout_request(order, "https://x.example/ok", "https://x.example/no").params
    assert [line["price_data"]["unit_amount"] for line in params["line_items"]] == [3000000]


def test_session_creation_is_idempotent_and_remembered(app, checkout):
    order, _none = checkout(start=False)
    with app.test_request_context():
        assert service.payment_url(fresh(order)) is None
        request = service.checkout_request(fresh(order), "https://x.example/ok", "https://x.example/no")
        first = service.open_checkout(request)
        again = service.open_checkout(request)  # a retry after a lost response
        assert first.id == again.id
        assert service.remember_session(order.id, first) == first.url
        later = utcnow() + timedelta(seconds=5)  # the buyer pressed "pay" in a second tab
        other = service.open_checkout(service.checkout_request(fresh(order), "https://x.example/ok",
                                                               "https://x.example/no", now=later))
        assert other.id != first.id
        # A second session may not replace the one the buyer was sent to.
        assert service.remember_session(order.id, other) == first.url
        assert service.payment_url(fresh(order)) == first.url
    assert latest_attempt(order).stripe_session_id == first.id


def test_same_key_with_other_params_is_refused_like_stripe(app, checkout):
    order, _none = checkout(start=False)
    with app.test_request_context():
        request = service.checkout_request(fresh(order), "https://x.example/ok", "https://x.example/no")
        service.open_checkout(request)
        request.params["success_url"] = "https://x.example/changed"
        with pytest.raises(stripe.IdempotencyError):
            service.open_checkout(request)


def test_client_is_the_standin_without_a_key(app):
    client = gateway.client()
    assert isinstance(client._requestor._client, standin.StandInHTTPClient)


def test_client_is_stripe_with_a_key(app):
    app.config.update(STRIPE_SECRET_KEY="sk_test_real_looking", STRIPE_API_BASE="http://127.0.0.1:12111")
    client = gateway.client()
    assert not isinstance(client._requestor._client, standin.StandInHTTPClient)
    assert client._requestor._options.base_addresses["api"] == "http://127.0.0.1:12111"
    assert not standin.is_active(app)


def test_production_without_a_key_refuses_to_pay(app):
    app.config.update(PRODUCTION=True)
    assert not standin.is_active(app)
    with pytest.raises(gateway.PaymentsUnavailable):
        gateway.client()


def test_close_session_reports_what_stripe_says(app, checkout):
    order, session = checkout()
    assert service.close_session(session["id"]) == "closed"
    assert service.close_session(session["id"]) == "closed"  # already expired: still closed
    assert service.close_session(None) == "closed"
    paid_order, paid_session = checkout()
    row = db.session.get(standin.StandinCheckoutSession, paid_session["id"])
    row.status = "complete"
    assert service.close_session(paid_session["id"]) == "complete"
    with pytest.raises(stripe.InvalidRequestError):
        gateway.retrieve_checkout_session("cs_test_nonexistent")
