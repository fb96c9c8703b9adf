"""A shop may accept cash when the buyer picks the order up (off until the producer turns it on).

Revision ID: 7c3a1e5d9b42
Revises: 7c3e1a9d5b20
Create Date: 2026-12-07 00:15:00

"""
from alembic import op
import sqlalchemy as sa


revision = '7c3a1e5d9b42'
down_revision = '7c3e1a9d5b20'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('shop', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cash_on_pickup', sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade():
    with op.batch_alter_table('shop', schema=None) as batch_op:
        batch_op.drop_column('cash_on_pickup')
