"""One payment attempt per method and try: the Stripe columns move off `order` into `payment`, history kept.

Every order that reached Stripe gets a `payment` row (method stripe) with its session, checkout URL and payment
intent; its state follows the order's: paid, pending (pending or processing), or closed (expired/cancelled,
refund_owed or refunded when a refund was recorded for its payment intent).

Revision ID: 7c3e9a1d2b40
Revises: 7c1d0b5e9a31
Create Date: 2026-12-06 20:30:00

"""
from contextlib import contextmanager

from alembic import op
import sqlalchemy as sa


revision = '7c3e9a1d2b40'
down_revision = '7c1d0b5e9a31'
branch_labels = None
depends_on = None

PENDING = sa.text("state = 'pending'")
METHODS = "method IN ('stripe', 'bank_transfer', 'qris', 'cash_on_pickup')"
STATES = "state IN ('pending', 'paid', 'expired', 'failed', 'refund_owed', 'refunded')"

# The attempt's state from its order's, and from a refund recorded for its payment intent.
STATE_OF_ORDER = """
    CASE
        WHEN o.state = 'paid' THEN 'paid'
        WHEN o.state IN ('pending', 'processing') THEN 'pending'
        WHEN EXISTS (SELECT 1 FROM payment_refund r WHERE r.payment_intent = o.stripe_payment_intent
                     AND r.stripe_refund_id IS NOT NULL) THEN 'refunded'
        WHEN EXISTS (SELECT 1 FROM payment_refund r WHERE r.payment_intent = o.stripe_payment_intent)
            THEN 'refund_owed'
        WHEN o.state = 'expired' THEN 'expired'
        ELSE 'failed'
    END"""


@contextmanager
def _foreign_keys_off():
    """On SQLite a batch rebuilds `order` by dropping it, which the rows pointing at it refuse while foreign keys
    are enforced; the pragma only changes between transactions, so the rebuild gets a transaction of its own."""
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


def upgrade():
    op.create_table(
        'payment',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('order_id', sa.Integer(), nullable=False),
        sa.Column('method', sa.String(length=20), nullable=False),
        sa.Column('state', sa.String(length=20), nullable=False),
        sa.Column('amount_idr', sa.BigInteger(), nullable=False),
        sa.Column('unique_code_idr', sa.BigInteger(), nullable=False),
        sa.Column('received_idr', sa.BigInteger(), nullable=True),
        sa.Column('stripe_session_id', sa.String(length=255), nullable=True),
        sa.Column('checkout_url', sa.String(length=1000), nullable=True),
        sa.Column('stripe_payment_intent', sa.String(length=255), nullable=True),
        sa.Column('bank_reference', sa.String(length=100), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('paid_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(METHODS, name=op.f('ck_payment_method_known')),
        sa.CheckConstraint(STATES, name=op.f('ck_payment_state_known')),
        sa.CheckConstraint('amount_idr >= 0 AND unique_code_idr BETWEEN 0 AND 999',
                           name=op.f('ck_payment_amounts_in_range')),
        sa.ForeignKeyConstraint(['order_id'], ['order.id'], name=op.f('fk_payment_order_id_order')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_payment')),
        sa.UniqueConstraint('stripe_session_id', name=op.f('uq_payment_stripe_session_id')),
    )
    with op.batch_alter_table('payment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payment_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_payment_state'), ['state'], unique=False)
        batch_op.create_index(batch_op.f('ix_payment_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_payment_stripe_payment_intent'), ['stripe_payment_intent'],
                              unique=False)
        batch_op.create_index('uq_payment_open_order', ['order_id'], unique=True, sqlite_where=PENDING,
                              postgresql_where=PENDING)
    op.execute(f"""
        INSERT INTO payment (order_id, method, state, amount_idr, unique_code_idr, received_idr, stripe_session_id,
                             checkout_url, stripe_payment_intent, bank_reference, created_at, expires_at, paid_at,
                             closed_at)
        SELECT o.id, 'stripe', {STATE_OF_ORDER}, o.total_idr, 0,
               CASE WHEN o.state = 'paid' THEN o.total_idr END, o.stripe_session_id, o.checkout_url,
               o.stripe_payment_intent, '', o.created_at, o.expires_at, o.paid_at, o.released_at
        FROM "order" o
        WHERE o.stripe_session_id IS NOT NULL OR o.stripe_payment_intent IS NOT NULL
        ORDER BY o.id""")
    with _foreign_keys_off(), op.batch_alter_table('order', schema=None) as batch_op:
        batch_op.drop_constraint('uq_order_stripe_session_id', type_='unique')
        batch_op.drop_column('stripe_payment_intent')
        batch_op.drop_column('checkout_url')
        batch_op.drop_column('stripe_session_id')


def downgrade():
    with _foreign_keys_off(), op.batch_alter_table('order', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stripe_session_id', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('checkout_url', sa.String(length=1000), nullable=True))
        batch_op.add_column(sa.Column('stripe_payment_intent', sa.String(length=255), nullable=True))
        batch_op.create_unique_constraint('uq_order_stripe_session_id', ['stripe_session_id'])
    # Each order keeps its newest Stripe attempt, as the order held one session before attempts existed.
    newest = """(SELECT p.{column} FROM payment p WHERE p.order_id = "order".id AND p.method = 'stripe'
                 ORDER BY p.id DESC LIMIT 1)"""
    op.execute(f"""UPDATE "order" SET stripe_session_id = {newest.format(column='stripe_session_id')},
                                      checkout_url = {newest.format(column='checkout_url')},
                                      stripe_payment_intent = {newest.format(column='stripe_payment_intent')}""")
    with op.batch_alter_table('payment', schema=None) as batch_op:
        batch_op.drop_index('uq_payment_open_order', sqlite_where=PENDING, postgresql_where=PENDING)
        batch_op.drop_index(batch_op.f('ix_payment_stripe_payment_intent'))
        batch_op.drop_index(batch_op.f('ix_payment_expires_at'))
        batch_op.drop_index(batch_op.f('ix_payment_state'))
        batch_op.drop_index(batch_op.f('ix_payment_order_id'))
    op.drop_table('payment')
