"""The local Stripe stand-in: Stripe's request and response shapes through the real SDK, and its hosted page,
whose Pay button delivers a signed event to our webhook."""
import time

import pytest
import stripe
from sqlalchemy import select

from marketplace.catalogue.models import Product
from marketplace.extensions import db
from marketplace.payments import gateway, standin
from marketplace.payments.models import PaymentEvent
from marketplace.payments.standin import StandinCheckoutSession
from tests.conftest import csrf_token
from tests.payments.conftest import fresh


def _params(**changes):
    params = {"mode": "payment", "success_url": "https://x.example/ok", "cancel_url": "https://x.example/no",
              "expires_at": int(time.time()) + 31 * 60, "client_reference_id": "7", "metadata": {"order_id": "7"},
              "line_items": [{"quantity": 2, "price_data": {"currency": "idr", "unit_amount": 5000000,
                                                            "product_data": {"name": "Madu Kelulut"}}},
                             {"quantity": 1, "price_data": {"currency": "idr", "unit_amount": 1000000,
                                                            "product_data": {"name": "Ongkos kirim"}}}]}
    params.update(changes)
    return params


def test_create_retrieve_expire_like_stripe(app):
    with app.test_request_context():
        created = gateway.create_checkout_session(_params(), "key-1")
    assert created.object == "checkout.session" and created.id.startswith("cs_test_")
    assert (created.amount_total, created.currency, created.status, created.payment_status) == (
        11000000, "idr", "open", "unpaid")
    assert created.metadata.order_id == "7" and created.client_reference_id == "7"
    assert created.url.startswith("http://localhost/stripe-standin/pay/")
    assert gateway.retrieve_checkout_session(created.id).status == "open"
    expired = gateway.expire_checkout_session(created.id)
    assert expired.status == "expired" and expired.url is None
    with pytest.raises(stripe.InvalidRequestError):
        gateway.expire_checkout_session(created.id)


def _line(quantity=1, amount=1, currency="idr"):
    return {"quantity": quantity, "price_data": {"currency": currency, "unit_amount": amount,
                                                 "product_data": {"name": "x"}}}


@pytest.mark.parametrize("changes", [
    {"mode": "subscription"}, {"line_items": []}, {"success_url": "javascript:alert(1)"},
    {"expires_at": int(time.time()) + 29 * 60}, {"expires_at": int(time.time()) + 25 * 3600},
    {"line_items": [_line(quantity=0)]}, {"line_items": [_line(amount=-5)]},
    {"line_items": [_line(), _line(currency="usd")]}, {"line_items": [{"quantity": 1}]},
])
def test_invalid_session_requests_are_refused_like_stripe(app, changes):
    with app.test_request_context(), pytest.raises(stripe.InvalidRequestError):
        gateway.create_checkout_session(_params(**changes), None)
    assert db.session.scalar(select(StandinCheckoutSession)) is None


def test_unknown_session_and_unknown_path_and_bad_key(app):
    with pytest.raises(stripe.InvalidRequestError) as missing:
        gateway.retrieve_checkout_session("cs_test_missing")
    assert missing.value.code == "resource_missing"
    ours, theirs = {"Authorization": f"Bearer {standin.API_KEY}"}, {"Authorization": "Bearer sk_live_x"}
    assert standin.handle_api_request("GET", "/v1/customers", {}, ours)[0] == 404
    assert standin.handle_api_request("GET", "/v1/checkout/sessions/x", {}, theirs)[0] == 401


def test_refund_once_per_payment(app, checkout, client):
    order, session = checkout()
    row = db.session.get(StandinCheckoutSession, session["id"])
    row.status, row.payment_status, row.payment_intent = "complete", "paid", "pi_refund_me"
    db.session.commit()
    refund = gateway.refund_payment("pi_refund_me", "refund-key")
    assert (refund.object, refund.status, refund.amount, refund.currency) == (
        "refund", "succeeded", session["amount_total"], "idr")
    assert gateway.refund_payment("pi_refund_me", "refund-key").id == refund.id  # same key: same refund
    with pytest.raises(stripe.InvalidRequestError) as again:
        gateway.refund_payment("pi_refund_me", "another-key")
    assert again.value.code == "charge_already_refunded"
    with pytest.raises(stripe.InvalidRequestError):
        gateway.refund_payment("pi_never_paid", "k")


@pytest.mark.parametrize("body", [
    "mode=payment&line_items[0][quantity]=2&line_items[0][price_data][currency]=idr"
    "&line_items[0][price_data][product_data][name]=Madu+Kelulut&line_items[1][quantity]=1&metadata[order_id]=7",
    "mode=payment&line_items%5B0%5D%5Bquantity%5D=2&line_items%5B0%5D%5Bprice_data%5D%5Bcurrency%5D=idr"
    "&line_items%5B0%5D%5Bprice_data%5D%5Bproduct_data%5D%5Bname%5D=Madu%20Kelulut&line_items%5B1%5D%5Bquantity%5D=1"
    "&metadata%5Border_id%5D=7",
])
def test_form_decoding_of_stripes_encoding(body):
    decoded = standin.decode_form(body)
    assert decoded == {"mode": "payment", "metadata": {"order_id": "7"},
                       "line_items": [{"quantity": "2", "price_data": {"currency": "idr",
                                                                       "product_data": {"name": "Madu Kelulut"}}},
                                      {"quantity": "1"}]}


def test_signature_is_what_stripe_verifies():
    payload = b'{"id": "evt_1", "object": "event"}'
    header = standin.sign(payload, "whsec_x", 1700000000)
    assert header.startswith("t=1700000000,v1=")
    assert stripe.WebhookSignature.verify_header(payload.decode(), header, "whsec_x", tolerance=None)


# --- the hosted page -----------------------------------------------------------------------------------------


def _press(client, session, action):
    token = csrf_token(client, "/login")
    return client.post(f"/stripe-standin/pay/{session['id']}", data={"action": action, "csrf_token": token})


def test_page_shows_the_lines_and_total(client, checkout):
    order, session = checkout()
    page = client.get(f"/stripe-standin/pay/{session['id']}").get_data(as_text=True)
    assert "Rp110.000" in page and "Bayar" in page and "Gagal" in page and "Batal" in page


def test_pay_delivers_a_signed_event_and_the_order_becomes_paid(client, checkout):
    order, session = checkout()
    response = _press(client, session, "pay")
    assert response.status_code == 302 and response.headers["Location"].endswith("checkout=success")
    assert fresh(order).state == "paid"
    recorded = db.session.scalar(select(PaymentEvent).where(PaymentEvent.order_id == order.id))
    assert recorded.type == "checkout.session.completed" and recorded.outcome == "paid"
    assert _press(client, session, "pay").status_code == 409  # a second click pays nothing more
    assert fresh(order).state == "paid"


def test_fail_delivers_unpaid_then_failed_and_the_stock_comes_back(client, checkout, make_product):
    product = make_product(stock=5)
    order, session = checkout(lines=[(product, 3)])
    response = _press(client, session, "fail")
    assert response.status_code == 302
    assert fresh(order).state == "cancelled"
    assert db.session.get(Product, product.id, populate_existing=True).stock == 5
    types = db.session.scalars(select(PaymentEvent.type).where(PaymentEvent.order_id == order.id)
                               .order_by(PaymentEvent.id)).all()
    assert types == ["checkout.session.completed", "checkout.session.async_payment_failed"]


def test_cancel_returns_to_the_shop_and_leaves_the_order_waiting(client, checkout):
    order, session = checkout()
    response = _press(client, session, "cancel")
    assert response.status_code == 302 and response.headers["Location"].endswith("checkout=cancel")
    assert fresh(order).state == "pending"


def test_pay_after_the_session_ran_out_expires_it(client, checkout, make_product):
    product = make_product(stock=5)
    order, session = checkout(lines=[(product, 2)])
    row = db.session.get(StandinCheckoutSession, session["id"])
    row.expires_at = int(time.time()) - 1
    db.session.commit()
    assert _press(client, session, "pay").status_code == 409
    assert fresh(order).state == "expired"
    assert db.session.get(Product, product.id, populate_existing=True).stock == 5


def test_page_actions_need_csrf_and_a_known_action(client, checkout):
    order, session = checkout()
    assert client.post(f"/stripe-standin/pay/{session['id']}", data={"action": "pay"}).status_code == 400
    assert _press(client, session, "refund-everything").status_code == 400
    assert client.get("/stripe-standin/pay/cs_test_unknown").status_code == 404
    assert client.get("/stripe-standin/pay/" + "x" * 5000).status_code == 404
    assert fresh(order).state == "pending"


@pytest.mark.parametrize("settings", [{"STRIPE_SECRET_KEY": "sk_test_real"}, {"PRODUCTION": True}])
def test_the_standin_does_not_exist_with_a_key_or_in_production(app, client, checkout, settings):
    order, session = checkout()
    app.config.update(settings)
    assert client.get(f"/stripe-standin/pay/{session['id']}").status_code == 404
    assert client.post(f"/stripe-standin/pay/{session['id']}", data={"action": "pay"}).status_code in (400, 404)
    assert fresh(order).state == "pending"
