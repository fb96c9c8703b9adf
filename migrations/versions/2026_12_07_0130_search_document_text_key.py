"""search_document: a key of the analysed texts instead of the word lists that `terms` already holds

Revision ID: 6e8b6b6ff1fc
Revises: 8d2f6b1c4e70
Create Date: 2026-12-07 01:30:00

The PostgreSQL search backend counted words from two JSON copies of each document's words; it now
reads them from the document's own lexemes, so `words` and `named_words` go. `text_key` (a hash of the
texts the lexemes come from) lets a stock or price change skip the analysis; documents written before
this revision have none and are analysed again at their next change. Nothing else to do on SQLite,
where the tables stay empty.
"""
from alembic import op
import sqlalchemy as sa


revision = '6e8b6b6ff1fc'
down_revision = '8d2f6b1c4e70'
branch_labels = None
depends_on = None

# The exact words of a document, and those of its title and names (weights A and B), as the JSON lists
# the previous revision kept.
WORDS_FROM_TERMS = """
    UPDATE search_document SET
        words = (SELECT coalesce(json_agg(lexeme ORDER BY lexeme), '[]') FROM unnest(terms)
                 WHERE lexeme NOT LIKE '~%'),
        named_words = (SELECT coalesce(json_agg(lexeme ORDER BY lexeme), '[]') FROM unnest(terms)
                       WHERE lexeme NOT LIKE '~%' AND weights && ARRAY['A', 'B'])
"""


def upgrade():
    with op.batch_alter_table('search_document', schema=None) as batch_op:
        batch_op.add_column(sa.Column('text_key', sa.BigInteger(), nullable=True))
        batch_op.drop_column('named_words')
        batch_op.drop_column('words')


def downgrade():
    with op.batch_alter_table('search_document', schema=None) as batch_op:
        batch_op.add_column(sa.Column('words', sa.JSON(), nullable=False, server_default='[]'))
        batch_op.add_column(sa.Column('named_words', sa.JSON(), nullable=False, server_default='[]'))
    if op.get_bind().dialect.name == "postgresql":
        op.execute(WORDS_FROM_TERMS)
    with op.batch_alter_table('search_document', schema=None) as batch_op:
        batch_op.alter_column('words', server_default=None)
        batch_op.alter_column('named_words', server_default=None)
        batch_op.drop_column('text_key')
