"""The one settle service, for any method: the amount asked, each attempt settling once, no order paid twice, and
money for a replaced attempt or for goods sold meanwhile owed back and flagged."""
import ast
import os
from datetime import timedelta

import pytest
from sqlalchemy import select

from marketplace import HERE
from marketplace.catalogue.models import Product
from marketplace.errors import InvalidState
from marketplace.extensions import db
from marketplace.models_base import utcnow
from marketplace.orders import service as orders
from marketplace.payments import settle
from marketplace.payments.models import Payment


@pytest.fixture
def order(place, make_user, make_product):
    """A pending order of two pieces out of three in stock."""
    return place(make_user(), (make_product(stock=3, price_idr=50000), 2))


def _attempt(order, method="bank_transfer", code=0):
    payment = settle.start_attempt(order, method, utcnow() + timedelta(hours=24), unique_code_idr=code)
    db.session.commit()
    return payment


def _stock(order):
    return db.session.get(Product, order.shop_orders[0].items[0].product_id, populate_existing=True).stock


def test_the_exact_amount_settles_once(order):
    payment = _attempt(order, code=237)
    assert payment.amount_idr == order.total_idr + 237
    assert settle.settle(payment, order.total_idr + 237, "BCA 0601") == "paid"
    assert settle.settle(payment, order.total_idr + 237, "BCA 0601") == "already_handled"
    db.session.refresh(order)
    assert (order.state, payment.state, payment.received_idr) == ("paid", "paid", order.total_idr + 237)
    assert {part.state for part in order.shop_orders} == {"paid"} and _stock(order) == 1


@pytest.mark.parametrize("received", [0, 1, -1, "total", "total+1", None])
def test_any_other_amount_releases_flags_and_is_owed_back(order, received):
    payment = _attempt(order, code=5)
    amount = {"total": order.total_idr, "total+1": order.total_idr + 6}.get(received, received)
    assert settle.settle(payment, amount) == "mismatch"
    db.session.refresh(order)
    assert order.state == "cancelled" and order.flagged_for_admin and "tidak cocok" in order.flag_reason
    assert payment.state == "refund_owed" and _stock(order) == 3


def test_an_order_is_never_paid_twice(order):
    first = _attempt(order, "stripe")
    settle.close_attempt(first)
    second = _attempt(order)
    assert settle.settle(second, second.amount_idr) == "paid"
    assert settle.settle(first, first.amount_idr) == "superseded"
    db.session.refresh(order)
    assert (first.state, second.state, order.state) == ("refund_owed", "paid", "paid")
    assert order.flagged_for_admin and _stock(order) == 1


def test_paying_the_replaced_attempt_is_owed_back_and_leaves_the_new_one_open(order):
    old = _attempt(order, "stripe")
    settle.close_attempt(old)
    new = _attempt(order)
    assert settle.settle(old, old.amount_idr) == "superseded"
    db.session.refresh(order)
    assert (old.state, new.state, order.state) == ("refund_owed", "pending", "pending")
    assert order.flagged_for_admin


def test_one_open_attempt_per_order(order):
    _attempt(order, "stripe")
    with pytest.raises(InvalidState):
        _attempt(order, "bank_transfer")
    assert len(db.session.scalars(select(Payment).where(Payment.order_id == order.id)).all()) == 1


def test_releasing_the_order_closes_its_open_attempt(order):
    payment = _attempt(order)
    orders.release_order(order, "expired")
    db.session.refresh(payment)
    assert payment.state == "expired" and payment.closed_at is not None


def test_late_money_settles_when_the_goods_are_still_there(order):
    payment = _attempt(order)
    orders.release_order(order, "expired")
    assert settle.settle(payment, payment.amount_idr) == "paid"
    assert db.session.get(type(order), order.id, populate_existing=True).state == "paid" and _stock(order) == 1


def test_late_money_after_the_goods_sold_is_owed_back(order, place, make_user):
    payment = _attempt(order)
    orders.release_order(order, "expired")
    product = db.session.get(Product, order.shop_orders[0].items[0].product_id)
    place(make_user(), (product, 3))
    assert settle.settle(payment, payment.amount_idr) == "refunded_late"
    db.session.refresh(order)
    assert (order.state, payment.state, order.flagged_for_admin) == ("expired", "refund_owed", True)
    assert _stock(order) == 0


def test_orders_never_import_payments():
    folder = os.path.join(HERE, "orders")
    for name in sorted(os.listdir(folder)):
        if name.endswith(".py"):
            with open(os.path.join(folder, name), encoding="utf-8") as source:
                tree = ast.parse(source.read())
            for node in ast.walk(tree):
                if isinstance(node, ast.ImportFrom):
                    assert "payments" not in (node.module or ""), f"orders/{name} imports {node.module}"
