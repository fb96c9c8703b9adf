"""user email verified at

An address is verified (a signed link) before the marketplace sends it anything but the verification itself.
Accounts that exist already are not verified: they verify at their next checkout.

Revision ID: 6f1d2c9a4b70
Revises: 458530275680
Create Date: 2026-12-06 20:30:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '6f1d2c9a4b70'
down_revision = '458530275680'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_verified_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('email_verified_at')
