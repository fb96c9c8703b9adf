"""Local payment tools: the platform's static QRIS payload, buyers' proofs of transfer, a statement layout per
receiving account, and who matched a statement line by hand.

Revision ID: 5b1d7e3a9c24
Revises: 6a1c3e5b7d90
Create Date: 2026-12-07 00:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '5b1d7e3a9c24'
down_revision = '6a1c3e5b7d90'
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
    op.create_table(
        'statement_layout',
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('skip_rows', sa.Integer(), nullable=False),
        sa.Column('date_column', sa.Integer(), nullable=False),
        sa.Column('description_column', sa.Integer(), nullable=False),
        sa.Column('amount_column', sa.Integer(), nullable=False),
        sa.Column('marker_column', sa.Integer(), nullable=False),
        sa.Column('credit_marker', sa.String(length=10), nullable=False),
        sa.Column('debit_marker', sa.String(length=10), nullable=False),
        sa.Column('number_style', sa.String(length=10), nullable=False),
        sa.CheckConstraint("number_style IN ('auto', 'dots', 'commas')",
                           name=op.f('ck_statement_layout_number_style_known')),
        sa.ForeignKeyConstraint(['account_id'], ['receiving_account.id'],
                                name=op.f('fk_statement_layout_account_id_receiving_account')),
        sa.PrimaryKeyConstraint('account_id', name=op.f('pk_statement_layout')),
    )
    with op.batch_alter_table('statement_line', schema=None) as batch_op:
        batch_op.add_column(sa.Column('matched_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('matched_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_statement_line_matched_by_id_user'), 'user', ['matched_by_id'],
                                    ['id'])


def downgrade():
    with op.batch_alter_table('statement_line', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_statement_line_matched_by_id_user'), type_='foreignkey')
        batch_op.drop_column('matched_at')
        batch_op.drop_column('matched_by_id')
    op.drop_table('statement_layout')
    op.drop_table('payment_proof')
    with op.batch_alter_table('payment_method_setting', schema=None) as batch_op:
        batch_op.drop_column('payload')
