"""Real processes against one committed database and one index: a drain killed half-way, and two
workers editing at once. Slow (tens of seconds): they wait for real index commits."""
import multiprocessing
import os
import signal
import subprocess
import sys
import time
import uuid

import pytest
from sqlalchemy import func, select

from marketplace import create_app, regions
from marketplace.accounts import service as accounts
from marketplace.catalogue import service as catalogue
from marketplace.catalogue.categories import ensure_categories
from marketplace.catalogue.models import Category, Product
from marketplace.extensions import db
from marketplace.moderation import service as moderation
from marketplace.search import sync
from marketplace.search.whoosh_engine.index import IndexHolder
from marketplace.search.models import SearchOutbox
from marketplace.shops import service as shops
from tests.conftest import TEST_PASSWORD, app_settings

from . import workers

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
pytestmark = pytest.mark.slow


@pytest.fixture
def committed(tmp_path, server_database):
    """(settings, app) of a marketplace on a database of its own whose commits are real."""
    settings = app_settings(tmp_path, server_database(tmp_path))
    app = create_app(settings)
    with app.app_context():
        db.create_all()
        ensure_categories()
        db.session.commit()
    yield settings, app
    with app.app_context():
        db.engine.dispose()


def _producer_with_listings(count):
    """A producer's email and the ids of `count` approved listings of their new shop."""
    email = f"producer-{uuid.uuid4().hex[:8]}@example.com"
    owner = accounts.register_user(email=email, name="Produsen", phone="081234567890", password=TEST_PASSWORD,
                                   role="producer", verified=True)
    admin = accounts.register_user(email=f"admin-{uuid.uuid4().hex[:8]}@example.com", name="Admin", phone="",
                                   password=TEST_PASSWORD, role="admin", verified=True)
    shop = shops.open_shop(owner, shops.ShopDetails(
        name=f"Toko {email[9:17]}", story="", district_code="64.02.06", village_code=regions.children("64.02.06")[0][0],
        whatsapp="0812 3456 7890", shipping_fee_idr=0, pickup_allowed=True))
    honey = db.session.scalar(select(Category.id).where(Category.slug == "madu"))
    ids = []
    for number in range(count):
        product = catalogue.create_product(shop, catalogue.ProductDetails(
            title=f"Madu Kelulut Panen {number}", description="Madu asli.", category_id=honey, price_idr=50000,
            stock=1, unit="250 ml"))
        catalogue.submit_product(product)
        moderation.approve_product(product, admin)
        ids.append(product.id)
    db.session.commit()
    return email, ids


def _outbox_size():
    """Rows in the outbox (in a transaction of its own: SQLite allows one writer at a time)."""
    count = db.session.scalar(select(func.count()).select_from(SearchOutbox))
    db.session.rollback()
    return count


def _indexed(root):
    with IndexHolder(root).snapshot() as snapshot:
        return snapshot.doc_count


def _flask(settings, *args, **env):
    environment = {**os.environ, "FLASK_APP": "wsgi", "DATABASE_URL": settings["SQLALCHEMY_DATABASE_URI"],
                   "SEARCH_INDEX_DIR": settings["SEARCH_INDEX_DIR"], "SECRET_KEY": "x", **env}
    command = [os.path.join(os.path.dirname(sys.executable), "flask"), "search", *args]
    return subprocess.Popen(command, cwd=ROOT, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)


def test_a_drain_killed_half_way_is_caught_up_by_sync(committed):
    settings, app = committed
    app.config["SEARCH_SYNC_ON_COMMIT"] = False          # leave the rows for the child process
    root = settings["SEARCH_INDEX_DIR"]
    with app.app_context():
        _producer_with_listings(12)
        assert _outbox_size() == 12
    # The child commits every 2 listings and sleeps 0.4 s after each: kill it once some are in.
    child = _flask(settings, "sync", SEARCH_DRAIN_BATCH="2", SEARCH_DRAIN_PAUSE="0.4")
    deadline = time.monotonic() + 120
    while _indexed(root) < 2 and time.monotonic() < deadline and child.poll() is None:
        time.sleep(0.05)
    os.kill(child.pid, signal.SIGKILL)
    child.communicate()
    assert child.returncode == -signal.SIGKILL
    applied = _indexed(root)
    with app.app_context():
        left = _outbox_size()
    assert 2 <= applied < 12 and left >= 12 - applied      # rows go only after the index has them

    catch_up = _flask(settings, "sync")
    output, _ = catch_up.communicate(timeout=300)
    assert catch_up.returncode == 0, output
    assert _indexed(root) == 12
    with app.app_context():
        assert _outbox_size() == 0
        assert sync.check(app, db.engine).total == 0


def test_two_workers_editing_at_once_lose_nothing_and_fail_no_request(committed):
    settings, app = committed
    edits = 50
    with app.app_context():
        producers = [_producer_with_listings(5) for _ in range(2)]
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    processes = [context.Process(target=workers.edit_stock, args=(settings, email, ids, edits, results))
                 for email, ids in producers]
    for process in processes:
        process.start()
    reports = dict(results.get(timeout=600) for _ in processes)
    for process in processes:
        process.join(timeout=60)
        assert process.exitcode == 0
    assert reports == {email: [] for email, _ in producers}          # every request succeeded
    with app.app_context():
        for _, ids in producers:
            stocks = dict(db.session.execute(select(Product.id, Product.stock).where(Product.id.in_(ids))).all())
            # Edit n set stock n + 1 on listing n % 5: each listing's last edit is 45..49.
            assert stocks == {product_id: edits - len(ids) + position + 1 for position, product_id in enumerate(ids)}
        # Every edit reached the index without `flask search sync`: nothing waits, nothing differs.
        assert _outbox_size() == 0
        assert sync.check(app, db.engine).total == 0
