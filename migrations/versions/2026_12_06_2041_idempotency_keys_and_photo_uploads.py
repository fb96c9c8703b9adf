"""idempotency keys and resumable photo uploads

Revision ID: 458530275680
Revises: 5e1d0c2b7a91
Create Date: 2026-12-06 20:19:47.441617

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '458530275680'
down_revision = '5e1d0c2b7a91'
branch_labels = None
depends_on = None


def upgrade():

    op.create_table('idempotency_key',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('action', sa.String(length=30), nullable=False),
    sa.Column('target_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_idempotency_key_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_idempotency_key')),
    sa.UniqueConstraint('user_id', 'key', name='uq_idempotency_key_user_key')
    )
    with op.batch_alter_table('idempotency_key', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_idempotency_key_created_at'), ['created_at'], unique=False)

    op.create_table('photo_upload',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('received_bytes', sa.Integer(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=True),
    sa.Column('width', sa.Integer(), nullable=True),
    sa.Column('height', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_photo_upload_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_photo_upload')),
    sa.UniqueConstraint('user_id', 'token', name='uq_photo_upload_user_token')
    )
    with op.batch_alter_table('photo_upload', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_photo_upload_updated_at'), ['updated_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_photo_upload_user_id'), ['user_id'], unique=False)

    op.create_table('photo_upload_part',
    sa.Column('upload_id', sa.Integer(), nullable=False),
    sa.Column('offset', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['upload_id'], ['photo_upload.id'], name=op.f('fk_photo_upload_part_upload_id_photo_upload'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('upload_id', 'offset', name=op.f('pk_photo_upload_part'))
    )



def downgrade():

    op.drop_table('photo_upload_part')
    with op.batch_alter_table('photo_upload', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_photo_upload_user_id'))
        batch_op.drop_index(batch_op.f('ix_photo_upload_updated_at'))

    op.drop_table('photo_upload')
    with op.batch_alter_table('idempotency_key', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_idempotency_key_created_at'))

    op.drop_table('idempotency_key')

