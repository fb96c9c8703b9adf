"""SQLite transactions: page views read without the write lock, everything else takes it up front, and the
writers of one process take turns at it in arrival order."""
import multiprocessing
import sqlite3
import threading
import time

import pytest
from sqlalchemy.exc import IntegrityError, OperationalError

from marketplace import create_app, sqlite_writes
from marketplace.database import side_session
from marketplace.sqlite_writes import writer_queue_for
from marketplace.extensions import db


@pytest.fixture
def sqlite_app(tmp_path):
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/lock.db", "SECRET_KEY": "x",
                      "TESTING": True})
    with app.app_context():
        db.create_all()
    yield app
    with app.app_context():
        db.engine.dispose()


def _writer_blocked(path):
    """True when another connection cannot take the write lock right now."""
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        return False
    except sqlite3.OperationalError:
        return True
    finally:
        other.close()


@pytest.mark.parametrize("method, holds_write_lock", [("GET", False), ("HEAD", False), ("POST", True)])
def test_only_writes_take_the_lock(sqlite_app, tmp_path, method, holds_write_lock):
    with sqlite_app.test_request_context("/", method=method):
        db.session.execute(db.text("SELECT count(*) FROM user"))
        assert _writer_blocked(f"{tmp_path}/lock.db") is holds_write_lock
        db.session.rollback()


def test_cli_and_background_work_take_the_lock(sqlite_app, tmp_path):
    with sqlite_app.app_context():
        db.session.execute(db.text("SELECT 1"))
        assert _writer_blocked(f"{tmp_path}/lock.db")
        db.session.rollback()
        assert not _writer_blocked(f"{tmp_path}/lock.db")


# The writer queue: a process's writers take turns at SQLite's write lock in arrival order.

def _writer(app, name, hold=0.0, started=None):
    """A callable that writes one row named `name` in its own thread's session and commits."""

    def write():
        with app.app_context():
            try:
                if started is not None:
                    started.set()
                db.session.execute(db.text("INSERT INTO probe (name) VALUES (:name)"), {"name": name})
                time.sleep(hold)
                db.session.commit()
            finally:
                db.session.remove()

    return write


@pytest.fixture
def probe_app(sqlite_app):
    with sqlite_app.app_context():
        db.session.execute(db.text("CREATE TABLE probe (id INTEGER PRIMARY KEY, name TEXT UNIQUE)"))
        db.session.commit()
    return sqlite_app


def _names(app):
    with app.app_context():
        names = db.session.scalars(db.text("SELECT name FROM probe ORDER BY id")).all()
        db.session.rollback()
        return names


def _wait_until(condition, seconds=10):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.002)


def test_writers_take_turns_in_arrival_order(probe_app, tmp_path):
    queue = writer_queue_for(f"{tmp_path}/lock.db")
    first = threading.Thread(target=_writer(probe_app, "first", hold=0.3))
    first.start()
    _wait_until(lambda: _writer_blocked(f"{tmp_path}/lock.db"))
    threads = []
    for number in range(6):
        thread = threading.Thread(target=_writer(probe_app, f"w{number}"))
        thread.start()
        _wait_until(lambda: queue.waiting() == number + 1)  # queued behind the ones before it
        threads.append(thread)
    for thread in [first, *threads]:
        thread.join(10)
    assert _names(probe_app) == ["first"] + [f"w{number}" for number in range(6)]


def test_many_threads_write_without_database_is_locked(probe_app):
    errors = []

    def buyer(number):
        try:
            for round_ in range(15):
                _writer(probe_app, f"{number}-{round_}", hold=0.001)()
        except Exception as error:  # noqa: BLE001 - collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=buyer, args=(number,)) for number in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert len(_names(probe_app)) == 8 * 15


@pytest.mark.parametrize("ending", ["rollback", "error"])
def test_the_turn_is_given_back_when_the_transaction_fails(probe_app, tmp_path, ending):
    queue = writer_queue_for(f"{tmp_path}/lock.db")
    with probe_app.app_context():
        db.session.execute(db.text("INSERT INTO probe (name) VALUES ('taken')"))
        db.session.commit()
        if ending == "error":
            with pytest.raises(IntegrityError):
                db.session.execute(db.text("INSERT INTO probe (name) VALUES ('taken')"))
        else:
            db.session.execute(db.text("INSERT INTO probe (name) VALUES ('undone')"))
        db.session.rollback()
        assert queue.waiting() == 0 and not _writer_blocked(f"{tmp_path}/lock.db")
        other = threading.Thread(target=_writer(probe_app, "next"))
        other.start()
        other.join(2)
        assert not other.is_alive()
    assert _names(probe_app) == ["taken", "next"]


def _in_another_process(app, name, hold):
    """A forked process that writes `name` and holds its transaction for `hold` seconds; returns it once the
    row is written (the write lock taken)."""
    context = multiprocessing.get_context("fork")
    written = context.Event()

    def write():
        with app.app_context():
            db.engine.dispose(close=False)  # the parent's connections are not this process's
            db.session.execute(db.text("INSERT INTO probe (name) VALUES (:name)"), {"name": name})
            written.set()
            time.sleep(hold)
            db.session.commit()

    child = context.Process(target=write)
    child.start()
    assert written.wait(10)
    return child


def test_another_processs_writer_is_waited_for_then_passed(probe_app):
    child = _in_another_process(probe_app, "other process", hold=0.3)
    began = time.monotonic()
    _writer(probe_app, "ours")()
    assert time.monotonic() - began >= 0.2
    child.join(5)
    assert child.exitcode == 0
    assert _names(probe_app) == ["other process", "ours"]


def test_a_process_waiting_for_the_lock_file_is_woken_by_the_kernel_not_by_tries(probe_app, monkeypatch):
    """While another process holds the turn for 0.3 s, this one waits in flock() itself: one try that finds it
    taken, then one blocking call. Trying every few milliseconds let the process that had just let go take it
    again while the others slept (8 workers checking out at once: the slowest 5% waited over 200 ms)."""
    calls = []

    def counted(file, operation):
        calls.append(operation)
        return real_flock(file, operation)

    real_flock = sqlite_writes.fcntl.flock
    monkeypatch.setattr(sqlite_writes.fcntl, "flock", counted)
    child = _in_another_process(probe_app, "other process", hold=0.3)
    _writer(probe_app, "ours")()
    child.join(5)
    tries = [op for op in calls if op == sqlite_writes.fcntl.LOCK_EX | sqlite_writes.fcntl.LOCK_NB]
    assert len(tries) == 1 and sqlite_writes.fcntl.LOCK_EX in calls
    assert _names(probe_app) == ["other process", "ours"]


def test_a_writer_outside_the_queue_is_waited_for_by_sqlites_busy_handler(probe_app, tmp_path):
    """The sqlite3 shell, or any program without the queue, holding the write lock for 0.3 s."""
    other = sqlite3.connect(f"{tmp_path}/lock.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO probe (name) VALUES ('shell')")
    started = threading.Event()
    ours = threading.Thread(target=_writer(probe_app, "ours", started=started))
    ours.start()
    started.wait(5)
    time.sleep(0.3)
    assert ours.is_alive()  # still waiting
    other.execute("COMMIT")
    other.close()
    ours.join(5)
    assert _names(probe_app) == ["shell", "ours"]


def test_waiting_longer_than_the_busy_timeout_fails_and_gives_the_turn_back(probe_app, tmp_path, monkeypatch):
    monkeypatch.setattr(sqlite_writes, "BUSY_TIMEOUT_S", 0.2)
    child = _in_another_process(probe_app, "other process", hold=1.0)
    with probe_app.app_context():
        with pytest.raises(OperationalError, match="database is locked"):
            db.session.execute(db.text("INSERT INTO probe (name) VALUES ('too late')"))
        db.session.rollback()
        child.join(5)
        db.session.execute(db.text("INSERT INTO probe (name) VALUES ('in time')"))
        db.session.commit()
    assert writer_queue_for(f"{tmp_path}/lock.db").waiting() == 0
    assert _names(probe_app) == ["other process", "in time"]


def test_a_second_session_inside_a_write_fails_instead_of_waiting_for_itself(probe_app, monkeypatch):
    """A session of its own opened while the thread's own write transaction holds the lock cannot get it: it
    fails after the busy timeout, as without the queue, rather than waiting for its own thread for ever; a
    savepoint in the same session is fine."""
    monkeypatch.setattr(sqlite_writes, "BUSY_TIMEOUT_S", 0.2)
    with probe_app.app_context():
        db.session.execute(db.text("INSERT INTO probe (name) VALUES ('outer')"))
        with db.session.begin_nested():
            db.session.execute(db.text("INSERT INTO probe (name) VALUES ('savepoint')"))
        with pytest.raises(OperationalError, match="database is locked"):
            with side_session(db.engine, {}) as side:
                side.execute(db.text("INSERT INTO probe (name) VALUES ('side')"))
        db.session.commit()
        with side_session(db.engine, {}) as side:
            side.execute(db.text("INSERT INTO probe (name) VALUES ('after')"))
    assert _names(probe_app) == ["outer", "savepoint", "after"]


def test_page_views_do_not_wait_for_the_writers_turn(probe_app, tmp_path):
    started = threading.Event()
    writer = threading.Thread(target=_writer(probe_app, "slow", hold=0.5, started=started))
    writer.start()
    started.wait(5)
    _wait_until(lambda: _writer_blocked(f"{tmp_path}/lock.db"))
    began = time.monotonic()
    with probe_app.test_request_context("/", method="GET"):
        assert db.session.scalars(db.text("SELECT name FROM probe")).all() == []
        db.session.rollback()
    assert time.monotonic() - began < 0.4
    writer.join(5)


def test_without_the_queue_writers_wait_in_sqlites_busy_handler(tmp_path):
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/plain.db", "SECRET_KEY": "x",
                      "TESTING": True, "SQLITE_WRITER_QUEUE": False})
    with app.app_context():
        db.session.execute(db.text("SELECT 1"))
        assert not isinstance(db.session.connection().connection.driver_connection, sqlite_writes.QueuedConnection)
        db.session.rollback()
        db.engine.dispose()
