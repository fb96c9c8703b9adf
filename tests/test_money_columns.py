"""Money is whole rupiah in 64-bit columns: totals reach billions, and Stripe's units are rupiah x 100."""
import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.payments.models import PaymentRefund

# Columns holding money whose names do not end in _idr (Stripe's units, as Stripe reports them).
STRIPE_AMOUNT_COLUMNS = {("payment_refund", "amount"), ("standin_checkout_session", "amount_total"),
                         ("standin_refund", "amount")}


def money_columns():
    """(table, column) of every money column in the models."""
    return [(table.name, column) for table in db.metadata.sorted_tables for column in table.columns
            if column.name.endswith("_idr") or (table.name, column.name) in STRIPE_AMOUNT_COLUMNS]


def test_every_money_column_is_64_bit(app):
    columns = money_columns()
    assert len(columns) >= 14
    narrow = [f"{table}.{column.name}" for table, column in columns if not isinstance(column.type, sa.BigInteger)]
    assert narrow == []


def test_a_refund_of_billions_in_stripe_units_is_stored(app):
    """Rp25.000.000 owed back is 2.500.000.000 in Stripe's units: past 32 bits."""
    refund = PaymentRefund(payment_intent="pi_large", amount=25_000_000 * 100 * 100, currency="idr",
                           reason="paid_after_release")
    db.session.add(refund)
    db.session.flush()
    db.session.expire(refund)
    assert db.session.get(PaymentRefund, refund.id).amount == 250_000_000_000
