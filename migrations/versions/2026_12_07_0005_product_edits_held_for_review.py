"""Changes to approved listings held apart (with their photos) until an admin confirms them.

Revision ID: 7c1e4a9d2b30
Revises: 5b1d7e3a9c24
Create Date: 2026-12-07 00:05:00

"""
from alembic import op
import sqlalchemy as sa


revision = '7c1e4a9d2b30'
down_revision = '5b1d7e3a9c24'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'product_edit',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('product_id', sa.Integer(), nullable=False),
        sa.Column('title', sa.String(length=120), nullable=False),
        sa.Column('description', sa.Text(), nullable=False),
        sa.Column('category_id', sa.Integer(), nullable=False),
        sa.Column('pirt_number', sa.String(length=15), nullable=False),
        sa.Column('bpom_number', sa.String(length=20), nullable=False),
        sa.Column('halal_number', sa.String(length=40), nullable=False),
        sa.Column('halal_expires_on', sa.Date(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['category_id'], ['category.id'], name=op.f('fk_product_edit_category_id_category')),
        sa.ForeignKeyConstraint(['product_id'], ['product.id'], name=op.f('fk_product_edit_product_id_product'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_product_edit')),
        sa.UniqueConstraint('product_id', name=op.f('uq_product_edit_product_id')),
    )
    op.create_table(
        'product_edit_image',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('edit_id', sa.Integer(), nullable=False),
        sa.Column('content_hash', sa.String(length=64), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('alt_text', sa.String(length=200), nullable=False),
        sa.Column('width', sa.Integer(), nullable=False),
        sa.Column('height', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['edit_id'], ['product_edit.id'], name=op.f('fk_product_edit_image_edit_id_product_edit'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_product_edit_image')),
    )
    with op.batch_alter_table('product_edit_image', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_product_edit_image_edit_id'), ['edit_id'], unique=False)


def downgrade():
    with op.batch_alter_table('product_edit_image', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_product_edit_image_edit_id'))
    op.drop_table('product_edit_image')
    op.drop_table('product_edit')
