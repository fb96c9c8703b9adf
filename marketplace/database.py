"""Sessions beside the request's, the PostgreSQL pool's pings, and autocommit reads for public pages.

SQLite's own settings and its writer queue are in sqlite_writes; reads run by the driver's cursor in driver_reads."""
import time
from contextlib import contextmanager

from flask.globals import _cv_request
from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session

READ_ONLY_METHODS = ("GET", "HEAD", "OPTIONS")


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


# PostgreSQL connections idle longer than this are pinged before use; younger ones are trusted (see configure_pool).
IDLE_PING_S = 10.0


def configure_pool(engine):
    """On PostgreSQL: ping a connection that sat idle in the pool over IDLE_PING_S before handing it out (a
    server restart or a firewall's idle timeout leaves such connections dead), and let reads_only views read in
    autocommit (see reads_only). This replaces pool_pre_ping, whose round trip on every checkout was a fifth of a
    product page's; a connection that dies while busy is still found by SQLAlchemy's disconnect handling, which
    empties the pool at the first error."""
    if engine.dialect.name != "postgresql":
        return

    @event.listens_for(engine, "checkin")
    def on_checkin(_dbapi_connection, record):
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def on_checkout(dbapi_connection, record, _proxy):
        idle_since = record.info.get("idle_since")
        if idle_since is not None and time.monotonic() - idle_since > IDLE_PING_S:
            _ping(engine.dialect, dbapi_connection)

    @event.listens_for(engine, "begin")
    def on_begin(connection):
        if reads_only_request():
            connection.connection.dbapi_connection.autocommit = True
            connection.info[_AUTOCOMMIT_READS] = True

    @event.listens_for(engine, "before_cursor_execute")
    def on_statement(connection, _cursor, statement, _parameters, _context, _executemany):
        if _AUTOCOMMIT_READS in connection.info and not statement.lstrip()[:6].upper() == "SELECT":
            _back_to_transaction(connection)

    for name in ("commit", "rollback"):
        event.listen(engine, name, _end_autocommit_reads)


def _ping(dialect, dbapi_connection):
    """One round trip; a dead connection is swapped for a new one by the pool (SQLAlchemy's recipe)."""
    try:
        dialect.do_ping(dbapi_connection)
    except dialect.loaded_dbapi.Error as error:
        if dialect.is_disconnect(error, dbapi_connection, None):
            raise DisconnectionError() from error
        raise


_AUTOCOMMIT_READS = "pasardesa_autocommit_reads"


def reads_only(view):
    """Mark a public GET view whose statements only read: on PostgreSQL it reads in autocommit, without the
    BEGIN and ROLLBACK round trips of a transaction (two of a product page's four). Each statement then sees
    its own snapshot, which a page drawn from a few independent reads does not mind.

    A write is still safe: the first statement that is not a SELECT turns the connection back to a real
    transaction before it runs, so the write and everything after it commits or rolls back as one."""
    view.reads_only = True
    return view


def reads_only_request():
    """True for a GET (or HEAD, OPTIONS) of a view marked reads_only."""
    # The request context itself rather than through Flask's proxies: the rate limiter asks on every request.
    context = _cv_request.get(None)
    if context is None or context.request.method not in READ_ONLY_METHODS:
        return False
    rule = context.request.url_rule
    return rule is not None and getattr(context.app.view_functions.get(rule.endpoint), "reads_only", False)


def _back_to_transaction(connection):
    """Nothing is open on the server in autocommit: psycopg sends BEGIN with the next statement."""
    del connection.info[_AUTOCOMMIT_READS]
    connection.connection.dbapi_connection.autocommit = False


def _end_autocommit_reads(connection):
    if connection.info.pop(_AUTOCOMMIT_READS, False):
        connection.connection.dbapi_connection.autocommit = False
