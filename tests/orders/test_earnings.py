"""What orders write to the ledger: a paid order's shares, a cancellation's reversal and its refund, earnings
released after the hold; and `flask ledger check` finding an order the ledger does not know."""
from datetime import timedelta

import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.ledger import check
from marketplace.ledger import service as ledger_service
from marketplace.models_base import utcnow
from marketplace.orders import earnings, service
from marketplace.payments import service as payments


def test_a_paid_order_is_split_into_shop_shares(make_order, make_product):
    honey, sugar = make_product(price_idr=50_000), make_product(price_idr=20_000)
    order = make_order(lines=[(honey, 2), (sugar, 1)])
    assert ledger_service.balance("held:stripe") == order.total_idr
    for part in order.shop_orders:
        assert ledger_service.shop_balances(part.shop_id)["pending"] == part.payout_idr
    assert ledger_service.balance("income:commission") == sum(part.platform_fee_idr for part in order.shop_orders)


def test_a_cancelled_part_is_owed_back_then_refunded(make_order, make_product):
    order = make_order(lines=[(make_product(price_idr=50_000), 2), (make_product(price_idr=20_000), 1)])
    part, other = order.shop_orders
    service.cancel_shop_order(part, part.shop.owner, "producer", "Kemasan rusak")
    assert ledger_service.balance("refunds_owed") == part.total_idr
    assert ledger_service.shop_balances(part.shop_id)["pending"] == 0
    refund = payments.shop_refund_due(part)
    db.session.commit()
    assert payments.make_shop_refund(*refund) and payments.make_shop_refund(*refund)   # a retry: once
    assert ledger_service.balance("refunds_owed") == 0
    assert ledger_service.balance("held:stripe") == other.total_idr
    assert ledger_service.balance("income:commission") == other.platform_fee_idr


def test_completed_parts_are_released_after_the_hold(make_order, runner, app):
    order = make_order(fulfilment="pickup")
    part = order.shop_orders[0]
    service.accept_shop_order(part, part.shop.owner)
    service.mark_ready_for_pickup(part, part.shop.owner)
    service.hand_over(part, part.shop.owner)
    db.session.commit()
    assert earnings.release_due() == 0                          # within the hold period
    part.completed_at = utcnow() - timedelta(days=app.config["PAYOUT_HOLD_DAYS"], minutes=1)
    db.session.commit()
    first = runner.invoke(args=["orders", "release-earnings"])
    again = runner.invoke(args=["orders", "release-earnings"])
    assert "1 shop order(s) released" in first.output and "0 shop order(s) released" in again.output
    assert ledger_service.shop_balances(part.shop_id) == {"pending": 0, "available": part.payout_idr,
                                                          "commission_owed": 0}


def test_check_finds_an_order_the_ledger_never_heard_of(make_order, runner):
    order = make_order(paid=False)
    db.session.execute(sa.update(type(order)).where(type(order).id == order.id).values(paid_at=utcnow()))
    assert check.problems() == [f"order {order.code}: paid, but no payment entry"]
    result = runner.invoke(args=["ledger", "check"])
    assert result.exit_code == 1 and order.code in result.output
    db.session.rollback()


def test_check_finds_a_refund_the_ledger_never_heard_of(make_order):
    order = make_order()
    part = order.shop_orders[0]
    service.cancel_shop_order(part, part.shop.owner, "producer", "Kemasan rusak")
    db.session.execute(sa.update(type(part)).where(type(part).id == part.id).values(stripe_refund_id="re_by_hand"))
    assert check.problems() == [f"shop order {part.id}: refunded, but the refund is not in the ledger"]
    db.session.rollback()
