"""Rows that the tests of one module share, built once for the module instead of once per test.

`world_built, app, world = module_world(build)` in a test module: `build(makers)` makes the rows (through the real
services, with makers.user, makers.shop, makers.product and makers.order; makers.app is the app) and returns them
as a dict. They are made in a transaction of a connection of their own, which is never committed and is rolled
back after the module's last test. Every test of the module works in a savepoint of that transaction, rolled back
at its end, so each test sees the world exactly as built, whatever the tests before it changed; `world` gives the
test the built rows again, read in its own session.

Only for modules whose every test can run on that connection: none may open a connection of its own to write
(with SQLite the world's transaction holds the database's write lock until the module ends), none may be marked
`own_app`, and a test that counts all the rows of a table counts the world's too. Files the build stored (photos)
are in the module's folder; each test's files are in its own tmp_path, as usual.
"""
import copy
from contextlib import contextmanager
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from marketplace.extensions import db


def module_world(build):
    """The fixtures `world_built` (module), `app` and `world` of a module whose tests share the rows of build()."""

    @pytest.fixture(scope="module")
    def world_built(shared_app, tmp_path_factory):
        """The world, built once for the module: (its connection, its rows as model classes and ids)."""
        with built_once(shared_app, tmp_path_factory.mktemp("world"), build) as built:
            yield built

    @pytest.fixture
    def app(shared_app, tmp_path, world_built):
        """The shared app, its files in this test's tmp_path, every database change rolled back to the world."""
        from tests.conftest import _fresh_state, _rolled_back

        connection, _rows = world_built
        with _fresh_state(shared_app, tmp_path), shared_app.app_context(), _rolled_back(connection):
            yield shared_app

    @pytest.fixture
    def world(app, world_built):
        """The world's rows, read again in this test's session (other values: a copy of them as built)."""
        return {name: _load(value) for name, value in world_built[1].items()}

    return world_built, app, world


@contextmanager
def built_once(shared_app, folder, build):
    """(connection, rows) with the world built in the connection's open transaction, rolled back at the end."""
    from tests.conftest import _fresh_state, order_maker, product_maker, session_on, shop_maker, user_maker

    with _fresh_state(shared_app, folder), shared_app.app_context():
        connection = db.engine.connect()
        outer = connection.begin()
        try:
            with session_on(connection):
                make_user = user_maker()
                make_shop = shop_maker(make_user)
                make_product = product_maker(make_shop, make_user)
                makers = SimpleNamespace(user=make_user, shop=make_shop, product=make_product,
                                         order=order_maker(shared_app, make_user, make_product), app=shared_app)
                rows = {name: _remembered(value) for name, value in build(makers).items()}
                db.session.commit()
            yield connection, rows
        finally:
            outer.rollback()
            connection.close()


class _Row:
    """A built model row, remembered by its class and primary key (its session ends with the build)."""

    def __init__(self, model, key):
        self.model, self.key = model, key


def _remembered(value):
    if isinstance(value, db.Model):
        db.session.flush()
        return _Row(type(value), sa.inspect(value).identity)
    return value


def _load(value):
    if isinstance(value, _Row):
        row = db.session.get(value.model, value.key)
        assert row is not None, f"the world's {value.model.__name__} {value.key} is gone"
        return row
    return copy.deepcopy(value)  # what one test does to it, the next does not see
