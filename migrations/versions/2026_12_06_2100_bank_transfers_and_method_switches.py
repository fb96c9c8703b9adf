"""Bank transfers: the platform's receiving accounts, the admin's switch per payment method, and no two open
transfers asking the same amount (a partial unique index, on SQLite and PostgreSQL alike).

Revision ID: 9d4f2b6e8a13
Revises: 7c3e9a1d2b40
Create Date: 2026-12-06 21:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '9d4f2b6e8a13'
down_revision = '7c3e9a1d2b40'
branch_labels = None
depends_on = None

OPEN_TRANSFER = sa.text("state = 'pending' AND method IN ('bank_transfer', 'qris')")


def upgrade():
    op.create_table(
        'payment_method_setting',
        sa.Column('method', sa.String(length=20), nullable=False),
        sa.Column('enabled', sa.Boolean(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("method IN ('stripe', 'bank_transfer', 'qris', 'cash_on_pickup')",
                           name=op.f('ck_payment_method_setting_method_known')),
        sa.PrimaryKeyConstraint('method', name=op.f('pk_payment_method_setting')),
    )
    op.create_table(
        'receiving_account',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('bank', sa.String(length=60), nullable=False),
        sa.Column('account_number', sa.String(length=30), nullable=False),
        sa.Column('holder_name', sa.String(length=120), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_receiving_account')),
    )
    with op.batch_alter_table('payment', schema=None) as batch_op:
        batch_op.create_index('uq_payment_open_transfer_amount', ['amount_idr'], unique=True,
                              sqlite_where=OPEN_TRANSFER, postgresql_where=OPEN_TRANSFER)


def downgrade():
    with op.batch_alter_table('payment', schema=None) as batch_op:
        batch_op.drop_index('uq_payment_open_transfer_amount', sqlite_where=OPEN_TRANSFER,
                            postgresql_where=OPEN_TRANSFER)
    op.drop_table('receiving_account')
    op.drop_table('payment_method_setting')
