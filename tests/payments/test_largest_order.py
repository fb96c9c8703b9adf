"""The largest order checkout allows, paid after its stock was released and sold again: the webhook records the
refund it owes (in Stripe's units, past 32 bits), flags the order, tells the admins, and Stripe makes the refund."""
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.notifications.models import Notification
from marketplace.orders.limits import STRIPE_MAX_CHARGE_IDR
from marketplace.payments.models import PaymentRefund
from marketplace.payments.settle import latest_attempt
from marketplace.payments.standin import StandinCheckoutSession, StandinRefund
from tests.orders.helpers import event, post_event
from tests.payments.conftest import fresh, start_checkout


def test_late_payment_of_the_largest_order_is_refunded_in_full(app, client, make_user, make_product, make_shop,
                                                             place):
    app.config["UNPAID_ORDER_MAX_STOCK_PERCENT"] = 100  # two buyers, each wanting the whole stock
    admin = make_user("admin")
    product = make_product(shop=make_shop(shipping_fee_idr=99), price_idr=99_999_999, stock=100)
    order = place(make_user(), (product, 100))
    assert order.total_idr == STRIPE_MAX_CHARGE_IDR
    session = start_checkout(app, order)
    assert session["amount_total"] == 999_999_999_900

    assert post_event(client, event("checkout.session.expired", {**session, "status": "expired"})).status_code == 200
    assert fresh(order).state == "expired"
    place(make_user(), (product, 100))  # sold again to someone else

    row = db.session.get(StandinCheckoutSession, latest_attempt(order).stripe_session_id)
    row.status, row.payment_status, row.payment_intent = "complete", "paid", "pi_largest"
    db.session.commit()
    paid = {**session, "status": "complete", "payment_status": "paid", "payment_intent": "pi_largest"}
    for _ in range(2):  # Stripe retries; every answer is 200 and nothing is done twice
        response = post_event(client, event("checkout.session.completed", paid))
        assert response.status_code == 200

    refund = db.session.scalar(select(PaymentRefund).where(PaymentRefund.payment_intent == "pi_largest"))
    assert refund.amount == 999_999_999_900 and refund.stripe_refund_id is not None
    made = db.session.scalars(select(StandinRefund).where(StandinRefund.payment_intent == "pi_largest")).all()
    assert [r.amount for r in made] == [999_999_999_900]
    assert fresh(order).state == "expired" and fresh(order).flagged_for_admin
    told = db.session.scalars(select(Notification).where(Notification.recipient_id == admin.id,
                                                         Notification.kind == "admin_flagged")).all()
    assert len(told) == 1 and order.code in told[0].subject
