"""`flask ledger check` finds drift and exits non-zero; a ledger that adds up passes."""
import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.ledger import check, service
from marketplace.ledger.service import credit, debit


def _smuggle_line(entry, amount):
    """An unbalanced line written around the service, as a bug or a hand-made fix would."""
    db.session.execute(sa.text("INSERT INTO journal_line (entry_id, account_id, amount_idr) VALUES (:e, :a, :n)"),
                       {"e": entry.id, "a": entry.lines[0].account_id, "n": amount})


def test_a_ledger_that_adds_up_passes(app, runner):
    service.post("test", "ok", [debit("refunds_owed", 10_000), credit("income:commission", 10_000)])
    result = runner.invoke(args=["ledger", "check"])
    assert result.exit_code == 0 and "adds up" in result.output


def test_an_unbalanced_entry_is_found(app, runner):
    entry, _ = service.post("test", "drift", [debit("refunds_owed", 10_000), credit("income:commission", 10_000)])
    _smuggle_line(entry, 1)
    assert check.problems() == [f"entry {entry.id}: lines sum to 1, not 0"]
    result = runner.invoke(args=["ledger", "check"])
    assert result.exit_code == 1 and "1 problem(s) found." in result.output
    db.session.rollback()


def test_an_entry_without_lines_is_found(app):
    db.session.execute(sa.text("INSERT INTO journal_entry (kind, reference, memo, created_at) "
                               "VALUES ('test', 'empty', '', CURRENT_TIMESTAMP)"))
    found = check.problems()
    assert len(found) == 1 and "0 line(s)" in found[0]
    db.session.rollback()


def test_an_account_whose_kind_contradicts_its_code_is_found(app):
    db.session.execute(sa.text("INSERT INTO ledger_account (code, kind, version, created_at) "
                               "VALUES ('held:stripe', 'income_commission', 0, CURRENT_TIMESTAMP)"))
    assert check.problems() == ["account held:stripe: kind income_commission and shop None do not match its code"]
    db.session.rollback()


def test_a_payout_marked_paid_without_its_entry_is_found(app, make_shop, make_user):
    from datetime import timedelta

    from marketplace.ledger import payouts, rules
    from marketplace.ledger.models_payouts import Payout
    from marketplace.models_base import utcnow

    shop = make_shop()
    rules.record_payment("pay-x", "held:stripe", [rules.ShopShare(shop.id, 100_000, 0)])
    rules.release_earnings("rel-x", shop.id, 100_000)
    account = payouts.set_bank_account(shop, payouts.BankAccountDetails("014", "1234567890", "Siti"))
    payouts.review_bank_account(account.id, make_user("admin"), approve=True)
    [payout] = payouts.create_batch(make_user("admin"), "held:stripe", now=utcnow() + timedelta(days=3)).payouts
    assert check.problems(stripe=False) == []      # the money was booked with no Stripe payment behind it
    db.session.execute(sa.update(Payout).where(Payout.id == payout.id).values(state="paid"))
    assert check.problems(stripe=False) == [f"payout {payout.id}: paid, but entries ['payout_sent']"]
    db.session.rollback()


def _stripe_sentence(held, said):
    return f"held:stripe: the ledger holds {held}, Stripe payments, refunds and payouts say {said}"


def test_stripe_money_that_went_through_the_payments_adds_up(app, runner, make_order):
    from marketplace.orders import service as orders
    from marketplace.payments import service as payments

    order = make_order()
    part = order.shop_orders[0]
    orders.cancel_shop_order(part, part.shop.owner, "producer", "Kemasan rusak")
    db.session.commit()
    assert payments.make_shop_refund(*payments.shop_refund_due(part))
    db.session.commit()
    assert service.balance("held:stripe") == 0
    assert check.problems() == []
    assert runner.invoke(args=["ledger", "check"]).exit_code == 0


def test_stripe_money_booked_with_no_payment_behind_it_is_found(app, runner, make_order):
    order = make_order()
    assert check.problems() == []
    # A hand-made correction that says more money arrived at Stripe than any payment brought.
    service.post("correction", "stripe-extra", [debit("held:stripe", 1_000), credit("income:commission", 1_000)])
    assert check.problems() == [_stripe_sentence(order.total_idr + 1_000, order.total_idr)]
    result = runner.invoke(args=["ledger", "check"])
    assert result.exit_code == 1 and _stripe_sentence(order.total_idr + 1_000, order.total_idr) in result.output
    db.session.rollback()


def test_a_stripe_payment_whose_amount_drifted_is_found(app, make_order):
    from marketplace.payments.models import Payment

    order = make_order()
    db.session.execute(sa.update(Payment).where(Payment.order_id == order.id).values(received_idr=order.total_idr - 1))
    assert check.problems() == [_stripe_sentence(order.total_idr, order.total_idr - 1)]
    db.session.rollback()


def test_a_stripe_refund_booked_from_the_wrong_account_is_found(app, make_order):
    """A cancelled part refunded at Stripe, but booked as if it left a bank account."""
    from marketplace.ledger import rules
    from marketplace.orders import service as orders

    order = make_order()
    part = order.shop_orders[0]
    orders.cancel_shop_order(part, part.shop.owner, "producer", "Kemasan rusak")
    part.stripe_refund_id = "re_1"
    rules.record_refund_paid(f"shop-order-{part.id}", "held:qris", part.total_idr, order_id=order.id)
    found = check.problems()
    assert _stripe_sentence(order.total_idr, order.total_idr - part.total_idr) in found
    db.session.rollback()


def test_a_stripe_payment_owed_back_but_never_booked_is_found(app, make_order):
    """Money Stripe took for nothing (a payment owed back in full) that the ledger never held."""
    from marketplace.payments.models import PaymentRefund

    order = make_order()
    db.session.add(PaymentRefund(payment_intent="pi_late", order_id=order.id, amount=4_200_000, currency="idr",
                                 reason="stock_released"))
    db.session.flush()
    assert check.problems() == [_stripe_sentence(order.total_idr, order.total_idr + 42_000)]
    db.session.rollback()
