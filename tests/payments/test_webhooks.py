"""POST /webhooks/stripe: signatures, duplicates, every order of events, mismatches, someone else's order."""
import itertools
import time

import pytest
from sqlalchemy import select

from marketplace.catalogue.models import Product
from marketplace.extensions import db
from marketplace.orders import queries, service
from marketplace.orders.models import Order
from marketplace.payments.models import PaymentEvent
from marketplace.payments.standin import StandinCheckoutSession
from marketplace.payments.settle import latest_attempt
from tests.orders.helpers import event, post_event, signed
from tests.payments.conftest import checkout_maker, count, events_recorded, fresh, refunds_of
from tests.worlds import module_world


def _paid(session, payment_intent="pi_test_1", **changes):
    return {**session, "status": "complete", "payment_status": "paid", "payment_intent": payment_intent, **changes}


def _stock(product):
    return db.session.get(Product, product.id, populate_existing=True).stock


def _standin_paid(order, payment_intent):
    """What Stripe knows after the buyer paid: the stand-in's session is complete and paid."""
    row = db.session.get(StandinCheckoutSession, latest_attempt(order).stripe_session_id)
    row.status, row.payment_status, row.payment_intent = "complete", "paid", payment_intent
    db.session.commit()


def build_world(make):
    """A buyer's order of 2 jars of a listing with 5 in stock, placed, its Checkout Session opened at the stand-in."""
    order, session = checkout_maker(make.app, make.user, make.product)()
    return {"order": order, "session": session}


# Built once for the module: most tests deliver events for this one order, each rolled back to it as placed.
world_built, app, world = module_world(build_world)


@pytest.fixture
def order_and_session(world):
    """The world's order and its Checkout Session as the stand-in 'Stripe' returns it."""
    return world["order"], world["session"]


# --- signatures ---------------------------------------------------------------------------------------------


def test_valid_signature_marks_the_order_paid(client, order_and_session):
    order, session = order_and_session
    response = post_event(client, event("checkout.session.completed", _paid(session)))
    assert response.status_code == 200 and response.json["outcome"] == "paid"
    assert fresh(order).state == "paid" and latest_attempt(order).stripe_payment_intent == "pi_test_1"
    assert {part.state for part in fresh(order).shop_orders} == {"paid"}


def test_signature_just_inside_tolerance_is_accepted(client, order_and_session):
    order, session = order_and_session
    response = post_event(client, event("checkout.session.completed", _paid(session)),
                          timestamp=int(time.time()) - 299)
    assert response.status_code == 200 and fresh(order).state == "paid"


def _refused(client, order, payload, headers):
    before = events_recorded()
    response = client.post("/webhooks/stripe", data=payload, headers=headers, content_type="application/json")
    assert response.status_code == 400
    assert events_recorded() == before and fresh(order).state == "pending"


def test_tampered_body_is_refused(client, order_and_session):
    order, session = order_and_session
    payload, header = signed(event("checkout.session.completed", _paid(session)))
    tampered = payload.replace(f'"amount_total": {session["amount_total"]}'.encode(), b'"amount_total": 100')
    assert tampered != payload
    _refused(client, order, tampered, {"Stripe-Signature": header})


def test_wrong_secret_is_refused(client, order_and_session):
    order, session = order_and_session
    payload, header = signed(event("checkout.session.completed", _paid(session)), secret="whsec_someone_else")
    _refused(client, order, payload, {"Stripe-Signature": header})


@pytest.mark.parametrize("header", [None, "", "t=,v1=", "garbage", "t=abc,v1=def", "v1=" + "0" * 64,
                                    "t=1,v0=" + "0" * 64])
def test_missing_or_malformed_signature_is_refused(client, order_and_session, header):
    order, session = order_and_session
    payload, _header = signed(event("checkout.session.completed", _paid(session)))
    _refused(client, order, payload, {"Stripe-Signature": header} if header is not None else {})


def test_signature_older_than_tolerance_is_refused(client, order_and_session):
    order, session = order_and_session
    payload, header = signed(event("checkout.session.completed", _paid(session)), timestamp=int(time.time()) - 301)
    _refused(client, order, payload, {"Stripe-Signature": header})


def test_body_over_one_mebibyte_is_refused_even_when_signed(client, order_and_session):
    order, session = order_and_session
    big = event("checkout.session.completed", _paid(session, metadata={**session["metadata"], "x": "y" * 1048576}))
    payload, header = signed(big)
    _refused(client, order, payload, {"Stripe-Signature": header})


@pytest.mark.parametrize("payload", [b"not json", b"\xff\xfe\x00garbage", b"[]", b'"event"', b"{}", b""])
def test_signed_garbage_is_refused(client, order_and_session, payload):
    from marketplace.payments import standin

    order, _session = order_and_session
    _refused(client, order, payload, {"Stripe-Signature": standin.sign(payload, "whsec_pasardesa_development")})


def test_webhook_needs_no_csrf_token_but_only_takes_post(client):
    assert client.get("/webhooks/stripe").status_code == 405
    assert client.post("/webhooks/stripe", data=b"{}").status_code == 400  # no signature, not a CSRF refusal


# --- duplicates ---------------------------------------------------------------------------------------------


def test_same_event_three_times_acts_once(client, order_and_session):
    order, session = order_and_session
    completed = event("checkout.session.completed", _paid(session))
    outcomes = [post_event(client, completed) for _ in range(3)]
    assert [r.status_code for r in outcomes] == [200, 200, 200]
    assert [r.json["outcome"] for r in outcomes] == ["paid", "duplicate", "duplicate"]
    assert count(PaymentEvent, PaymentEvent.stripe_event_id == completed["id"]) == 1
    assert fresh(order).state == "paid"


def test_unknown_event_types_are_acknowledged_and_ignored(client, order_and_session):
    order, session = order_and_session
    for kind in ("payment_intent.created", "charge.succeeded", "checkout.session.something_new"):
        response = post_event(client, event(kind, _paid(session)))
        assert response.status_code == 200 and response.json["outcome"] == "ignored"
    assert fresh(order).state == "pending"


# --- every order of the four session events -----------------------------------------------------------------

KINDS = {
    "completed_unpaid": ("checkout.session.completed", dict(status="complete", payment_status="unpaid")),
    "async_succeeded": ("checkout.session.async_payment_succeeded",
                        dict(status="complete", payment_status="paid", payment_intent="pi_async_1")),
    "async_failed": ("checkout.session.async_payment_failed", dict(status="complete", payment_status="unpaid")),
    "expired": ("checkout.session.expired", dict(status="expired", payment_status="unpaid")),
}


@pytest.mark.parametrize("resold", [False, True], ids=["stock-still-there", "stock-resold"])
@pytest.mark.parametrize("sequence", list(itertools.permutations(KINDS)), ids="-".join)
def test_every_order_of_events(client, order_and_session, make_user, place, sequence, resold):
    order, session = order_and_session
    product = order.shop_orders[0].items[0].product
    _standin_paid(order, "pi_async_1")
    paid_seen = released_first = False
    for name in sequence:
        kind, fields = KINDS[name]
        state_before = fresh(order).state
        response = post_event(client, event(kind, {**session, **fields}))
        assert response.status_code == 200
        state = fresh(order).state
        if state_before == "paid":
            assert state == "paid", f"{name} moved a paid order back to {state}"
        if name in ("async_failed", "expired") and not paid_seen:
            released_first = True
        if name == "async_succeeded":
            paid_seen = True
        if resold and state in ("cancelled", "expired") and _stock(product) >= 2:
            place(make_user(), (product, _stock(product)))  # someone else buys what came back
    final = fresh(order)
    late_refund = released_first and resold
    assert final.state == ("expired" if late_refund and sequence.index("expired") < sequence.index("async_failed")
                           else "cancelled" if late_refund else "paid")
    assert refunds_of("pi_async_1") == ((1, 1) if late_refund else (0, 0))
    assert final.flagged_for_admin is late_refund
    assert _stock(product) >= 0


# --- amounts, currencies and other people's orders -----------------------------------------------------------


@pytest.mark.parametrize("change", [lambda total: {"amount_total": 100},
                                    lambda total: {"amount_total": total - 1},
                                    lambda total: {"amount_total": total // 100},
                                    lambda total: {"amount_total": total * 100},
                                    lambda total: {"currency": "usd"}, lambda total: {"currency": "IDR"},
                                    lambda total: {"amount_total": None}, lambda total: {"amount_total": str(total)}],
                         ids=["tiny", "one-short", "rupiah-not-cents", "hundredfold", "usd", "uppercase", "none",
                              "string"])
def test_amount_or_currency_mismatch_flags_refunds_once_and_releases(client, order_and_session, change):
    order, session = order_and_session
    changes = change(session["amount_total"])
    assert session["amount_total"] == order.total_idr * 100
    _standin_paid(order, "pi_mismatch")
    product_stock = _stock(order.shop_orders[0].items[0].product)
    first = event("checkout.session.completed", _paid(session, "pi_mismatch", **changes))
    again = event("checkout.session.async_payment_succeeded", _paid(session, "pi_mismatch", **changes))
    for delivery in (first, first, again):
        assert post_event(client, delivery).status_code == 200
    final = fresh(order)
    assert final.state == "cancelled" and final.flagged_for_admin and "tidak cocok" in final.flag_reason
    assert refunds_of("pi_mismatch") == (1, 1)
    assert _stock(final.shop_orders[0].items[0].product) == product_stock + 2


def test_order_id_of_someone_elses_order_pays_nothing(client, checkout):
    mine, my_session = checkout()
    theirs, _their_session = checkout()
    _standin_paid(mine, "pi_crossed")
    crossed = _paid(my_session, "pi_crossed", metadata={"order_id": str(theirs.id), "order_code": theirs.code},
                    client_reference_id=str(theirs.id))
    response = post_event(client, event("checkout.session.completed", crossed))
    assert response.status_code == 200 and response.json["outcome"] == "unmatched"
    assert fresh(theirs).state == "pending" and not fresh(theirs).flagged_for_admin
    assert fresh(mine).state == "cancelled" and fresh(mine).flagged_for_admin
    assert refunds_of("pi_crossed") == (1, 1)


def test_session_that_is_not_ours_is_refunded_and_touches_nothing(client, checkout):
    order, session = checkout()
    _standin_paid(order, "pi_stranger")
    stranger = _paid(session, "pi_stranger", id="cs_test_not_ours")
    response = post_event(client, event("checkout.session.completed", stranger))
    assert response.json["outcome"] == "unmatched" and fresh(order).state == "pending"
    assert refunds_of("pi_stranger") == (1, 1)
    for kind in ("checkout.session.expired", "checkout.session.async_payment_failed"):
        assert post_event(client, event(kind, {**session, "id": "cs_test_not_ours"})).json["outcome"] == "unmatched"
    assert fresh(order).state == "pending"


def test_payment_after_release_and_resale_is_refunded_once(client, checkout, make_user, place):
    from marketplace.catalogue.models import Product as P

    order, session = checkout()
    product = db.session.get(P, order.shop_orders[0].items[0].product_id)
    post_event(client, event("checkout.session.expired", {**session, "status": "expired"}))
    place(make_user(), (product, 5))
    _standin_paid(order, "pi_late")
    for _ in range(2):
        post_event(client, event("checkout.session.completed", _paid(session, "pi_late")))
    assert fresh(order).state == "expired" and fresh(order).flagged_for_admin
    assert refunds_of("pi_late") == (1, 1) and _stock(product) == 0


def test_completed_but_unpaid_keeps_the_reservation(client, order_and_session):
    order, session = order_and_session
    post_event(client, event("checkout.session.completed", {**session, "status": "complete"}))
    assert fresh(order).state == "processing"
    assert order not in queries.overdue_orders()


# --- test-mode events in production --------------------------------------------------------------------------


def test_livemode_mismatch_in_production_is_ignored_and_logged(app, client, order_and_session, caplog):
    order, session = order_and_session
    app.config.update(PRODUCTION=True, STRIPE_SECRET_KEY="sk_live_example", STRIPE_WEBHOOK_SECRET="whsec_live")
    response = post_event(client, event("checkout.session.completed", _paid(session), livemode=False),
                          secret="whsec_live")
    assert response.status_code == 200 and response.json["outcome"] == "ignored_livemode"
    assert fresh(order).state == "pending" and events_recorded() == 0
    assert "livemode" in caplog.text


def test_production_without_a_webhook_secret_verifies_nothing(app, client, order_and_session):
    """No secret is ever a default: production without one refuses every delivery (and refuses to start)."""
    order, session = order_and_session
    app.config.update(PRODUCTION=True, STRIPE_SECRET_KEY="sk_live_example", STRIPE_WEBHOOK_SECRET="")
    response = post_event(client, event("checkout.session.completed", _paid(session), livemode=True))
    assert response.status_code == 500 and fresh(order).state == "pending"


def test_event_ids_are_recorded_with_their_outcome(client, order_and_session):
    order, session = order_and_session
    completed = event("checkout.session.completed", _paid(session))
    post_event(client, completed)
    recorded = db.session.scalar(select(PaymentEvent).where(PaymentEvent.stripe_event_id == completed["id"]))
    assert (recorded.type, recorded.order_id, recorded.outcome) == ("checkout.session.completed", order.id, "paid")
    assert db.session.scalar(select(Order.state).where(Order.id == order.id)) == "paid"
