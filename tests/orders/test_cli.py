"""`flask orders expire`: unpaid orders past their window give their stock back, once, and only when Stripe
confirms the session can no longer be paid."""
from datetime import timedelta

import pytest

from marketplace.catalogue.models import Product
from marketplace.extensions import db
from marketplace.models_base import utcnow
from marketplace.orders.models import Order
from marketplace.payments import service as payments
from marketplace.payments.models import PaymentRefund
from marketplace.payments.standin import StandinCheckoutSession
from marketplace.payments.settle import latest_attempt
from tests.payments.conftest import start_checkout


def _overdue(order):
    order.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()


def _state(order):
    return db.session.get(Order, order.id, populate_existing=True).state


def _stock(product):
    return db.session.get(Product, product.id, populate_existing=True).stock


@pytest.fixture
def checkout_paid(app, make_user, make_product, place):
    """A paid order whose payment the stand-in knows: (order, payment intent)."""
    order = place(make_user(), (make_product(stock=3), 1))
    start_checkout(app, order)
    row = db.session.get(StandinCheckoutSession, latest_attempt(order).stripe_session_id)
    row.status, row.payment_status, row.payment_intent = "complete", "paid", "pi_cli_refund"
    db.session.commit()
    return order, "pi_cli_refund"


def test_expire_releases_overdue_orders_once(app, runner, make_user, make_product, place):
    product = make_product(stock=6)
    with_session = place(make_user(), (product, 2))
    start_checkout(app, with_session)
    without_session = place(make_user(), (product, 1))  # Stripe was unreachable when it was placed
    fresh = place(make_user(), (product, 1))
    _overdue(with_session)
    _overdue(without_session)

    result = runner.invoke(args=["orders", "expire"])
    assert result.exit_code == 0 and "2 released" in result.output
    assert (_state(with_session), _state(without_session), _state(fresh)) == ("expired", "expired", "pending")
    assert db.session.get(StandinCheckoutSession, latest_attempt(with_session).stripe_session_id).status == "expired"
    assert _stock(product) == 5

    again = runner.invoke(args=["orders", "expire"])
    assert again.exit_code == 0 and "0 overdue" in again.output and _stock(product) == 5


def test_expire_leaves_a_completed_session_to_its_webhook(app, runner, make_user, make_product, place):
    product = make_product(stock=3)
    order = place(make_user(), (product, 2))
    start_checkout(app, order)
    session_id = latest_attempt(order).stripe_session_id
    db.session.get(StandinCheckoutSession, session_id).status = "complete"  # paid, webhook late
    _overdue(order)
    result = runner.invoke(args=["orders", "expire"])
    assert "0 released, 1 left to their webhook" in result.output
    assert _state(order) == "pending" and _stock(product) == 1


def test_expire_retries_refunds_that_failed(app, runner, checkout_paid):
    order, payment_intent = checkout_paid
    db.session.add(PaymentRefund(payment_intent=payment_intent, order_id=order.id, reason="test"))
    db.session.commit()
    result = runner.invoke(args=["orders", "expire"])
    assert "1 refunds made" in result.output
    refund = db.session.query(PaymentRefund).filter_by(payment_intent=payment_intent).one()
    assert refund.stripe_refund_id.startswith("re_") and refund.refunded_at is not None
    assert "0 refunds made" in runner.invoke(args=["orders", "expire"]).output
    assert payments.due_refunds() == []


def test_processing_orders_wait_for_the_bank(app, runner, make_user, make_product, place):
    from marketplace.orders import service

    product = make_product(stock=3)
    order = place(make_user(), (product, 1))
    service.mark_processing(order)
    _overdue(order)
    assert "0 overdue" in runner.invoke(args=["orders", "expire"]).output
    assert _state(order) == "processing"

