"""The shop order's state machine: every allowed move, every forbidden one, the history, cancellation with its
refund and stock, and auto-completion."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from marketplace.catalogue.models import Product
from marketplace.errors import InvalidInput, InvalidState
from marketplace.extensions import db
from marketplace.models_base import utcnow
from marketplace.orders import service
from marketplace.orders.models import (ORDER_TRANSITIONS, SHOP_ORDER_STATES, SHOP_ORDER_TRANSITIONS, Order,
                                       OrderEvent, ShopOrder)
from marketplace.payments import service as payments
from marketplace.payments.standin import StandinRefund
from marketplace.payments.settle import latest_attempt
from tests.worlds import module_world


def build_world(make):
    """The paid part of an order delivered and of one picked up (2 jars of a listing of their own each)."""
    return {fulfilment: make.order(fulfilment=fulfilment).shop_orders[0] for fulfilment in ("delivery", "pickup")}


# Built once for the module: the many tests that move one part from state to state start from these, each test
# rolled back to them as placed.
world_built, app, world = module_world(build_world)


def _stock(product_id):
    return db.session.scalar(select(Product.stock).where(Product.id == product_id).execution_options(
        populate_existing=True))


def _reach(part, state):
    """Drive a paid part to `state` through the service, as its producer and buyer would."""
    producer, buyer = part.shop.owner, part.order.buyer
    if state == "paid":
        return part
    if state == "cancelled":
        return service.cancel_shop_order(part, producer, "producer", "Stok rusak kena hujan")
    service.accept_shop_order(part, producer)
    if state == "preparing":
        return part
    if part.fulfilment == "delivery":
        service.ship_shop_order(part, producer, "jne", "JP1234567890")
    else:
        service.mark_ready_for_pickup(part, producer)
    if state in ("shipped", "ready_for_pickup"):
        return part
    return service.confirm_receipt(part, buyer)


def _attempt(part, to_state):
    """Ask the service for one move, as the person who would ask for it."""
    producer, buyer = part.shop.owner, part.order.buyer
    moves = {
        "preparing": lambda: service.accept_shop_order(part, producer),
        "shipped": lambda: service.ship_shop_order(part, producer, "sicepat", "SC000111222"),
        "ready_for_pickup": lambda: service.mark_ready_for_pickup(part, producer),
        "completed": lambda: service.confirm_receipt(part, buyer),
        "cancelled": lambda: service.cancel_shop_order(part, producer, "producer", "Tidak bisa dikirim"),
    }
    return moves[to_state]()


STARTS = ("paid", "preparing", "shipped", "ready_for_pickup", "completed", "cancelled")
TARGETS = ("preparing", "shipped", "ready_for_pickup", "completed", "cancelled")


def _cases():
    for fulfilment in ("delivery", "pickup"):
        for start in STARTS:
            if (start, fulfilment) in (("shipped", "pickup"), ("ready_for_pickup", "delivery")):
                continue
            for target in TARGETS:
                allowed = target in SHOP_ORDER_TRANSITIONS[start] and not (
                    (target == "shipped" and fulfilment == "pickup")
                    or (target == "ready_for_pickup" and fulfilment == "delivery"))
                yield pytest.param(fulfilment, start, target, allowed, id=f"{fulfilment}-{start}-{target}")


@pytest.mark.parametrize("fulfilment,start,target,allowed", list(_cases()))
def test_every_move_from_every_state(world, fulfilment, start, target, allowed):
    part = _reach(world[fulfilment], start)
    db.session.commit()
    events_before = len(part.order.events)
    if allowed:
        _attempt(part, target)
        db.session.commit()
        assert db.session.get(ShopOrder, part.id, populate_existing=True).state == target
        last = db.session.scalars(select(OrderEvent).where(OrderEvent.shop_order_id == part.id)
                                  .order_by(OrderEvent.id.desc())).first()
        assert (last.from_state, last.to_state) == (start, target)
    else:
        with pytest.raises(InvalidState) as refused:
            _attempt(part, target)
        assert refused.value.message  # a sentence for the person who pressed the button
        db.session.rollback()
        assert db.session.get(ShopOrder, part.id, populate_existing=True).state == start
        assert db.session.scalar(select(func.count()).select_from(OrderEvent)
                                 .where(OrderEvent.order_id == part.order_id)) == events_before


def test_an_unpaid_order_cannot_be_shipped_or_accepted(make_order):
    part = make_order(paid=False).shop_orders[0]
    for target in ("preparing", "shipped"):
        with pytest.raises(InvalidState, match="belum dibayar"):
            _attempt(part, target)
    assert part.state == "awaiting_payment"


def test_the_messages_say_what_is_wrong(world):
    delivery = world["delivery"]
    with pytest.raises(InvalidState, match="Terima pesanan ini dulu"):
        _attempt(delivery, "shipped")
    _reach(delivery, "shipped")
    with pytest.raises(InvalidState, match="sudah dikirim tidak dapat dibatalkan"):
        _attempt(delivery, "cancelled")
    pickup = _reach(world["pickup"], "preparing")
    with pytest.raises(InvalidState, match="diambil sendiri"):
        _attempt(pickup, "shipped")


def test_the_map_knows_every_state():
    assert set(SHOP_ORDER_TRANSITIONS) == set(SHOP_ORDER_STATES)
    assert all(set(targets) <= set(SHOP_ORDER_STATES) for targets in SHOP_ORDER_TRANSITIONS.values())
    order = Order(state="paid")
    assert not any(order.can_transition(state) for state in ORDER_TRANSITIONS)
    assert Order(state="pending").can_transition("paid") and not Order(state="paid").can_transition("cancelled")


def test_history_names_who_and_when(make_order):
    order = make_order()
    part = _reach(order.shop_orders[0], "completed")
    db.session.commit()
    rows = [(event.from_state, event.to_state, event.actor_role, event.actor_id) for event in order.events]
    producer, buyer = part.shop.owner.id, order.buyer_id
    assert rows == [("", "pending", "buyer", buyer), ("pending", "paid", "payment", None),
                    ("paid", "preparing", "producer", producer), ("preparing", "shipped", "producer", producer),
                    ("shipped", "completed", "buyer", buyer)]
    assert all(event.created_at.tzinfo is not None for event in order.events)
    assert part.accepted_at <= part.shipped_at <= part.completed_at


def test_history_cannot_be_rewritten(make_order):
    event = make_order().events[0]
    event.note = "dipalsukan"
    with pytest.raises(InvalidState):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.get(OrderEvent, event.id))
    with pytest.raises(InvalidState):
        db.session.flush()


@pytest.mark.parametrize("courier,resi,field", [
    ("dhl", "JP1234567890", "courier"), ("", "JP1234567890", "courier"), (None, "JP1", "courier"),
    ("jne", "", "tracking_number"), ("jne", "ab", "tracking_number"), ("jne", "x" * 41, "tracking_number"),
    ("jne", "<script>alert(1)</script>", "tracking_number"), ("jne", "JP12\r\nBcc: x@example.com", "tracking_number"),
    ("jne", "ＪＰ１２３４", "tracking_number"), ("jne", "-" * 10, "tracking_number"),
])
def test_shipping_needs_a_known_courier_and_a_plain_tracking_number(world, courier, resi, field):
    part = _reach(world["delivery"], "preparing")
    db.session.commit()
    with pytest.raises(InvalidInput) as refused:
        service.ship_shop_order(part, part.shop.owner, courier, resi)
    assert refused.value.field == field
    db.session.rollback()
    assert db.session.get(ShopOrder, part.id, populate_existing=True).state == "preparing"


def test_tracking_numbers_are_tidied(world):
    part = _reach(world["delivery"], "preparing")
    service.ship_shop_order(part, part.shop.owner, " J&T ".replace("&", "n").replace(" ", "").upper(),
                            "  jp 1234-5678  ")
    assert (part.courier, part.tracking_number) == ("jnt", "JP 1234-5678")


@pytest.mark.parametrize("reason", ["", "  ", "ab", "x" * 501, None])
def test_cancelling_needs_a_reason(world, reason):
    part = world["delivery"]
    with pytest.raises(InvalidInput):
        service.cancel_shop_order(part, part.shop.owner, "producer", reason)
    assert part.state == "paid"


@pytest.mark.parametrize("start", ["paid", "preparing", "ready_for_pickup"])
def test_cancelling_gives_the_stock_back_and_owes_that_shops_part(make_order, make_product, start):
    honey, sugar = make_product(stock=10, price_idr=50000), make_product(stock=7, price_idr=20000)
    fulfilment = "pickup" if start == "ready_for_pickup" else "delivery"
    order = make_order(lines=[(honey, 3), (sugar, 2)], fulfilment=fulfilment)
    honey_part = next(part for part in order.shop_orders if part.shop_id == honey.shop_id)
    other_part = next(part for part in order.shop_orders if part.shop_id == sugar.shop_id)
    assert (_stock(honey.id), _stock(sugar.id)) == (7, 5)
    _reach(honey_part, start)
    service.cancel_shop_order(honey_part, honey_part.shop.owner, "producer", "Madu habis dipanen")
    refund = payments.shop_refund_due(honey_part)
    db.session.commit()
    assert (_stock(honey.id), _stock(sugar.id)) == (10, 5)  # the other shop's goods stay sold
    assert honey_part.refund_amount_idr == honey_part.items_total_idr + honey_part.shipping_fee_idr
    assert refund == (honey_part.id, latest_attempt(order).stripe_payment_intent, honey_part.refund_amount_idr)
    assert other_part.state == "paid" and other_part.refund_amount_idr == 0


def test_a_refund_retried_three_times_is_made_once(make_order, make_product):
    order = make_order(lines=[(make_product(price_idr=50000), 2), (make_product(price_idr=20000), 1)])
    part = order.shop_orders[0]
    service.cancel_shop_order(part, part.shop.owner, "producer", "Kemasan rusak")
    refund = payments.shop_refund_due(part)
    db.session.commit()
    for _attempt_number in range(3):
        assert payments.make_shop_refund(*refund) is True
        db.session.commit()
    made = db.session.scalars(select(StandinRefund).where(
        StandinRefund.payment_intent == latest_attempt(order).stripe_payment_intent)).all()
    assert len(made) == 1
    assert made[0].amount == part.refund_amount_idr * 100  # Stripe counts IDR in hundredths
    assert db.session.get(ShopOrder, part.id, populate_existing=True).stripe_refund_id == made[0].id
    assert payments.shop_refund_due(part) is None and payments.due_shop_refunds() == []


def test_two_shops_cancelling_get_two_partial_refunds_that_add_up(make_order, make_product):
    order = make_order(lines=[(make_product(price_idr=50000), 2), (make_product(price_idr=20000), 1)])
    for part in order.shop_orders:
        service.cancel_shop_order(part, part.shop.owner, "producer", "Tidak bisa dikirim")
    due = [payments.shop_refund_due(part) for part in order.shop_orders]
    db.session.commit()
    for refund in due:
        assert payments.make_shop_refund(*refund)
        db.session.commit()
    amounts = db.session.scalars(select(StandinRefund.amount).where(
        StandinRefund.payment_intent == latest_attempt(order).stripe_payment_intent)).all()
    assert sorted(amounts) == sorted(part.total_idr * 100 for part in order.shop_orders)
    assert sum(amounts) == order.total_idr * 100


def test_a_failed_refund_is_kept_and_retried_by_cron(make_order, runner, app):
    part = make_order().shop_orders[0]
    service.cancel_shop_order(part, part.shop.owner, "producer", "Stok habis")
    part_id, intent, amount = payments.shop_refund_due(part)
    db.session.commit()
    assert payments.make_shop_refund(part_id, "pi_does_not_exist", amount) is False  # Stripe refuses
    db.session.commit()
    part = db.session.get(ShopOrder, part_id, populate_existing=True)
    assert part.refund_due and "pi_does_not_exist" in part.refund_error
    assert payments.due_shop_refunds() == [(part_id, intent, amount)]
    result = runner.invoke(args=["orders", "expire"])
    assert result.exit_code == 0, result.output
    assert "1 refunds made" in result.output
    db.session.rollback()
    assert not db.session.get(ShopOrder, part_id, populate_existing=True).refund_due


def test_an_unpaid_part_is_not_cancelled_by_its_shop(make_order):
    """Its stock goes back when the whole unpaid order is released; a shop cancelling it too would give it twice."""
    part = make_order(paid=False).shop_orders[0]
    with pytest.raises(InvalidState, match="belum dibayar"):
        service.cancel_shop_order(part, part.shop.owner, "producer", "Tidak jadi")
    assert part.state == "awaiting_payment" and part.refund_amount_idr == 0


def test_handing_over_is_for_pickup_orders_only(make_order):
    delivery = _reach(make_order().shop_orders[0], "shipped")
    with pytest.raises(InvalidState):
        service.hand_over(delivery, delivery.shop.owner)
    pickup = _reach(make_order(fulfilment="pickup").shop_orders[0], "ready_for_pickup")
    service.hand_over(pickup, pickup.shop.owner)
    assert pickup.state == "completed" and pickup.order.events[-1].actor_role == "producer"


def test_auto_complete_waits_seven_days_and_is_safe_to_repeat(make_order, runner):
    early, late = (_reach(make_order().shop_orders[0], "shipped") for _ in range(2))
    late.shipped_at = utcnow() - timedelta(days=7, minutes=1)
    early.shipped_at = utcnow() - timedelta(days=6, hours=23)
    db.session.commit()
    first = runner.invoke(args=["orders", "auto-complete"])
    second = runner.invoke(args=["orders", "auto-complete"])
    assert (first.exit_code, second.exit_code) == (0, 0)
    assert "1 shipped order(s) completed" in first.output and "0 shipped order(s)" in second.output
    db.session.rollback()
    assert db.session.get(ShopOrder, late.id).state == "completed"
    assert db.session.get(ShopOrder, early.id).state == "shipped"
    assert db.session.get(ShopOrder, late.id).events[-1].actor_role == "system"


@pytest.mark.parametrize("days", ["0", "-1", "abc", "99999999999"])
def test_auto_complete_refuses_a_silly_number_of_days(runner, days):
    result = runner.invoke(args=["orders", "auto-complete", "--days", days])
    assert result.exit_code != 0 and "days" in result.output.lower()


def test_auto_complete_skips_an_order_the_buyer_confirms_meanwhile(make_order):
    part = _reach(make_order().shop_orders[0], "shipped")
    part.shipped_at = utcnow() - timedelta(days=8)
    db.session.commit()
    service.confirm_receipt(part, part.order.buyer)
    assert service.auto_complete() == 0
