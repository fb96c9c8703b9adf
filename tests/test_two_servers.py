"""Two real app servers behind an imaginary load balancer: gunicorn on two ports, each with 2 workers and a
local instance folder of its own, sharing one PostgreSQL database, the Redis server and one S3 bucket (moto's,
over HTTP), with SEARCH_BACKEND=postgres and MEDIA_STORAGE=s3. Whatever one server does, the other sees at
once: logins, listings and their photos, search, rate limits, stock, payments and the cron commands.

Runs when TEST_DATABASE_URL names a PostgreSQL server and Redis answers at 127.0.0.1:6379 (slow: the servers'
start and fifty buyers take about two minutes on a busy two-core machine).
"""
import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from threading import Barrier

import pytest
import requests
from sqlalchemy import func, select, update

from marketplace.extensions import db
from tests.conftest import TEST_PASSWORD, TEST_WEBHOOK_SECRET
from tests.media.test_s3 import _free_port
from tests.orders.helpers import KUKAR_VILLAGE, committed_market, event, signed
from tests.orders.test_views import CHECKOUT_FORM
from tests.shops.images import jpeg_bytes
from tests.test_shared_limits import REDIS, _redis_up

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"),
                       reason="two app servers share one PostgreSQL database: set TEST_DATABASE_URL=postgresql+..."),
    pytest.mark.skipif(not _redis_up(), reason=f"two app servers share rate limits in Redis at {REDIS[0]}:{REDIS[1]}"),
]

BIN = os.path.dirname(sys.executable)
BUYERS, UNITS = 50, 5
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


class Browser:
    """One person's cookies, sent to whichever server the load balancer picks."""

    def __init__(self):
        self.http = requests.Session()
        self._token = None

    def get(self, server, path, **kwargs):
        return self.http.get(server.url + path, allow_redirects=False, timeout=120, **kwargs)

    def token(self, server):
        """The session's CSRF token, read from a form as this server renders it (once per session)."""
        if self._token is None:
            self._token = CSRF.search(self.get(server, "/login").text).group(1)
        return self._token

    def post(self, server, path, data, token_from=None, **kwargs):
        """A form POST with the CSRF token of a form rendered by token_from (another server, or this one)."""
        data = {**data, "csrf_token": self.token(token_from or server)}
        return self.http.post(server.url + path, data=data, allow_redirects=False, timeout=120, **kwargs)

    def log_in(self, server, email, password=TEST_PASSWORD):
        answer = self.post(server, "/login", {"email": email, "password": password})
        self._token = None          # a login starts a new session
        return answer


class Server:
    """gunicorn serving the marketplace on a port of its own, with its own instance folder."""

    def __init__(self, name, env, instance, key_prefix):
        self.name, self.port = name, _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.instance = instance
        settings = {"INSTANCE_PATH": str(instance), "RATELIMIT_KEY_PREFIX": key_prefix}
        self.factory = f"marketplace:create_app({settings!r})"
        self.env = env
        self.log = open(instance.parent / f"{name}.log", "wb")
        self.process = subprocess.Popen(
            [os.path.join(BIN, "gunicorn"), "--no-control-socket", "-w", "2", "-b", f"127.0.0.1:{self.port}",
             "--timeout", "60", "--graceful-timeout", "5", self.factory], env=env, stdout=self.log, stderr=subprocess.STDOUT)

    def wait(self):
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"server {self.name} died: {self.logged()}"
            try:
                if requests.get(self.url + "/healthz", timeout=30).status_code == 200:
                    return
            except requests.RequestException:      # not listening yet, or a worker still booting
                time.sleep(0.2)
        raise AssertionError(f"server {self.name} did not answer within 60 s: {self.logged()}")

    def flask(self, *args):
        """A Popen of a flask command as this server's cron would run it."""
        return subprocess.Popen([os.path.join(BIN, "flask"), *args], env={**self.env, "FLASK_APP": self.factory},
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    def ask_to_stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)     # gunicorn's quick shutdown

    def logged(self):
        self.log.flush()
        return (self.instance.parent / f"{self.name}.log").read_text(errors="replace")[-3000:]

    def stop(self):
        """Quick shutdown (SIGINT), waited for; call ask_to_stop on every server first to stop them together."""
        self.ask_to_stop()
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)
        self.log.close()


@pytest.fixture(scope="module")
def bucket():
    """A moto S3 server and a bucket whose policy lets anyone read photos: (endpoint, bucket, public URL)."""
    import boto3
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint, name = f"http://127.0.0.1:{port}", f"pasar-{uuid.uuid4().hex[:12]}"
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="test",
                          aws_secret_access_key="test")
    client.create_bucket(Bucket=name)
    client.put_bucket_policy(Bucket=name, Policy=json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
        "Resource": [f"arn:aws:s3:::{name}/v/*", f"arn:aws:s3:::{name}/m/*"]}]}))
    yield endpoint, name, f"{endpoint}/{name}"
    server.stop()


@pytest.fixture(scope="module")
def market(server_database, tmp_path_factory):
    """The shared database, with the schema, and an app of the test's own to seed and read it."""
    market = committed_market(server_database, tmp_path_factory)
    market.app.config["SEARCH_BACKEND"] = "postgres"
    yield market
    market.close()


@pytest.fixture(scope="module")
def servers(market, bucket, tmp_path_factory):
    """Servers A and B, started together on the shared database, Redis and bucket."""
    endpoint, name, public_url = bucket
    files = tmp_path_factory.mktemp("two-servers")
    env = {**os.environ, "DATABASE_URL": market.url, "SECRET_KEY": f"shared-{uuid.uuid4().hex}",
           "SEARCH_BACKEND": "postgres", "MEDIA_STORAGE": "s3", "MEDIA_S3_BUCKET": name,
           "MEDIA_S3_REGION": "us-east-1", "MEDIA_S3_ENDPOINT_URL": endpoint, "MEDIA_PUBLIC_URL": public_url,
           "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": "us-east-1",
           "RATELIMIT_STORAGE_URI": f"redis://{REDIS[0]}:{REDIS[1]}/0", "STRIPE_WEBHOOK_SECRET": TEST_WEBHOOK_SECRET,
           "SITE_URL": "http://127.0.0.1:5000", "ARGON2_MEMORY_KIB": "1024", "ARGON2_TIME_COST": "1",
           "LOGIN_SLOWDOWN_SECONDS": "0", "PYTHONPATH": os.getcwd()}
    for variable in ("STRIPE_SECRET_KEY", "STRIPE_API_BASE", "PROMETHEUS_MULTIPROC_DIR", "FLASK_APP"):
        env.pop(variable, None)
    prefix = f"two-servers-{uuid.uuid4().hex}"   # this run's limits never meet another run's
    pair = []
    try:
        for label in ("a", "b"):
            pair.append(Server(label, env, files / f"instance-{label}", prefix))
        for server in pair:
            server.wait()
        yield pair
    finally:
        for server in pair:
            server.ask_to_stop()
        for server in pair:
            server.stop()


def _register(market, role):
    from marketplace.accounts import service

    email = f"{role}-{uuid.uuid4().hex[:10]}@example.com"
    user_id = market.run(lambda: service.register_user(verified=True, email=email, name="Orang Desa",
                                                       phone="081234567890", password=TEST_PASSWORD, role=role).id)
    return email, user_id


def _open_shop(market, owner_id):
    from marketplace.accounts.models import User
    from marketplace.shops import service as shops

    return market.run(lambda: shops.open_shop(db.session.get(User, owner_id), shops.ShopDetails(
        name=f"Madu Loa Kulu {uuid.uuid4().hex[:6]}", story="", district_code="64.02.06",
        village_code=KUKAR_VILLAGE, whatsapp="0812 3456 7890", shipping_fee_idr=10000, pickup_allowed=True)).slug)


def _read(market, statement):
    return market.run(lambda: db.session.execute(statement).all())


def test_a_listing_and_its_photo_made_on_one_server_are_found_and_shown_on_the_other(market, servers):
    from marketplace.catalogue.models import Category, Product, ProductImage
    from marketplace.media.service import variant_key

    a, b = servers
    producer_email, producer_id = _register(market, "producer")
    shop_slug = _open_shop(market, producer_id)
    admin_email, _ = _register(market, "admin")
    word = "kelulut" + uuid.uuid4().hex[:6].translate(str.maketrans("0123456789", "ghijklmnop"))
    madu = market.run(lambda: db.session.scalar(select(Category.id).where(Category.slug == "madu")))

    producer = Browser()
    assert producer.log_in(a, producer_email).status_code == 302
    assert producer.get(b, "/dashboard/products/new").status_code == 200      # A's login holds on B
    created = producer.post(a, "/dashboard/products/new", token_from=b, data={
        "title": f"Madu {word} Asli", "description": "Madu lebah tanpa sengat dari kebun karet.",
        "category_id": str(madu), "price_idr": "125.000", "stock": "30", "unit": "1 botol 250 ml",
        "weight_g": "350", "pirt_number": "", "bpom_number": "", "halal_number": "", "halal_expires_on": "",
        "photo_alt": "Botol madu"}, files={"photo": ("madu.jpg", jpeg_bytes((1200, 900)), "image/jpeg")})
    assert created.status_code == 302, created.text[-2000:]
    product_id = int(re.search(r"/dashboard/products/(\d+)/edit", created.headers["Location"]).group(1))
    assert producer.post(b, f"/dashboard/products/{product_id}/submit", {}, token_from=a).status_code == 302

    assert Browser().get(b, f"/api/v1/search?q={word}").json()["total"] == 0     # not public yet
    admin = Browser()
    assert admin.log_in(b, admin_email).status_code == 302
    assert admin.post(a, f"/admin/produk/{product_id}/setujui", {}, token_from=b).status_code == 302

    found = Browser().get(b, f"/api/v1/search?q={word}").json()                # at once, no drain, no lag
    assert found["total"] == 1 and found["items"][0]["id"] == product_id
    (product_slug, content_hash), = _read(market, select(Product.slug, ProductImage.content_hash)
                                          .join(ProductImage).where(Product.id == product_id))
    page = Browser().get(b, f"/toko/{shop_slug}/{product_slug}").text
    public_url = servers[0].env["MEDIA_PUBLIC_URL"]
    photo_url = f"{public_url}/{variant_key(content_hash, 640)}"
    assert photo_url in page                                  # browsers fetch it straight from storage
    photo = requests.get(photo_url, timeout=30)
    assert photo.status_code == 200 and photo.headers["Content-Type"] == "image/webp"
    assert photo.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert photo.content[:4] == b"RIFF" and photo.content[8:12] == b"WEBP"
    moved = Browser().get(b, f"/media/{variant_key(content_hash, 640)}")
    assert moved.status_code == 301 and moved.headers["Location"] == photo_url
    for server in servers:                                    # nothing was written to either server's disk
        assert not (server.instance / "media").exists() or not any((server.instance / "media").rglob("*.webp"))


def test_the_sixth_failed_login_spread_over_both_servers_is_refused(market, servers):
    email, _ = _register(market, "buyer")
    statuses = []
    for attempt in range(6):
        browser = Browser()                                   # a fresh session each time: only Redis counts
        statuses.append(browser.log_in(servers[attempt % 2], email, "wrong password").status_code)
    assert 429 not in statuses[:5] and statuses[5] == 429, statuses
    assert Browser().log_in(servers[0], email).status_code == 429   # the right password waits too (same key)


def test_fifty_buyers_on_both_servers_buy_five_units_then_pay_and_expire_once(market, servers):
    from marketplace.catalogue.models import Product
    from marketplace.ledger.models import JournalEntry
    from marketplace.orders.models import Order, OrderEvent
    from marketplace.payments.models import PaymentEvent
    from marketplace.payments.settle import latest_attempt
    from marketplace.payments.standin import StandinCheckoutSession

    product_id = market.make_product(stock=UNITS, price_idr=50000)
    buyers = [_register(market, "buyer")[0] for _ in range(BUYERS)]
    ready = Barrier(BUYERS, timeout=120)

    def buy(number):
        server, browser = servers[number % 2], Browser()
        assert browser.log_in(server, buyers[number]).status_code == 302
        assert browser.post(servers[(number + 1) % 2], "/cart/add",
                            {"product_id": str(product_id), "quantity": "1"}).status_code == 302
        browser.token(server)
        ready.wait()
        answer = browser.post(server, "/checkout", {**CHECKOUT_FORM, "payment_method": "stripe"})
        return answer.status_code, answer.headers.get("Location", "")

    with ThreadPoolExecutor(BUYERS) as pool:
        answers = list(pool.map(buy, range(BUYERS)))
    to_pay = [location for status, location in answers if status == 302 and "/pay/" in location]
    assert len(to_pay) == UNITS, answers
    orders = _read(market, select(Order.id, Order.state).where(Order.state.in_(("pending", "processing"))))
    assert len(orders) == UNITS and market.stock(product_id) == 0

    def session_of(order_id):
        order = db.session.get(Order, order_id)
        row = db.session.get(StandinCheckoutSession, latest_attempt(order).stripe_session_id)
        row.status, row.payment_status, row.payment_intent = "complete", "paid", f"pi_{uuid.uuid4().hex[:12]}"
        return row.as_stripe()

    paid_id = orders[0].id
    payload, header = signed(event("checkout.session.completed", market.run(session_of, paid_id)))
    for server in servers:                                    # delivered to both: settled once
        delivered = Browser().http.post(server.url + "/webhooks/stripe", data=payload, timeout=120,
                                        headers={"Stripe-Signature": header, "Content-Type": "application/json"})
        assert delivered.status_code == 200, delivered.text
    assert _read(market, select(Order.state).where(Order.id == paid_id)) == [("paid",)]
    assert _read(market, select(func.count()).where(PaymentEvent.order_id == paid_id)) == [(1,)]
    entries = _read(market, select(JournalEntry.kind, func.count()).where(JournalEntry.order_id == paid_id)
                    .group_by(JournalEntry.kind))
    assert entries and all(n == 1 for _, n in entries), entries     # the money booked once

    unpaid = [order.id for order in orders[1:]]
    market.run(lambda: db.session.execute(update(Order).where(Order.id.in_(unpaid))
                                          .values(expires_at=datetime.now(timezone.utc) - timedelta(minutes=1))))
    runs = [server.flask("orders", "expire") for server in servers]     # both servers' cron, at once
    outputs = [run.communicate(timeout=120)[0] for run in runs]
    assert all(run.returncode == 0 for run in runs), outputs
    assert market.stock(product_id) == UNITS - 1              # four units back, once each
    states = dict(_read(market, select(Order.id, Order.state).where(Order.id.in_(unpaid))))
    assert set(states.values()) == {"expired"}, states
    expiries = _read(market, select(OrderEvent.order_id, func.count()).where(
        OrderEvent.order_id.in_(unpaid), OrderEvent.to_state == "expired").group_by(OrderEvent.order_id))
    assert sorted(expiries) == sorted((order_id, 1) for order_id in unpaid)
    assert _read(market, select(Product.stock).where(Product.id == product_id)) == [(UNITS - 1,)]
