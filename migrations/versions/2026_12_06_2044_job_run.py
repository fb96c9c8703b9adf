"""job_run: the cron commands' last successful runs

Revision ID: 7c1d0b5e9a31
Revises: 4d8b74615542
Create Date: 2026-12-06 20:50:00

"""
from alembic import op
import sqlalchemy as sa


revision = '7c1d0b5e9a31'
down_revision = '4d8b74615542'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('job_run',
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('last_success_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_duration_ms', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_job_run'))
    )


def downgrade():
    op.drop_table('job_run')
