"""Engine settings that make SQLite behave like the production database where it matters: real BEGIN and
SAVEPOINT, foreign keys, WAL, and writers taking turns at the write lock (WriterQueue)."""
import fcntl
import os
import sqlite3
import threading
import time
from collections import deque

from flask import current_app, has_app_context, has_request_context, request
from sqlalchemy import event
from sqlalchemy.exc import OperationalError

from .database import READ_ONLY_METHODS

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
