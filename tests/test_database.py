"""SQLite transactions: page views read without the write lock, everything else takes it up front."""
import sqlite3

import pytest

from marketplace import create_app
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
