"""Engine settings that make SQLite behave like the production database where it matters."""
import fcntl
import os
import sqlite3
import threading
import time
from collections import deque
from contextlib import contextmanager

from flask import current_app, has_app_context, has_request_context, request
from flask.globals import _cv_request
from sqlalchemy import event, inspect
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DisconnectionError, OperationalError
from sqlalchemy.orm import Session, configure_mappers, make_transient_to_detached, scoped_session
from sqlalchemy.orm.attributes import set_committed_value

READ_ONLY_METHODS = ("GET", "HEAD", "OPTIONS")
BUSY_TIMEOUT_S = 15.0


def configure_sqlite(engine):
    """Real BEGIN/SAVEPOINT semantics, foreign keys, WAL and a busy timeout on SQLite.

    pysqlite starts transactions lazily and commits before DDL, which breaks savepoints
    and lets two writers interleave; taking control of BEGIN fixes both. Writers take turns at the write lock
    through a WriterQueue rather than in SQLite's busy handler; SQLITE_WRITER_QUEUE=False in the app's config
    leaves every wait to the busy handler (bench/checkout.py --busy-handler compares the two).
    """
    if engine.dialect.name != "sqlite":
        return
    database = engine.url.database
    on_disk = database not in (None, "", ":memory:") and not database.startswith("file:")
    wanted = current_app.config.get("SQLITE_WRITER_QUEUE", True) if has_app_context() else True
    queue = writer_queue_for(database) if wanted and on_disk else None

    @event.listens_for(engine, "do_connect")
    def on_do_connect(_dialect, _record, _cargs, cparams):
        if queue is not None:
            cparams["factory"] = QueuedConnection

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        if on_disk:
            cursor.execute("PRAGMA journal_mode = WAL")
        cursor.close()
        if queue is not None:
            dbapi_connection.queue = queue

    @event.listens_for(engine, "begin")
    def on_begin(connection):
        statement = begin_statement()
        dbapi_connection = connection.connection.driver_connection
        if statement == "BEGIN IMMEDIATE" and isinstance(dbapi_connection, QueuedConnection):
            asked = time.perf_counter()
            try:
                dbapi_connection.take_turn()
            except sqlite3.OperationalError as error:  # waited as long as SQLite's busy timeout would have
                raise OperationalError(statement, None, error) from error
            dbapi_connection.waited_s = time.perf_counter() - asked
        try:
            connection.exec_driver_sql(statement)
        except BaseException:
            if isinstance(dbapi_connection, QueuedConnection):
                dbapi_connection.end_turn()
            raise


def begin_statement():
    """BEGIN IMMEDIATE for anything that may write: it takes the write lock up front, so concurrent
    writers queue (busy_timeout) instead of failing when one upgrades a read snapshot. Page views only
    read, and under WAL they must not queue behind each other or behind writers: a plain BEGIN."""
    if has_request_context() and request.method in READ_ONLY_METHODS:
        return "BEGIN"
    return "BEGIN IMMEDIATE"


class WriterQueue:
    """Turns at one SQLite database's write lock: first come, first served among the threads of this process, and
    an flock() on `<database>-writer` among processes.

    A writer waiting in SQLite's busy handler sleeps 1, 2, 5 ... up to 100 ms between tries and is not woken
    when the lock comes free, so under load a few writers wait hundreds of milliseconds while others pass them.
    Here a finishing writer hands its turn to the longest waiting thread at once, and a waiting process is woken
    by the kernel when the lock file is let go. Writers that do not use the queue (the sqlite3 shell) are still waited
    for by the busy handler. A thread that already holds the turn through another connection (a second session
    inside the first) is not queued behind itself: it goes to SQLite, as before, which answers busy after the
    timeout instead of a deadlock here."""

    def __init__(self, lock_path):
        self._lock_path = lock_path
        self._mutex = threading.Lock()
        self._waiting = deque()
        self._owner = None
        self._file = None
        os.register_at_fork(after_in_child=self._forget_turns)

    def _forget_turns(self):
        """In a forked child: the parent's threads, their turn and its lock file are not this process's (closing
        the inherited descriptor leaves the parent's flock alone: the parent still holds its own)."""
        if self._file is not None:
            os.close(self._file)
        self._mutex, self._waiting, self._owner, self._file = threading.Lock(), deque(), None, None

    def acquire(self, timeout=None):
        """Wait for the turn (True); False at once when this thread holds it already; OperationalError
        'database is locked' after `timeout` seconds (the busy timeout), as SQLite says when it runs out."""
        deadline = time.monotonic() + (BUSY_TIMEOUT_S if timeout is None else timeout)
        me = threading.get_ident()
        with self._mutex:
            if self._owner == me:
                return False
            if self._owner is None:
                self._owner = me
                ticket = None
            else:
                ticket = threading.Lock()
                ticket.acquire()
                self._waiting.append((ticket, me))
        if ticket is not None and not self._wait_for(ticket, me, deadline):
            raise sqlite3.OperationalError("database is locked")
        try:
            self._lock_file(deadline)
        except BaseException:
            self._hand_over()
            raise
        return True

    def _wait_for(self, ticket, me, deadline):
        if ticket.acquire(timeout=max(0, deadline - time.monotonic())):
            return True
        with self._mutex:
            if (ticket, me) in self._waiting:
                self._waiting.remove((ticket, me))
                return False
        return True  # handed over between the timeout and the mutex: the turn is ours

    def _lock_file(self, deadline):
        """flock() the lock file; while another process holds it, wait in the kernel's queue of its waiters.

        Waiting there, a process is woken the moment the lock is let go. Trying again after short sleeps let the
        process that had just let go take it again for its next write while the others slept: with 8 gunicorn
        workers writing at once, the slowest 5% of checkouts waited 200 ms and more. flock() itself cannot
        time out, so a helper thread waits in it; if the deadline passes first, the helper lets the lock go as
        soon as it gets it. (Should two processes ever pass at once, SQLite's own lock still keeps the second
        one waiting in its busy handler: this queue only decides who goes first.)"""
        if self._file is None:  # opened in this process: a forked child must not share its parent's (and flock)
            self._file = os.open(self._lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(self._file, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            pass
        waiter = _FileLockWaiter(self._file)
        if not waiter.wait(deadline - time.monotonic()):
            raise sqlite3.OperationalError("database is locked")

    def waiting(self):
        """How many threads of this process wait for the turn."""
        with self._mutex:
            return len(self._waiting)

    def release(self):
        """Let other processes have the lock file, and hand the turn to the longest waiting thread."""
        fcntl.flock(self._file, fcntl.LOCK_UN)
        self._hand_over()

    def _hand_over(self):
        with self._mutex:
            if self._waiting:
                ticket, self._owner = self._waiting.popleft()
                ticket.release()
            else:
                self._owner = None


class _FileLockWaiter:
    """A blocking flock() of `file` in a helper thread, waited for with a timeout (see WriterQueue._lock_file)."""

    def __init__(self, file):
        self._file = file
        self._mutex = threading.Lock()
        self._got = threading.Event()
        self._abandoned = False
        threading.Thread(target=self._lock, name="writer-lock-file", daemon=True).start()

    def _lock(self):
        fcntl.flock(self._file, fcntl.LOCK_EX)
        with self._mutex:
            if self._abandoned:
                fcntl.flock(self._file, fcntl.LOCK_UN)
            else:
                self._got.set()

    def wait(self, timeout):
        """True once the lock is this process's; False after `timeout` seconds (the lock then goes when it comes)."""
        if self._got.wait(max(0.0, timeout)):
            return True
        with self._mutex:
            self._abandoned = not self._got.is_set()
            return not self._abandoned


_queues = {}
_queues_lock = threading.Lock()


def writer_queue_for(database):
    """The process's one WriterQueue for a database file, shared by every engine on it."""
    path = os.path.realpath(database)
    with _queues_lock:
        return _queues.setdefault(path, WriterQueue(f"{path}-writer"))


class QueuedConnection(sqlite3.Connection):
    """A sqlite3 connection that gives its WriterQueue turn back when its transaction ends: after COMMIT or
    ROLLBACK has run (SQLAlchemy's commit event fires before), and when it is closed."""

    queue = None
    holds_turn = False
    waited_s = 0.0  # how long the last write transaction waited for its turn (bench/checkout.py reports it)

    def take_turn(self):
        """Wait for this process's turn at the write lock; OperationalError 'database is locked' after the timeout."""
        if not self.holds_turn:
            self.holds_turn = self.queue.acquire()

    def end_turn(self):
        """Give the turn back unless a transaction is still open on this connection."""
        if self.holds_turn and not self.in_transaction:
            self.holds_turn = False
            self.queue.release()

    def commit(self):
        try:
            super().commit()
        finally:
            self.end_turn()

    def rollback(self):
        try:
            super().rollback()
        finally:
            self.end_turn()

    def close(self):
        try:
            super().close()
        finally:
            if self.holds_turn:
                self.holds_turn = False
                self.queue.release()


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


_compiled = {}


def driver_rows(session, statement, params):
    """The rows of a select, run by the driver's own cursor on the session's connection: tuples as the driver
    returns them (no result processing: SQLite gives dates as text and booleans as 0/1).

    For the few selects that every public page runs, whose rows serve as a kept page's key (web.shared_page)
    or hold only text and whole numbers: SQLAlchemy's execute costs several times the statement itself even
    with its compiled cache (a cache key computed, parameters processed, a Result built). Here the statement
    is compiled once per database kind, like a constant; its parameters must be plain values (str, int), not
    lists (no expanding IN). Listeners of before_ and after_cursor_execute still see the statement."""
    connection = _connection(session() if isinstance(session, scoped_session) else session)
    dialect = connection.dialect
    try:
        sql, names, defaults = _compiled[(statement, dialect.name)]
    except KeyError:
        sql, names, defaults = _compiled[(statement, dialect.name)] = _compile(statement, dialect)
    values = {**defaults, **params} if defaults else params
    arguments = [values[name] for name in names] if names is not None else values
    cursor = _cursor(connection)
    if not (connection._has_events or connection.engine._has_events):
        cursor.execute(sql, arguments)
        return cursor.fetchall()
    connection.dispatch.before_cursor_execute(connection, cursor, sql, arguments, None, False)
    cursor.execute(sql, arguments)
    connection.dispatch.after_cursor_execute(connection, cursor, sql, arguments, None, False)
    return cursor.fetchall()


def driver_instance(session, model, statement, params):
    """(the `model` instance, the values of the columns after the model's) of the first row of a select of the
    model's table columns, in table order, followed by any other columns; (None, ()) when there is no row.

    For the user that every request of a logged-in visitor loads: the row comes from driver_rows, its values
    go through each column type's own result processing, and the instance joins the session as if an ORM query
    had loaded it (make_transient_to_detached, SQLAlchemy's recipe for instances built without SQL), for about a
    third of the query's cost. An instance already in the session's identity map is returned, with whatever a
    commit expired refreshed from the row, as an ORM query does."""
    session = session() if isinstance(session, scoped_session) else session
    rows = driver_rows(session, statement, params)
    if not rows:
        return None, ()
    columns, processors = _instance_columns(model, _connection(session).dialect)
    row = rows[0]
    values = {key: process(value) if process else value
              for key, process, value in zip(columns, processors, row)}
    kept = session.identity_map.get(model.__mapper__.identity_key_from_primary_key(
        [values[column.key] for column in model.__mapper__.primary_key]))
    if kept is None:
        kept = model.__mapper__.class_manager.new_instance()  # as the ORM's loader makes one: no __init__
        vars(kept).update(values)
        make_transient_to_detached(kept)
        session.add(kept)
    else:
        # Expired by a commit, as an ORM query would: its attributes refreshed from this row, not read again.
        for key in inspect(kept).unloaded & values.keys():
            set_committed_value(kept, key, values[key])
    return kept, tuple(row[len(columns):])


_instance_columns_of = {}


def _instance_columns(model, dialect):
    """(attribute keys of the model's table columns in order, each one's result processor or None)."""
    try:
        return _instance_columns_of[(model, dialect.name)]
    except KeyError:
        configure_mappers()  # a process's first query may be this one: new_instance() needs the mapper set up
        table = model.__table__
        mapper = model.__mapper__
        keys = [mapper.get_property_by_column(column).key for column in table.columns]
        processors = [column.type._cached_result_processor(dialect, None) for column in table.columns]
        _instance_columns_of[(model, dialect.name)] = keys, processors
        return keys, processors


def _connection(session):
    """session.connection(), remembered for the session's transaction: asking the session each time went
    through its transaction's state machine, a twentieth of a page that reads five times."""
    transaction = session.get_transaction()
    kept = session.info.get(_CONNECTION)
    if transaction is not None and kept is not None and kept[0] is transaction:
        return kept[1]
    connection = session.connection()
    session.info[_CONNECTION] = (session.get_transaction(), connection)
    return connection


_CONNECTION = "pasardesa_driver_connection"


def _cursor(connection):
    """The driver connection's one cursor for driver_rows, made once: a new cursor per statement cost a tenth of
    a search page on SQLite. A cursor whose rows were all fetched holds nothing, and a connection serves one
    thread at a time."""
    dbapi_connection = connection.connection.dbapi_connection
    info = connection.info
    kept = info.get(_CURSOR)
    if kept is None or kept[0] is not dbapi_connection:
        kept = info[_CURSOR] = (dbapi_connection, dbapi_connection.cursor())
    return kept[1]


_CURSOR = "pasardesa_driver_cursor"


def _compile(statement, dialect):
    """(SQL text, bind names in order for a positional driver or None, the statement's own bind values)."""
    compiled = statement.compile(dialect=dialect)
    if "__[POSTCOMPILE_" in compiled.string:
        raise ValueError("driver_rows() cannot run a statement with an expanding or literal-execute parameter")
    processors = compiled._bind_processors
    defaults = {name: processors[name](value) if name in processors else value
                for name, value in compiled.construct_params(_check=False).items() if value is not None}
    names = list(compiled.positiontup) if dialect.positional else None
    return compiled.string, names, defaults
