"""The courier's name when the producer ships with a courier not in the list, and the shop logo's size (a
logo is shown round only when it is square).

Revision ID: 7c3e1a9d5b20
Revises: 7c1e4a9d2b30
Create Date: 2026-12-07 00:10:00

"""
from alembic import op
import sqlalchemy as sa


revision = '7c3e1a9d5b20'
down_revision = '7c1e4a9d2b30'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('shop_order', schema=None) as batch_op:
        batch_op.add_column(sa.Column('courier_other', sa.String(length=40), nullable=False, server_default=''))
    # Logos stored before this revision have no known size: they are shown uncropped until replaced.
    with op.batch_alter_table('shop', schema=None) as batch_op:
        batch_op.add_column(sa.Column('logo_width', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('logo_height', sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table('shop', schema=None) as batch_op:
        batch_op.drop_column('logo_height')
        batch_op.drop_column('logo_width')
    with op.batch_alter_table('shop_order', schema=None) as batch_op:
        batch_op.drop_column('courier_other')
