"""Every payment event for every method, through the real services (Stripe's signed webhook, the bank statement
import, the admin's match, `flask orders expire`), against the invariants: stock never negative (the autouse
stock invariant), no order paid twice, every payment that cannot be kept owed back, the ledger clean (the
autouse ledger invariant and `ledger.check`). SQLite, or PostgreSQL with TEST_DATABASE_URL."""
import itertools
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.ledger.check import problems as ledger_problems
from marketplace.models_base import utcnow
from marketplace.errors import InvalidState
from marketplace.orders import service as orders
from marketplace.payments import cash, statement, switch, transfer
from marketplace.payments.models import Payment, PaymentRefund, StatementLine
from marketplace.payments.settle import latest_attempt
from marketplace.payments.standin import StandinCheckoutSession
from tests.orders.helpers import address, event, post_event
from tests.payments.conftest import fresh, start_checkout
from tests.payments.transfer_helpers import methods_on

METHODS = ["stripe", "bank_transfer", "qris"]
EVENTS = ["paid", "paid_twice", "paid_late", "wrong_amount", "expired", "switched_then_old_paid"]
OTHER = {"stripe": "bank_transfer", "bank_transfer": "qris", "qris": "bank_transfer"}
_lines = itertools.count(1)


def _start(app, order, method):
    if method == "stripe":
        start_checkout(app, order)
    else:
        transfer.start_transfer(order, method)
    db.session.commit()
    return latest_attempt(order)


def _money(client, account, attempt, amount_idr):
    """The buyer's money for this attempt arrives: Stripe's signed webhook, or a line of the bank's statement."""
    if attempt.method == "stripe":
        row = db.session.get(StandinCheckoutSession, attempt.stripe_session_id)
        row.status, row.payment_status, row.payment_intent = "complete", "paid", f"pi_matrix_{attempt.id}"
        db.session.commit()
        session = {**row.as_stripe(), "amount_total": amount_idr * 100}
        response = post_event(client, event("checkout.session.completed", session))
        assert response.status_code == 200
        return response.json["outcome"]
    day = utcnow().date().isoformat()
    raw = f"tanggal,keterangan,jumlah,jenis\n{day},TRF MATRIX {next(_lines)},{amount_idr},CR\n".encode()
    result = statement.import_statement(account.id, raw)
    db.session.commit()
    return result


def _expire(runner, order):
    """The payment window passes and `flask orders expire` runs."""
    past = utcnow() - timedelta(minutes=1)
    order.expires_at = past
    for attempt in db.session.scalars(select(Payment).where(Payment.order_id == order.id)):
        attempt.expires_at = past
    db.session.commit()
    result = runner.invoke(args=["orders", "expire"])
    assert result.exit_code == 0, result.output


def _paid_count(order):
    return db.session.scalar(select(func.count()).select_from(Payment).where(Payment.order_id == order.id,
                                                                             Payment.state == "paid"))


def _owed_back(attempt):
    """The attempt's money is owed back: a transfer's attempt is refund_owed, a card's refund is recorded."""
    db.session.refresh(attempt)
    if attempt.method == "stripe":
        return db.session.scalar(select(func.count()).select_from(PaymentRefund).where(
            PaymentRefund.payment_intent == f"pi_matrix_{attempt.id}")) == 1
    return attempt.state == "refund_owed"


@pytest.mark.parametrize("happening", EVENTS)
@pytest.mark.parametrize("method", METHODS)
def test_every_payment_event_keeps_the_invariants(app, client, runner, place, make_user, make_product, method,
                                                 happening):
    account = methods_on()
    product = make_product(stock=2, price_idr=75000)
    order = place(make_user(), (product, 2))
    attempt = _start(app, order, method)
    amount = attempt.amount_idr
    if happening == "paid":
        _money(client, account, attempt, amount)
        assert fresh(order).state == "paid" and _paid_count(order) == 1 and not _owed_back(attempt)
    elif happening == "paid_twice":
        _money(client, account, attempt, amount)
        second = _money(client, account, attempt, amount)
        assert fresh(order).state == "paid" and _paid_count(order) == 1
        if method == "stripe":
            assert second == "already_paid"
            assert not _owed_back(attempt)  # the same payment intent twice is one payment
        else:  # the second credit waits for an admin on the unmatched list, settling nothing
            assert (second.settled, second.unmatched) == (0, 1)
    elif happening == "paid_late":
        _expire(runner, order)
        assert fresh(order).state == "expired"
        place(make_user(), (product, 2))  # the goods given back were sold again
        _money(client, account, attempt, amount)
        assert fresh(order).state != "paid" and _paid_count(order) == 0 and _owed_back(attempt)
    elif happening == "wrong_amount":
        if method == "stripe":
            _money(client, account, attempt, amount - 1)
        else:  # no open transfer asks this amount: an admin matches the line to the order by hand
            assert _money(client, account, attempt, amount - 1).unmatched == 1
            line = db.session.scalar(select(StatementLine).order_by(StatementLine.id.desc()).limit(1))
            statement.match_line(line.id, order.code, make_user("admin"))
            db.session.commit()
        assert fresh(order).state == "cancelled" and _paid_count(order) == 0 and _owed_back(attempt)
    elif happening == "expired":
        _expire(runner, order)
        assert fresh(order).state == "expired" and _paid_count(order) == 0
        assert db.session.get(type(product), product.id, populate_existing=True).stock == 2
    else:
        switch.switch_method(order, OTHER[method], card_session="closed")
        db.session.commit()
        _money(client, account, attempt, amount)
        assert fresh(order).state == "pending" and _paid_count(order) == 0 and _owed_back(attempt)
        assert latest_attempt(order).method == OTHER[method] and latest_attempt(order).state == "pending"
    assert ledger_problems() == []


@pytest.mark.parametrize("happening", ["collected", "expired", "collected_after_expiry"])
def test_cash_at_pickup_events_keep_the_invariants(app, runner, fill_cart, make_user, make_shop, make_product,
                                                   happening):
    transfer.set_method_enabled("cash_on_pickup", True)
    shop = make_shop(pickup_allowed=True, cash_on_pickup=True)
    product = make_product(shop=shop, stock=2, price_idr=60000)
    fill_cart(buyer := make_user(), (product, 2))
    order = orders.place_order(buyer, address(), {shop.id: "pickup"}, method=cash.CASH)
    attempt = cash.start_cash(order)
    db.session.commit()
    part = order.shop_orders[0]
    if happening in ("expired", "collected_after_expiry"):
        _expire(runner, order)
        assert fresh(order).state == "expired"
        assert db.session.get(type(product), product.id, populate_existing=True).stock == 2
    if happening == "expired":
        assert _paid_count(order) == 0
    elif happening == "collected_after_expiry":
        with pytest.raises(InvalidState):
            cash.mark_collected(part, shop.owner)
        db.session.rollback()
        assert fresh(order).state == "expired" and _paid_count(order) == 0
        assert db.session.get(type(product), product.id, populate_existing=True).stock == 2
    else:
        cash.mark_collected(part, shop.owner)
        db.session.commit()
        assert fresh(order).state == "paid" and _paid_count(order) == 1
        with pytest.raises(InvalidState):  # collected twice: once
            cash.mark_collected(part, shop.owner)
        db.session.rollback()
        assert _paid_count(order) == 1
    db.session.refresh(attempt)
    assert attempt.state == ("paid" if happening == "collected" else "expired")
    assert ledger_problems() == []
