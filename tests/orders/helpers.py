"""Helpers shared by the order and payment tests: the stock invariant, a committed database of our own,
a valid delivery address, and Stripe-signed webhook deliveries."""
import json
import threading
import time
import uuid

import sqlalchemy as sa
from sqlalchemy import event as sa_event, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from marketplace import create_app, regions
from marketplace.catalogue.models import Product
from marketplace.extensions import db
from marketplace.orders.address import Address
from marketplace.orders.models import HOLDING_STATES, Order, OrderItem, ShopOrder
from marketplace.payments import standin
from tests.conftest import TEST_PASSWORD, TEST_WEBHOOK_SECRET

KUKAR_VILLAGE = regions.children("64.02.06")[0][0]


def address(**overrides):
    """A valid address in Tenggarong Seberang, Kutai Kartanegara."""
    fields = dict(recipient_name="Rina Wulandari", phone="0812 3456 7890", street="Jl. Poros No. 12, RT 03",
                  province_code="64", regency_code="64.02", district_code="64.02.06", village_code=KUKAR_VILLAGE,
                  postal_code="75572", note="")
    fields.update(overrides)
    return Address(**fields)


def _url(value):
    return make_url(value).render_as_string(hide_password=False)


class StockLedger:
    """Remembers the stock every product was created with (and restocks), per database, to check at the end that
    initial stock + restocks = stock + quantities of orders holding stock (reserved or sold; released orders and
    cancelled shop parts are back)."""

    def __init__(self):
        self.initial = {}
        self.lock = threading.Lock()

    def on_insert(self, _mapper, connection, target):
        """Product rows as they are inserted."""
        with self.lock:
            self.initial[(_url(connection.engine.url), target.id)] = target.stock

    def already_there(self, url, session):
        """Products made before the test (a module's world, see tests/worlds.py): what the test must keep is their
        stock now plus what orders hold of them."""
        stock = dict(session.execute(select(Product.id, Product.stock)).all())
        if stock:
            held = _held(session, list(stock))
            with self.lock:
                for product_id, left in stock.items():
                    self.initial[(_url(url), product_id)] = left + held.get(product_id, 0)

    def restocked(self, url, product_id, quantity):
        """A test added stock on purpose."""
        with self.lock:
            self.initial[(_url(url), product_id)] += quantity

    def check(self, session_for):
        """Assert the invariant for every product seen; session_for(url) gives a session on that database."""
        by_url = {}
        for (url, product_id), initial in self.initial.items():
            by_url.setdefault(url, {})[product_id] = initial
        for url, initial in by_url.items():
            with session_for(url) as session:
                stock = dict(session.execute(select(Product.id, Product.stock).where(Product.id.in_(initial))).all())
                held = _held(session, initial)
            for product_id, start in initial.items():
                assert stock[product_id] >= 0, f"product {product_id}: negative stock {stock[product_id]}"
                assert start == stock[product_id] + held.get(product_id, 0), (
                    f"product {product_id}: initial {start} != stock {stock[product_id]} "
                    f"+ held {held.get(product_id, 0)}")


def _held(session, product_ids):
    """{product id: quantity that orders holding stock (reserved or sold) hold of it}."""
    return dict(session.execute(
        select(OrderItem.product_id, func.sum(OrderItem.quantity)).join(ShopOrder).join(Order)
        .where(Order.state.in_(HOLDING_STATES), ShopOrder.state != "cancelled", OrderItem.product_id.in_(product_ids))
        .group_by(OrderItem.product_id)).all())


def stock_invariant_fixture(request):
    """Autouse body: record product inserts during the test, then check the invariant."""
    ledger = StockLedger()
    app_session_url = None
    if "app" in request.fixturenames:
        request.getfixturevalue("app")  # set up before us, so torn down (rolled back) only after our check
        app_session_url = _url(db.engine.url)
        ledger.already_there(app_session_url, db.session)
    sa_event.listen(Product, "after_insert", ledger.on_insert)
    try:
        yield ledger
    finally:
        sa_event.remove(Product, "after_insert", ledger.on_insert)

    class _Borrowed:
        def __enter__(self):
            db.session.rollback()  # what a new request would see: everything the test committed
            return db.session

        def __exit__(self, *exc):
            return False

    def session_for(url):
        if url == app_session_url:
            return _Borrowed()
        return _OwnSession(url)

    ledger.check(session_for)


class _OwnSession:
    def __init__(self, url):
        self.engine = sa.create_engine(url)

    def __enter__(self):
        self.session = Session(self.engine)
        return self.session

    def __exit__(self, *exc):
        self.session.close()
        self.engine.dispose()
        return False


class CommittedMarket:
    """The app on a throw-away database where every call commits for real (for concurrency tests)."""

    def __init__(self, app):
        self.app = app
        self.url = _url(app.config["SQLALCHEMY_DATABASE_URI"])

    def close(self):
        """Close every pooled connection."""
        with self.app.app_context():
            db.engine.dispose()

    def run(self, fn, *args, **kwargs):
        """fn(*args) in an app context of its own, committed."""
        with self.app.app_context():
            try:
                result = fn(*args, **kwargs)
                db.session.commit()
                return result
            finally:
                db.session.remove()

    def make_user(self, role="buyer"):
        """A registered user's id."""
        from marketplace.accounts import service

        return self.run(lambda: service.register_user(verified=True,
            email=f"{role}-{uuid.uuid4().hex[:10]}@example.com", name="Pembeli", phone="081234567890",
            password=TEST_PASSWORD, role=role).id)

    def make_product(self, stock=5, price_idr=50000, shop_id=None, pickup_allowed=True):
        """An approved product's id, in a new shop unless shop_id is given."""
        return self.run(_new_product, stock, price_idr, shop_id, pickup_allowed)

    def fill_cart(self, user_id, *lines):
        """Make the user's account cart hold exactly these (product_id, quantity) lines, through the cart service."""
        from marketplace.accounts.models import User
        from marketplace.orders import cart

        def fill():
            basket = cart.AccountCart(db.session.get(User, user_id))
            basket.clear()
            for product_id, quantity in lines:
                cart.add_to_cart(basket, str(product_id), str(quantity))

        self.run(fill)

    def stock(self, product_id):
        """The product's stock now."""
        return self.run(lambda: db.session.get(Product, product_id).stock)


def _new_product(stock, price_idr, shop_id, pickup_allowed):
    from marketplace.accounts import service as accounts
    from marketplace.catalogue import service as catalogue
    from marketplace.catalogue.models import Category
    from marketplace.moderation import service as moderation
    from marketplace.shops import service as shops
    from marketplace.shops.models import Shop

    admin = accounts.register_user(email=f"admin-{uuid.uuid4().hex[:10]}@example.com", name="Admin", phone="",
                                   password=TEST_PASSWORD, role="admin", verified=True)
    if shop_id is None:
        owner = accounts.register_user(email=f"producer-{uuid.uuid4().hex[:10]}@example.com", name="Produsen",
                                       phone="081234567890", password=TEST_PASSWORD, role="producer", verified=True)
        shop = shops.open_shop(owner, shops.ShopDetails(
            name=f"Toko {uuid.uuid4().hex[:6]}", story="", district_code="64.02.06", village_code=KUKAR_VILLAGE,
            whatsapp="0812 3456 7890", shipping_fee_idr=10000, pickup_allowed=pickup_allowed))
    else:
        shop = db.session.get(Shop, shop_id)
    category_id = db.session.scalar(select(Category.id).where(Category.slug == "madu"))
    product = catalogue.create_product(shop, catalogue.ProductDetails(
        title=f"Madu {uuid.uuid4().hex[:6]}", description="", category_id=category_id, price_idr=price_idr,
        stock=stock, unit="250 ml", weight_g=300))
    catalogue.submit_product(product)
    if product.status != "approved":
        moderation.approve_product(product, admin)
    return product.id


def committed_market(server_database, tmp_path_factory, pool_size=20, pool_timeout=120):
    """A CommittedMarket on a fresh database (SQLite file, or PostgreSQL when TEST_DATABASE_URL is set), with a
    connection pool of pool_size and no overflow."""
    from marketplace.catalogue.categories import ensure_categories

    files = tmp_path_factory.mktemp("committed")
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": server_database(files), "SECRET_KEY": "committed",
                      "MEDIA_ROOT": str(files / "media"), "SEARCH_INDEX_DIR": str(files / "search-index"),
                      "MAIL_OUTBOX_DIR": str(files / "mail"),
                      "ARGON2_MEMORY_KIB": 1024, "ARGON2_TIME_COST": 1, "RATELIMIT_ENABLED": False,
                      "UNPAID_ORDER_MAX_STOCK_PERCENT": 100, "MAX_UNPAID_ORDERS": 1000,  # buyers reused by rounds
                      "STRIPE_WEBHOOK_SECRET": TEST_WEBHOOK_SECRET, "INSTANCE_PATH": str(files / "instance"),
                      "SERVER_NAME": "pasardesa.example.com",
                      "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": pool_size, "max_overflow": 0,
                                                    "pool_timeout": pool_timeout}})
    with app.app_context():
        db.create_all()
        ensure_categories()
        db.session.commit()
        db.session.remove()
    return CommittedMarket(app)


def in_parallel(workers, timeout=120):
    """Run the callables at the same moment in threads; returns their results (exceptions re-raised)."""
    barrier = threading.Barrier(len(workers))
    results, errors = [None] * len(workers), []

    def run(index, work):
        try:
            barrier.wait(timeout=timeout)
            results[index] = work()
        except BaseException as error:  # noqa: BLE001 (re-raised in the main thread)
            errors.append(error)

    threads = [threading.Thread(target=run, args=(i, work)) for i, work in enumerate(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    assert not any(thread.is_alive() for thread in threads), "a worker is stuck (deadlock?)"
    if errors:
        raise errors[0]
    return results


def signed(event_dict, secret=TEST_WEBHOOK_SECRET, timestamp=None):
    """(raw body, Stripe-Signature header) for an event, signed as Stripe signs."""
    payload = json.dumps(event_dict).encode()
    return payload, standin.sign(payload, secret, int(time.time()) if timestamp is None else timestamp)


def event(event_type, session, event_id=None, livemode=False):
    """A Stripe event about a Checkout Session (a dict like the stand-in's session.as_stripe())."""
    return {"id": event_id or f"evt_{uuid.uuid4().hex}", "object": "event", "api_version": "2026-10-28.endive",
            "created": int(time.time()), "data": {"object": session}, "livemode": livemode,
            "pending_webhooks": 1, "request": {"id": None, "idempotency_key": None}, "type": event_type}


def post_event(client, event_dict, **sign_args):
    """Deliver an event to the webhook like Stripe does."""
    payload, header = signed(event_dict, **sign_args)
    return client.post("/webhooks/stripe", data=payload, headers={"Stripe-Signature": header},
                       content_type="application/json")

