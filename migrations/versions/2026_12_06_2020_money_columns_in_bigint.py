"""Money columns in 64-bit integers: IDR totals reach billions, and Stripe's units are rupiah x 100.

A 32-bit column overflowed at Rp21.474.836 in Stripe units (a refund of a Rp25.000.000 order) and at
about Rp2,1 miliar in rupiah, answering 500 where the money had to be recorded.

Revision ID: 5b0c1f7e9a21
Revises: eff121cf2433
Create Date: 2026-12-06 20:20:00

"""
from contextlib import contextmanager

from alembic import op
import sqlalchemy as sa


revision = '5b0c1f7e9a21'
down_revision = 'eff121cf2433'
branch_labels = None
depends_on = None

MONEY_COLUMNS = {
    'product': ('price_idr',),
    'shop': ('shipping_fee_idr',),
    'cart_item': ('price_seen_idr',),
    'order': ('items_total_idr', 'shipping_total_idr', 'total_idr'),
    'shop_order': ('shipping_fee_idr', 'items_total_idr', 'platform_fee_idr', 'refund_amount_idr'),
    'order_item': ('unit_price_idr',),
    'payment_refund': ('amount',),
    'standin_checkout_session': ('amount_total',),
    'standin_refund': ('amount',),
}


@contextmanager
def _foreign_keys_off():
    """On SQLite a batch rebuilds each table by dropping it, which rows pointing at it (an order's events, a
    shop's orders) refuse while foreign keys are enforced; the pragma only changes between transactions."""
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        op.execute("COMMIT")
        op.execute("PRAGMA foreign_keys = OFF")
        op.execute("BEGIN IMMEDIATE")
    yield
    if sqlite:
        op.execute("COMMIT")
        op.execute("PRAGMA foreign_keys = ON")
        op.execute("BEGIN IMMEDIATE")


def _retype(old, new):
    with _foreign_keys_off():
        for table, columns in MONEY_COLUMNS.items():
            with op.batch_alter_table(table, schema=None) as batch_op:
                for column in columns:
                    batch_op.alter_column(column, existing_type=old, type_=new, existing_nullable=False)


def upgrade():
    _retype(sa.Integer(), sa.BigInteger())


def downgrade():
    _retype(sa.BigInteger(), sa.Integer())
