"""Engine settings that make SQLite behave like the production database where it matters."""
from contextlib import contextmanager

from flask import has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

READ_ONLY_METHODS = ("GET", "HEAD", "OPTIONS")


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
        connection.exec_driver_sql(begin_statement())


def begin_statement():
    """BEGIN IMMEDIATE for anything that may write: it takes the write lock up front, so concurrent
    writers queue (busy_timeout) instead of failing when one upgrades a read snapshot. Page views only
    read, and under WAL they must not queue behind each other or behind writers: a plain BEGIN."""
    if has_request_context() and request.method in READ_ONLY_METHODS:
        return "BEGIN"
    return "BEGIN IMMEDIATE"


@contextmanager
def side_session(bind, info):
    """A short session of its own on `bind`, committed at the end, for work beside a request's session
    (draining the search outbox, claiming emails). When `bind` is a connection, as in the tests, it works
    inside the caller's transaction through a savepoint. `info` marks it for the session listeners."""
    options = {"join_transaction_mode": "create_savepoint"} if isinstance(bind, Connection) else {}
    session = Session(bind=bind, info=dict(info), **options)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def release_transaction(session):
    """End the session's transaction before slow work outside the database (photo decoding): it has written
    nothing yet, so rolling back loses nothing and lets go of SQLite's write lock, which every POST takes at its
    first query. Objects already loaded reload on their next use, in a new transaction."""
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("release_transaction() with unsaved changes: they would be lost")
    session.rollback()
