"""Bank statement lines, each recorded once by its fingerprint, with the payment it settled or found.

Revision ID: 2e8b5c7a9f61
Revises: 9d4f2b6e8a13
Create Date: 2026-12-06 21:15:00

"""
from alembic import op
import sqlalchemy as sa


revision = '2e8b5c7a9f61'
down_revision = '9d4f2b6e8a13'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'statement_line',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('fingerprint', sa.String(length=64), nullable=False),
        sa.Column('booked_on', sa.Date(), nullable=False),
        sa.Column('description', sa.String(length=300), nullable=False),
        sa.Column('amount_idr', sa.BigInteger(), nullable=False),
        sa.Column('payment_id', sa.Integer(), nullable=True),
        sa.Column('outcome', sa.String(length=20), nullable=False),
        sa.Column('imported_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint('amount_idr > 0', name=op.f('ck_statement_line_amount_positive')),
        sa.CheckConstraint("outcome IN ('settled', 'refund_owed', 'unmatched')",
                           name=op.f('ck_statement_line_outcome_known')),
        sa.ForeignKeyConstraint(['account_id'], ['receiving_account.id'],
                                name=op.f('fk_statement_line_account_id_receiving_account')),
        sa.ForeignKeyConstraint(['payment_id'], ['payment.id'], name=op.f('fk_statement_line_payment_id_payment')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_statement_line')),
        sa.UniqueConstraint('fingerprint', name=op.f('uq_statement_line_fingerprint')),
    )
    with op.batch_alter_table('statement_line', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_statement_line_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_statement_line_payment_id'), ['payment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_statement_line_outcome'), ['outcome'], unique=False)


def downgrade():
    with op.batch_alter_table('statement_line', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_statement_line_outcome'))
        batch_op.drop_index(batch_op.f('ix_statement_line_payment_id'))
        batch_op.drop_index(batch_op.f('ix_statement_line_account_id'))
    op.drop_table('statement_line')
