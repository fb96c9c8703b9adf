"""Refunds to bank transfer and QRIS buyers: the account each buyer gives, and each transfer made back.

Revision ID: 6a1c3e5b7d90
Revises: 2e8b5c7a9f61
Create Date: 2026-12-07 00:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '6a1c3e5b7d90'
down_revision = '2e8b5c7a9f61'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'refund_account',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('order_id', sa.Integer(), nullable=False),
        sa.Column('bank_code', sa.String(length=10), nullable=False),
        sa.Column('account_number', sa.String(length=30), nullable=False),
        sa.Column('holder_name', sa.String(length=120), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['order_id'], ['order.id'], name=op.f('fk_refund_account_order_id_order')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_refund_account')),
        sa.UniqueConstraint('order_id', name=op.f('uq_refund_account_order_id')),
    )
    op.create_table(
        'buyer_refund',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('cause', sa.String(length=40), nullable=False),
        sa.Column('order_id', sa.Integer(), nullable=False),
        sa.Column('amount_idr', sa.BigInteger(), nullable=False),
        sa.Column('held', sa.String(length=80), nullable=False),
        sa.Column('bank_code', sa.String(length=10), nullable=False),
        sa.Column('account_number', sa.String(length=30), nullable=False),
        sa.Column('holder_name', sa.String(length=120), nullable=False),
        sa.Column('bank_reference', sa.String(length=100), nullable=False),
        sa.Column('transferred_on', sa.Date(), nullable=False),
        sa.Column('recorded_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint('amount_idr > 0', name=op.f('ck_buyer_refund_amount_positive')),
        sa.ForeignKeyConstraint(['order_id'], ['order.id'], name=op.f('fk_buyer_refund_order_id_order')),
        sa.ForeignKeyConstraint(['recorded_by_id'], ['user.id'], name=op.f('fk_buyer_refund_recorded_by_id_user')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_buyer_refund')),
        sa.UniqueConstraint('cause', name=op.f('uq_buyer_refund_cause')),
    )
    with op.batch_alter_table('buyer_refund', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_buyer_refund_order_id'), ['order_id'], unique=False)


def downgrade():
    with op.batch_alter_table('buyer_refund', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_buyer_refund_order_id'))
    op.drop_table('buyer_refund')
    op.drop_table('refund_account')
