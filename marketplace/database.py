"""Engine settings that make SQLite behave like the production database where it matters."""
from sqlalchemy import event


def configure_sqlite(engine):
    """Real BEGIN/SAVEPOINT semantics, foreign keys, WAL and a busy timeout on SQLite.

    pysqlite starts transactions lazily and commits before DDL, which breaks savepoints
    and lets two writers interleave; taking control of BEGIN fixes both.
    """
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA busy_timeout = 15000")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode = WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection):
        # IMMEDIATE takes the write lock up front, so concurrent writers queue instead of deadlocking.
        connection.exec_driver_sql("BEGIN IMMEDIATE")
