"""Local payment tools: the platform's static QRIS payload.

Revision ID: 5b1d7e3a9c24
Revises: 2e8b5c7a9f61
Create Date: 2026-12-07 00:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '5b1d7e3a9c24'
down_revision = '2e8b5c7a9f61'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('payment_method_setting', schema=None) as batch_op:
        batch_op.add_column(sa.Column('payload', sa.Text(), server_default='', nullable=False))


def downgrade():
    with op.batch_alter_table('payment_method_setting', schema=None) as batch_op:
        batch_op.drop_column('payload')
