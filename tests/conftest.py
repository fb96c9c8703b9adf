"""Fixtures: a real database (SQLite, or PostgreSQL when TEST_DATABASE_URL is set), one rolled-back
transaction per test, factories that return callables."""
import os
import uuid
from contextlib import contextmanager, nullcontext

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.orm import scoped_session, sessionmaker

from flask import g
from flask.testing import FlaskClient

from marketplace import create_app
from marketplace.extensions import db
from marketplace.payments.settle import latest_attempt
from tests.browser import missing_browser

TEST_PASSWORD = "correct horse battery"
# The tests' own webhook signing secret (an app without one makes its own in its instance folder).
TEST_WEBHOOK_SECRET = "whsec_pasardesa_development"


def pytest_terminal_summary(terminalreporter):
    """One clear line at the end of the run when the browser journeys were skipped. It lives here, not in
    tests/browser/: with `-n`, the workers collect and skip, and only this conftest is loaded where the
    summary is written."""
    reason = missing_browser()
    skipped = [report for report in terminalreporter.stats.get("skipped", []) if reason and reason in str(report.longrepr)]
    if skipped:
        terminalreporter.write_line(f"{len(skipped)} browser tests skipped: {reason}", yellow=True, bold=True)


# About how long one test takes, by its mark: enough to tell the long files from the short ones (see below).
_SECONDS_BY_MARK = {"browser": 3.0, "slow": 1.0}
_SECONDS_OTHERWISE = 0.1


def pytest_configure(config):
    """With `-n 2 --dist loadfile` (make test) xdist hands out whole files, by default those with the most tests
    first, which leaves the browser journeys (few tests, seconds each) and the concurrency tests for the end, where
    one process can be left running a long one while the other has nothing to do. The files go out in the order
    pytest_collection_modifyitems gives them instead: the longest first, the short ones fill in at the end."""
    if getattr(config.option, "dist", "no") == "loadfile":
        config.option.loadscopereorder = False


def pytest_collection_modifyitems(config, items):
    """In a test process of `-n`: the files longest first (estimated from their tests' marks), each file's tests in
    their order. A run in one process keeps the files in their usual order."""
    if not hasattr(config, "workerinput"):
        return
    seconds = {}
    for item in items:
        mark = next((name for name in _SECONDS_BY_MARK if item.get_closest_marker(name)), None)
        seconds[item.path] = seconds.get(item.path, 0) + _SECONDS_BY_MARK.get(mark, _SECONDS_OTHERWISE)
    items.sort(key=lambda item: -seconds[item.path])  # stable: a file's tests stay together and in order


def _create_server_database(base_url):
    """A fresh database on the server so that two runs never collide; returns its URL."""
    url = make_url(base_url)
    name = f"pasardesa_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name), name


def _drop_server_database(base_url, name):
    admin = sa.create_engine(make_url(base_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def server_database():
    """A factory of throw-away databases: SQLite files, or databases on TEST_DATABASE_URL's server."""
    base = os.environ.get("TEST_DATABASE_URL")
    created = []

    def make(tmp_dir):
        if not base:
            return f"sqlite:///{tmp_dir}/test-{uuid.uuid4().hex[:8]}.db"
        url, name = _create_server_database(base)
        created.append(name)
        return url.render_as_string(hide_password=False)

    yield make
    for name in created:
        _drop_server_database(base, name)


@pytest.fixture(scope="session")
def database_url(server_database, tmp_path_factory):
    """The suite's database, with every table created once."""
    url = server_database(tmp_path_factory.mktemp("db"))
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True, "SECRET_KEY": "test-secret",
                      "STRIPE_WEBHOOK_SECRET": TEST_WEBHOOK_SECRET})
    with app.app_context():
        db.create_all()
        from marketplace.catalogue.categories import ensure_categories

        ensure_categories()
        db.session.commit()
        db.engine.dispose()
    return url


def app_settings(tmp_path, database_url):
    """Settings for a test app: the shared database, files in tmp_path, cheap but real argon2id."""
    return {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": "test-secret",
        "SITE_URL": "http://localhost",
        "STRIPE_WEBHOOK_SECRET": TEST_WEBHOOK_SECRET,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "MEDIA_ROOT": str(tmp_path / "media"),
        "MAIL_OUTBOX_DIR": str(tmp_path / "mail"),
        "SEARCH_INDEX_DIR": str(tmp_path / "search-index"),
        "ARGON2_MEMORY_KIB": 1024,
        "ARGON2_TIME_COST": 1,
        # Tests buy a listing's whole stock on purpose (sell-outs, races); the cap's own tests lower it.
        "UNPAID_ORDER_MAX_STOCK_PERCENT": 100,
    }


class FreshRequestClient(FlaskClient):
    """The test keeps an app context open for its service calls; Flask would reuse it, and its `g`
    (logged-in user, CSRF token, locale), for every request. Each request starts with an empty `g`,
    as it does in production, where every request has its own app context."""

    def open(self, *args, **kwargs):
        vars(g).clear()
        try:
            return super().open(*args, **kwargs)
        finally:
            vars(g).clear()


def _test_app(settings):
    app = create_app(settings)
    app.test_client_class = FreshRequestClient
    return app


@pytest.fixture(scope="session")
def shared_app(database_url, tmp_path_factory):
    """One app for the whole run (building one costs 20-60 ms, and the suite has thousands of tests)."""
    app = _test_app(app_settings(tmp_path_factory.mktemp("app"), database_url))
    yield app
    with app.app_context():
        db.engine.dispose()


# What one test may leave in the shared app: caches keyed by files of its tmp_path, counted requests.
_PER_TEST_STATE = ("pasar_search", "home_page_cache", "home_page_rows", "catalogue_categories", "pasardesa_stripe")


@contextmanager
def _fresh_state(app, tmp_path):
    """The shared app as a new one would be: files in this test's tmp_path, caches empty, no request counted, and
    every setting the test changes put back afterwards."""
    from marketplace.extensions import limiter

    saved = dict(app.config)
    app.config.update({key: value for key, value in app_settings(tmp_path, None).items()
                       if key.endswith(("_ROOT", "_DIR"))})
    for name in _PER_TEST_STATE:
        app.extensions.pop(name, None)
    # Flask-Limiter has one Limiter for every app: an app made since (a committed market, with its limits off)
    # switched it for all of them.
    limiter.enabled = app.config["RATELIMIT_ENABLED"]
    limiter.reset()
    try:
        yield app
    finally:
        app.config.clear()
        app.config.update(saved)
        for name in _PER_TEST_STATE:
            app.extensions.pop(name, None)


@pytest.fixture
def app(request, tmp_path, database_url):
    """The app, with every database change of the test rolled back at the end.

    The run shares one app; a test that changes the app itself (adds routes) or needs settings read only at
    start is marked `@pytest.mark.own_app` (with settings as keyword arguments) and gets a new one."""
    with app_of_test(request, tmp_path, database_url) as app:
        yield app


@contextmanager
def app_of_test(request, tmp_path, database_url):
    """What the `app` fixture yields, for a fixture of the same name that wants it only for some tests."""
    marker = request.node.get_closest_marker("own_app")
    if marker:
        app = _test_app({**app_settings(tmp_path, database_url), **marker.kwargs})
        state = nullcontext(app)
    else:
        app = request.getfixturevalue("shared_app")
        state = _fresh_state(app, tmp_path)
    with state, app.app_context(), _rolled_back():
        try:
            yield app
        finally:
            if marker:
                db.engine.dispose()


@contextmanager
def _rolled_back(connection=None):
    """Inside an app context: every database change made until the end (commits included) is rolled back.

    With `connection` (one inside a transaction of its own, holding rows several tests share), the changes are
    made in a savepoint of it, and rolled back to it: the next test sees the shared rows as they were."""
    own = connection is None
    if own:
        connection = db.engine.connect()
    outer = connection.begin() if own else connection.begin_nested()
    try:
        with session_on(connection):
            yield
    finally:
        outer.rollback()
        if own:
            connection.close()


@contextmanager
def session_on(connection):
    """db.session on `connection` until the end, its commits savepoints of the connection's open transaction."""
    original_session = db.session
    db.session = scoped_session(sessionmaker(bind=connection, join_transaction_mode="create_savepoint"))
    try:
        yield
    finally:
        db.session.remove()
        db.session = original_session


class DemoMarket:
    """The demo marketplace as `flask seed-demo` leaves it, in a database and files of its own."""

    def __init__(self, app, output):
        self.app = app
        self.output = output  # what seed-demo printed


@pytest.fixture(scope="session")
def demo_market(server_database, tmp_path_factory):
    """`flask seed-demo` run once per test process into an empty database of its own (seeding costs seconds:
    38 photos drawn and encoded); the tests that read the demo share it, each in a rolled-back transaction."""
    from sqlalchemy import func, select

    from marketplace.accounts.models import User
    from marketplace.catalogue.categories import ensure_categories

    files = tmp_path_factory.mktemp("demo")
    app = _test_app(app_settings(files, server_database(files)))
    with app.app_context():
        db.create_all()
        ensure_categories()
        db.session.commit()
        assert db.session.scalar(select(func.count(User.id))) == 0  # seed-demo wants no users at all
        result = app.test_cli_runner().invoke(args=["seed-demo"])
        assert result.exit_code == 0, result.output
        db.session.remove()
    yield DemoMarket(app, result.output)
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def demo(demo_market):
    """The seeded demo marketplace, with every database change of the test rolled back at the end."""
    from marketplace.extensions import limiter

    limiter.enabled = demo_market.app.config["RATELIMIT_ENABLED"]
    limiter.reset()
    with demo_market.app.app_context(), _rolled_back():
        yield demo_market


@pytest.fixture
def client(app):
    """A test client with CSRF on, as in production."""
    return app.test_client()


@pytest.fixture
def runner(app):
    """A CLI runner for the app's commands."""
    return app.test_cli_runner()


@pytest.fixture
def make_user(app):
    """Create a user: make_user(role="buyer", email=None, password=TEST_PASSWORD, verified=True)."""
    return user_maker()


def user_maker():
    """make_user's function, for fixtures that build rows outside one test (inside an app context)."""
    from marketplace.accounts import service

    def make(role="buyer", email=None, password=TEST_PASSWORD, name="Tester", verified=True):
        email = email or f"{role}-{uuid.uuid4().hex[:8]}@example.com"
        user = service.register_user(email=email, name=name, phone="081234567890", password=password, role=role,
                                     verified=verified)
        db.session.commit()
        return user

    return make


def csrf_token(client, path="/login"):
    """The CSRF token of the form on `path`, read from the page as a browser would."""
    import re

    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


class Auth:
    """Log in and out through the real forms."""

    def __init__(self, client):
        self.client = client

    def login(self, email, password=TEST_PASSWORD):
        token = csrf_token(self.client, "/login")
        return self.client.post("/login", data={"email": email, "password": password, "csrf_token": token})

    def logout(self):
        token = csrf_token(self.client, "/")
        return self.client.post("/logout", data={"csrf_token": token})


@pytest.fixture
def auth(client):
    """Log in and out through the real forms."""
    return Auth(client)


@pytest.fixture
def make_shop(app, make_user):
    """Open a shop: make_shop(owner=None, name=None, district_code="64.02.06", **details)."""
    return shop_maker(make_user)


def shop_maker(make_user):
    """make_shop's function, for fixtures that build rows outside one test (inside an app context)."""
    from marketplace import regions
    from marketplace.shops import service

    def make(owner=None, name=None, district_code="64.02.06", **details):
        owner = owner or make_user("producer")
        fields = dict(name=name or f"Toko {uuid.uuid4().hex[:6]}", story="Cerita toko.",
                      district_code=district_code, village_code=regions.children(district_code)[0][0],
                      whatsapp="0812 3456 7890", shipping_fee_idr=10000, pickup_allowed=True)
        fields.update(details)
        shop = service.open_shop(owner, service.ShopDetails(**fields))
        db.session.commit()
        return shop

    return make


@pytest.fixture
def make_product(app, make_shop, make_user):
    """Create a listing: make_product(shop=None, status="approved", title=..., category="madu", photos=(),
    **fields); photos are processed images, or (image, alt text) pairs, attached while it is a draft.

    `status` is reached through the real service functions (submit, approve, reject, archive)."""
    return product_maker(make_shop, make_user)


def product_maker(make_shop, make_user):
    """make_product's function, for fixtures that build rows outside one test (inside an app context)."""
    from sqlalchemy import select

    from marketplace.catalogue import service
    from marketplace.catalogue.models import Category
    from marketplace.moderation import service as moderation

    def make(shop=None, status="approved", title=None, category="madu", photos=(), **fields):
        shop = shop or make_shop()
        category_id = db.session.scalar(select(Category.id).where(Category.slug == category))
        details = dict(title=title or f"Madu kelulut {uuid.uuid4().hex[:6]}", description="Madu asli.",
                       category_id=category_id, price_idr=50000, stock=10, unit="250 ml", weight_g=300)
        details.update(fields)
        product = service.create_product(shop, service.ProductDetails(**details))
        # Photos go on before the review: a photo added to an approved listing waits for an admin.
        for photo in photos:
            stored, alt_text = photo if isinstance(photo, tuple) else (photo, "")
            service.add_photo(product, stored, alt_text)
        if status != "draft":
            service.submit_product(product)
        if status in ("approved", "rejected", "archived"):
            admin = make_user("admin")
            if status == "rejected":
                moderation.reject_product(product, admin, "Foto kurang jelas")
            else:
                moderation.approve_product(product, admin)
        if status == "archived":
            service.archive_product(product)
        db.session.commit()
        return product

    return make


@pytest.fixture
def make_order(app, make_user, make_product):
    """make_order(buyer=None, lines=None, fulfilment="delivery", paid=True) -> Order, placed through the cart and
    the real checkout, then (when paid) paid at the Stripe stand-in and settled by its signed webhook event.

    lines is [(product, quantity)]; the default is one new listing (stock 10, Rp50.000) bought twice.
    fulfilment is "delivery" or "pickup" for every shop of the order."""
    return order_maker(app, make_user, make_product)


def order_maker(app, make_user, make_product):
    """make_order's function, for fixtures that build rows outside one test (inside an app context)."""
    from marketplace.orders import cart, service
    from marketplace.payments import service as payments
    from marketplace.payments import standin, webhooks
    from tests.orders.helpers import address, signed

    def make(buyer=None, lines=None, fulfilment="delivery", paid=True):
        buyer = buyer or make_user("buyer")
        lines = lines or [(make_product(stock=10, price_idr=50000), 2)]
        basket = cart.AccountCart(buyer)
        for product, quantity in lines:
            cart.add_to_cart(basket, str(product.id), str(quantity))
        choices = {product.shop_id: fulfilment for product, _quantity in lines}
        order = service.place_order(buyer, address(), choices)
        db.session.commit()
        if not paid:
            return order
        with app.test_request_context():
            request = payments.checkout_request(order, "http://localhost/ok", "http://localhost/cancel")
            db.session.commit()
            payments.remember_session(request.order_id, payments.open_checkout(request))
            db.session.commit()
            session = db.session.get(standin.StandinCheckoutSession, latest_attempt(order).stripe_session_id)
            for event in standin.finish_session(session, paid=True):
                webhooks.handle(*signed(event, secret=app.config["STRIPE_WEBHOOK_SECRET"]))
            db.session.commit()
        db.session.refresh(order)
        assert order.state == "paid"
        return order

    return make


@pytest.fixture
def count_queries(app):
    """count_queries(fn) -> (fn's result, number of SQL statements it sent; transaction control not counted)."""

    def run(fn):
        statements = []

        def record(conn, cursor, statement, *args):
            if statement.lstrip().split(None, 1)[0].upper() in ("SELECT", "INSERT", "UPDATE", "DELETE", "WITH"):
                statements.append(statement)

        sa.event.listen(db.engine, "before_cursor_execute", record)
        try:
            result = fn()
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", record)
        return result, len(statements)

    return run
