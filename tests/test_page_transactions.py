"""Public pages marked reads_only read in autocommit on PostgreSQL (no BEGIN, no ROLLBACK), a write in such a
view is still one transaction, and the pool pings only connections that sat idle.

These tests need the app's own engine, not the rolled-back connection of the other tests: the app here has a
database of its own, with the categories and one shop's listing in it."""
import pytest
from sqlalchemy import create_engine, event, select, text

from marketplace.catalogue.categories import ensure_categories
from marketplace.catalogue.models import Category
from marketplace.database import IDLE_PING_S, reads_only
from marketplace.extensions import db
from marketplace import create_app
from tests.conftest import app_settings

PUBLIC_PAGES = ["/", "/kategori/minuman", "/search?q=madu", "/api/v1/search?q=madu"]


def _add_category(slug):
    db.session.add(Category(slug=slug, name_id=slug, name_en=slug, position=99))
    db.session.flush()


@reads_only
def write_one():
    """A reads_only view that writes all the same (?twice=1: the second row breaks the unique slug)."""
    from flask import request

    db.session.scalar(select(Category.id).limit(1))  # a read first, in autocommit on PostgreSQL
    _add_category("tulis-satu")
    if request.args.get("twice"):
        _add_category("tulis-satu")
    db.session.commit()
    return "ok"


def read_plain():
    """A view not marked reads_only that reads."""
    return str(db.session.scalar(select(Category.id).limit(1)))


@pytest.fixture(scope="module")
def own_app(server_database, tmp_path_factory):
    files = tmp_path_factory.mktemp("transactions")
    # Flask's own test client: each request in an app context of its own, its connection back in the pool after.
    app = create_app({**app_settings(files, server_database(files)), "PROPAGATE_EXCEPTIONS": False,
                     "HOME_PAGE_CACHE_SECONDS": 0})
    app.add_url_rule("/test/write-one", view_func=write_one)
    app.add_url_rule("/test/read-plain", view_func=read_plain)
    with app.app_context():
        db.create_all()
        ensure_categories()
        db.session.commit()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def postgres(own_app):
    with own_app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("autocommit reads and the idle ping are PostgreSQL's")
    return own_app


def _transaction_states(app, path):
    """psycopg's transaction status right after each statement of a GET of path."""
    states = []

    def after(connection, _cursor, _statement, *_args):
        states.append(connection.connection.dbapi_connection.info.transaction_status.name)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "after_cursor_execute", after)
    try:
        assert app.test_client().get(path).status_code == 200
    finally:
        event.remove(engine, "after_cursor_execute", after)
    return states


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_pages_read_outside_a_transaction(postgres, path):
    states = _transaction_states(postgres, path)
    assert states and set(states) == {"IDLE"}


def test_other_pages_still_read_in_a_transaction(postgres):
    assert "INTRANS" in _transaction_states(postgres, "/test/read-plain")


def _slugs(app):
    with app.app_context():
        found = set(db.session.scalars(select(Category.slug).where(Category.slug.like("tulis-%"))))
        db.session.remove()
        return found


def _forget_written(app):
    with app.app_context():
        db.session.execute(Category.__table__.delete().where(Category.slug.like("tulis-%")))
        db.session.commit()


def test_a_write_in_a_reads_only_view_commits(own_app):
    try:
        assert own_app.test_client().get("/test/write-one").status_code == 200
        assert _slugs(own_app) == {"tulis-satu"}
    finally:
        _forget_written(own_app)


def test_a_failed_write_in_a_reads_only_view_leaves_nothing(own_app):
    # Had the first row been written in autocommit, it would stay behind when the second one fails.
    assert own_app.test_client().get("/test/write-one?twice=1").status_code == 500
    assert _slugs(own_app) == set()
    # The connection went back to the pool in working order: a page still reads.
    assert own_app.test_client().get("/kategori/minuman").status_code == 200


def test_young_connections_are_not_pinged_and_idle_ones_are(postgres):
    pings = []
    with postgres.app_context():
        engine = db.engine
    original = engine.dialect.do_ping
    engine.dialect.do_ping = lambda connection: pings.append(1) or original(connection)
    try:
        client = postgres.test_client()
        assert client.get("/kategori/minuman").status_code == 200
        assert client.get("/kategori/minuman").status_code == 200
        assert pings == []
        _age_idle_connections(engine, IDLE_PING_S + 1)
        assert client.get("/kategori/minuman").status_code == 200
        assert pings == [1]
    finally:
        del engine.dialect.do_ping


def test_a_connection_that_died_while_idle_is_replaced(postgres):
    with postgres.app_context():
        engine = db.engine
    with engine.connect() as connection:
        pid = connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
    other = create_engine(engine.url, isolation_level="AUTOCOMMIT")
    with other.connect() as connection:
        assert connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar_one()
    other.dispose()
    _age_idle_connections(engine, IDLE_PING_S + 1)
    assert postgres.test_client().get("/kategori/minuman").status_code == 200


def _age_idle_connections(engine, seconds):
    for record in list(engine.pool._pool.queue):
        if "idle_since" in record.info:
            record.info["idle_since"] -= seconds


def test_driver_rows_match_sqlalchemys_and_refuse_an_expanding_in(app):
    from sqlalchemy import bindparam

    from marketplace.driver_reads import driver_rows

    statement = (select(Category.slug, Category.name_id).where(Category.parent_id.is_(None),
                                                                Category.slug != bindparam("left_out"))
                 .order_by(Category.position, Category.id).limit(bindparam("limit")))
    params = {"left_out": "madu", "limit": 3}
    expected = [tuple(row) for row in db.session.execute(statement, params)]
    assert len(expected) == 3 and "madu" not in {slug for slug, _name in expected}
    assert [tuple(row) for row in driver_rows(db.session, statement, params)] == expected
    with pytest.raises(ValueError):
        driver_rows(db.session, select(Category.id).where(Category.id.in_(bindparam("ids", expanding=True))),
                    {"ids": [1, 2]})
