"""Deliveries arriving at the same moment, each request with its own app context and database session, on a
committed database (SQLite, or PostgreSQL when TEST_DATABASE_URL is set)."""
import pytest
from sqlalchemy import func, select

from marketplace.accounts.models import User
from marketplace.catalogue.models import Product
from marketplace.extensions import db
from marketplace.orders import service
from marketplace.payments.cli import expire_command
from marketplace.orders.models import Order
from marketplace.payments import service as payments
from marketplace.payments.models import PaymentEvent, PaymentRefund
from marketplace.payments.standin import StandinCheckoutSession
from marketplace.payments.settle import latest_attempt
from tests.orders.helpers import address, event, in_parallel, signed

pytestmark = pytest.mark.slow


def _order_with_session(market, stock=5, quantity=2):
    """(order id, product id, session dict) of a pending order with a stand-in session, all committed."""
    buyer_id, product_id = market.make_user(), market.make_product(stock=stock)
    market.fill_cart(buyer_id, (product_id, quantity))

    def place_and_start():
        order = service.place_order(db.session.get(User, buyer_id), address(), {})
        db.session.commit()
        with market.app.test_request_context():
            request = payments.checkout_request(order, "https://pasardesa.example.com/ok",
                                                "https://pasardesa.example.com/cancel")
            db.session.commit()
            payments.remember_session(request.order_id, payments.open_checkout(request))
        return order.id

    order_id = market.run(place_and_start)
    session = market.run(lambda: db.session.get(
        StandinCheckoutSession, latest_attempt(db.session.get(Order, order_id)).stripe_session_id).as_stripe())
    return order_id, product_id, session


def _deliver(market, payload, header):
    def post():
        response = market.app.test_client().post("/webhooks/stripe", data=payload, content_type="application/json",
                                                 headers={"Stripe-Signature": header})
        return response.status_code, response.json.get("outcome")

    return post


def _paid(session, payment_intent):
    return {**session, "status": "complete", "payment_status": "paid", "payment_intent": payment_intent}


def test_ten_copies_of_one_event_at_once_act_once(market):
    order_id, product_id, session = _order_with_session(market)
    payload, header = signed(event("checkout.session.completed", _paid(session, "pi_ten")))
    results = in_parallel([_deliver(market, payload, header)] * 10)
    assert [status for status, _outcome in results] == [200] * 10
    assert sorted(outcome for _status, outcome in results) == ["duplicate"] * 9 + ["paid"]
    assert market.run(lambda: db.session.get(Order, order_id).state) == "paid"
    assert market.run(lambda: db.session.scalar(select(func.count()).select_from(PaymentEvent)
                                                .where(PaymentEvent.order_id == order_id))) == 1
    assert market.stock(product_id) == 3


def test_ten_different_expiry_events_at_once_release_once(market):
    order_id, product_id, session = _order_with_session(market)
    deliveries = [_deliver(market, *signed(event("checkout.session.expired", {**session, "status": "expired"})))
                  for _ in range(10)]
    results = in_parallel(deliveries)
    assert sorted(outcome for _status, outcome in results) == ["expired"] + ["unchanged"] * 9
    assert market.stock(product_id) == 5


def test_payment_racing_expiry_never_oversells(market):
    order_id, product_id, session = _order_with_session(market, stock=2, quantity=2)
    market.run(lambda: _mark_standin_paid(session["id"], "pi_race"))
    deliveries = []
    for _ in range(5):
        expired = {**session, "status": "expired"}
        deliveries.append(_deliver(market, *signed(event("checkout.session.expired", expired))))
        deliveries.append(_deliver(market, *signed(event("checkout.session.completed", _paid(session, "pi_race")))))
    results = in_parallel(deliveries)
    assert all(status == 200 for status, _outcome in results)
    state = market.run(lambda: db.session.get(Order, order_id).state)
    assert state == "paid"  # released or not, the goods were still there to take again
    assert market.stock(product_id) == 0
    refunds = market.run(lambda: db.session.scalar(select(func.count()).select_from(PaymentRefund)
                                                   .where(PaymentRefund.payment_intent == "pi_race")))
    assert refunds == 0


def _mark_standin_paid(session_id, payment_intent):
    row = db.session.get(StandinCheckoutSession, session_id)
    row.status, row.payment_status, row.payment_intent = "complete", "paid", payment_intent


def test_expire_command_and_webhook_together_release_once(market):
    from datetime import timedelta

    from marketplace.models_base import utcnow

    order_id, product_id, session = _order_with_session(market)
    market.run(lambda: setattr(db.session.get(Order, order_id), "expires_at", utcnow() - timedelta(minutes=1)))
    def cron():
        """One `flask orders expire` run (click's stream swapping is not thread-safe, so call it directly)."""
        with market.app.app_context():
            try:
                expire_command.callback.__wrapped__(limit=200)
                return 0
            finally:
                db.session.remove()

    cli = [cron] * 3
    hooks = [_deliver(market, *signed(event("checkout.session.expired", {**session, "status": "expired"})))
             for _ in range(3)]
    results = in_parallel(cli + hooks)
    assert results[:3] == [0, 0, 0]
    assert market.run(lambda: db.session.get(Order, order_id).state) == "expired"
    assert market.stock(product_id) == 5
    assert market.run(lambda: db.session.get(Product, product_id).stock) == 5
