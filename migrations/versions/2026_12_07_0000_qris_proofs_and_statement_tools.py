"""Local payment tools: the platform's static QRIS payload, and buyers' proofs of transfer.

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
    op.create_table(
        'payment_proof',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('payment_id', sa.Integer(), nullable=False),
        sa.Column('uploaded_by_id', sa.Integer(), nullable=False),
        sa.Column('storage_key', sa.String(length=200), nullable=False),
        sa.Column('content_type', sa.String(length=40), nullable=False),
        sa.Column('size_bytes', sa.Integer(), nullable=False),
        sa.Column('state', sa.String(length=20), nullable=False),
        sa.Column('reason', sa.String(length=300), nullable=False),
        sa.Column('reviewed_by_id', sa.Integer(), nullable=True),
        sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("state IN ('waiting', 'accepted', 'rejected')", name=op.f('ck_payment_proof_state_known')),
        sa.CheckConstraint("content_type IN ('image/webp', 'application/pdf')",
                           name=op.f('ck_payment_proof_type_known')),
        sa.ForeignKeyConstraint(['payment_id'], ['payment.id'], name=op.f('fk_payment_proof_payment_id_payment')),
        sa.ForeignKeyConstraint(['uploaded_by_id'], ['user.id'], name=op.f('fk_payment_proof_uploaded_by_id_user')),
        sa.ForeignKeyConstraint(['reviewed_by_id'], ['user.id'], name=op.f('fk_payment_proof_reviewed_by_id_user')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_proof')),
    )
    with op.batch_alter_table('payment_proof', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payment_proof_payment_id'), ['payment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_payment_proof_uploaded_by_id'), ['uploaded_by_id'], unique=False)


def downgrade():
    op.drop_table('payment_proof')
    with op.batch_alter_table('payment_method_setting', schema=None) as batch_op:
        batch_op.drop_column('payload')
