"""search_word's empty word counts the search documents; room on search_document's pages

Revision ID: 3b8f2d6e1c47
Revises: 7c3a1e5d9b42
Create Date: 2026-12-07 01:15:00

Ranking weights need the number of live listings; the PostgreSQL search backend keeps it in the row of
the empty word (no listing has one) instead of counting every document on each search. Nothing to do on
SQLite, where the tables stay empty.

search_document keeps 15% of each page free, so that a listing's stock or price change rewrites its row
in place (a HOT update) instead of indexing all its lexemes again; pages written from now on (a
`flask search reindex` rewrites them all) follow it.
"""
from alembic import op


revision = '3b8f2d6e1c47'
down_revision = '7c3a1e5d9b42'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE search_document SET (fillfactor = 85)")
        op.execute("INSERT INTO search_word (word, docs, named) SELECT '', count(*), 0 FROM search_document "
                   "HAVING count(*) > 0 ON CONFLICT (word) DO NOTHING")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE search_document RESET (fillfactor)")
    op.execute("DELETE FROM search_word WHERE word = ''")
