"""The receiving account a transfer or QRIS payment arrived in, so that the ledger holds money per account.

Payments settled before this revision keep no account: their money stays in `held:bank` / `held:qris`, the
unassigned bank and QRIS money, and `flask ledger check` reconciles those as accounts of their own.

Revision ID: 8d2f6b1c4e70
Revises: 3b8f2d6e1c47
Create Date: 2026-12-07 01:20:00

"""
from alembic import op
import sqlalchemy as sa


revision = '8d2f6b1c4e70'
down_revision = '3b8f2d6e1c47'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('payment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('receiving_account_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_payment_receiving_account_id'), ['receiving_account_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_payment_receiving_account_id_receiving_account'),
                                    'receiving_account', ['receiving_account_id'], ['id'])


def downgrade():
    with op.batch_alter_table('payment', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_payment_receiving_account_id_receiving_account'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_payment_receiving_account_id'))
        batch_op.drop_column('receiving_account_id')
