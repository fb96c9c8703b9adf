"""Shops' bank accounts (a change is a new row, checked by an admin) and payout batches.

Revision ID: e16c21fffc90
Revises: e502de999109
Create Date: 2026-12-06 20:29:16.509239

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e16c21fffc90'
down_revision = 'e502de999109'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('payout_batch',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=80), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_payout_batch_created_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payout_batch'))
    )
    op.create_table('shop_bank_account',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.Column('bank_code', sa.String(length=3), nullable=False),
    sa.Column('account_number', sa.String(length=20), nullable=False),
    sa.Column('holder_name', sa.String(length=100), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('review_note', sa.String(length=300), nullable=False),
    sa.Column('reviewed_by_id', sa.Integer(), nullable=True),
    sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('payouts_from', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('unverified', 'verified', 'rejected', 'replaced')", name=op.f('ck_shop_bank_account_status_known')),
    sa.ForeignKeyConstraint(['reviewed_by_id'], ['user.id'], name=op.f('fk_shop_bank_account_reviewed_by_id_user')),
    sa.ForeignKeyConstraint(['shop_id'], ['shop.id'], name=op.f('fk_shop_bank_account_shop_id_shop')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shop_bank_account'))
    )
    with op.batch_alter_table('shop_bank_account', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_shop_bank_account_shop_id'), ['shop_id'], unique=False)
        batch_op.create_index('uq_shop_bank_account_current', ['shop_id'], unique=True, sqlite_where=sa.text("status <> 'replaced'"), postgresql_where=sa.text("status <> 'replaced'"))

    op.create_table('payout',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.Column('bank_account_id', sa.Integer(), nullable=False),
    sa.Column('amount_idr', sa.BigInteger(), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('bank_reference', sa.String(length=60), nullable=False),
    sa.Column('failure_reason', sa.String(length=300), nullable=False),
    sa.Column('settled_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("state IN ('sent', 'paid', 'failed')", name=op.f('ck_payout_state_known')),
    sa.CheckConstraint('amount_idr > 0', name=op.f('ck_payout_amount_positive')),
    sa.ForeignKeyConstraint(['bank_account_id'], ['shop_bank_account.id'], name=op.f('fk_payout_bank_account_id_shop_bank_account')),
    sa.ForeignKeyConstraint(['batch_id'], ['payout_batch.id'], name=op.f('fk_payout_batch_id_payout_batch')),
    sa.ForeignKeyConstraint(['shop_id'], ['shop.id'], name=op.f('fk_payout_shop_id_shop')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payout')),
    sa.UniqueConstraint('batch_id', 'shop_id', name='one_payout_per_shop_per_batch')
    )
    with op.batch_alter_table('payout', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payout_batch_id'), ['batch_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_payout_shop_id'), ['shop_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_payout_state'), ['state'], unique=False)



def downgrade():
    with op.batch_alter_table('payout', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payout_state'))
        batch_op.drop_index(batch_op.f('ix_payout_shop_id'))
        batch_op.drop_index(batch_op.f('ix_payout_batch_id'))

    op.drop_table('payout')
    with op.batch_alter_table('shop_bank_account', schema=None) as batch_op:
        batch_op.drop_index('uq_shop_bank_account_current', sqlite_where=sa.text("status <> 'replaced'"), postgresql_where=sa.text("status <> 'replaced'"))
        batch_op.drop_index(batch_op.f('ix_shop_bank_account_shop_id'))

    op.drop_table('shop_bank_account')
    op.drop_table('payout_batch')
