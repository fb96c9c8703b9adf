"""search_outbox: ids never reused on SQLite (AUTOINCREMENT)

Revision ID: 3c1d7e9a5b42
Revises: 6e8b6b6ff1fc
Create Date: 2026-12-07 13:00:00

A drain deletes the outbox rows it read by id once the index holds them. SQLite's plain rowid gives
the highest id + 1, so once a drain had deleted the newest row, the next change could get the same id
and a slower drain that had read the old row deleted the new one: that change never reached the index.
AUTOINCREMENT never gives an id twice. SQLite cannot change it in place, so the table is copied with
its rows; PostgreSQL's sequence never reused an id, and nothing changes there.
"""
from alembic import op


revision = '3c1d7e9a5b42'
down_revision = '6e8b6b6ff1fc'
branch_labels = None
depends_on = None


def _recreate(autoincrement):
    if op.get_bind().dialect.name != "sqlite":
        return
    with op.batch_alter_table('search_outbox', recreate="always",
                              table_kwargs={"sqlite_autoincrement": autoincrement}):
        pass


def upgrade():
    _recreate(True)


def downgrade():
    _recreate(False)
