"""search_document and search_word: the PostgreSQL search backend's tables

Revision ID: 5e1d0c2b7a91
Revises: e16c21fffc90
Create Date: 2026-12-06 20:40:00

Filled by `flask search reindex` with SEARCH_BACKEND=postgres; empty (and unused) on SQLite.
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


revision = '5e1d0c2b7a91'
down_revision = 'e16c21fffc90'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_table('search_document',
    sa.Column('product_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('terms', postgresql.TSVECTOR().with_variant(sa.Text(), 'sqlite'), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.Column('district', sa.Integer(), nullable=False),
    sa.Column('price_idr', sa.BigInteger(), nullable=False),
    sa.Column('stock', sa.Integer(), nullable=False),
    sa.Column('approved_ms', sa.BigInteger(), nullable=False),
    sa.Column('title_words', sa.Integer(), nullable=False),
    sa.Column('fingerprint', sa.BigInteger(), nullable=False),
    sa.Column('words', sa.JSON(), nullable=False),
    sa.Column('named_words', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('product_id', name=op.f('pk_search_document'))
    )
    op.create_index('ix_search_document_terms', 'search_document', ['terms'], unique=False,
                    postgresql_using='gin')
    op.create_table('search_word',
    sa.Column('word', sa.String(length=100), nullable=False),
    sa.Column('docs', sa.Integer(), nullable=False),
    sa.Column('named', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('word', name=op.f('pk_search_word'))
    )
    op.create_index('ix_search_word_prefix', 'search_word', ['word'], unique=False,
                    postgresql_ops={'word': 'varchar_pattern_ops'})
    op.create_index('ix_search_word_trigram', 'search_word', ['word'], unique=False,
                    postgresql_using='gist', postgresql_ops={'word': 'gist_trgm_ops'})


def downgrade():
    op.drop_index('ix_search_word_trigram', table_name='search_word')
    op.drop_index('ix_search_word_prefix', table_name='search_word')
    op.drop_table('search_word')
    op.drop_index('ix_search_document_terms', table_name='search_document')
    op.drop_table('search_document')
