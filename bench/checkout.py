"""Benchmark: orders placed per second by 8 parallel buyers, and webhook handling time. Not a test.

    python bench/checkout.py [--seconds 10] [--buyers 8] [--webhooks 300] [--postgres URL | --no-postgres]
                             [--busy-handler] [--shapes threads,processes | --processes] [--emails]

For SQLite (a WAL file in a temporary directory) and PostgreSQL (a throw-away database created on the server
given by --postgres, default $TEST_DATABASE_URL or postgresql+psycopg://postgres@127.0.0.1:5432/test):

- checkout, in each shape asked for (--shapes; both by default, threads first): the buyers as threads of this
  process (one interpreter lock among them), then as one forked process each (as gunicorn's sync workers serve
  the production example's buyers). Each buyer has its own app context and database session, and loops: put two
  products in the cart (one transaction), place the order through orders.service.place_order (one
  transaction: order, shop orders, items, stock reservation). All buyers want the same few products, so the
  conditional stock updates contend. Reported: orders per second (wall clock) and place_order p50/p95.
  The last lines give PostgreSQL's orders/s as a share of SQLite's in each shape (same run).
  Also reported: per order, place_order's and the commit's time, the part of it inside the database driver
  (round trips and lock waits), the statements it runs, and the buyer thread's own CPU time in each (Python,
  the driver's work; not the waits for the GIL, a lock or the disk). CPU per order (this process, and on a
  local PostgreSQL its server processes) and the thread CPU are the figures to compare on a busy machine.
  --busy-handler first runs SQLite once more with SQLITE_WRITER_QUEUE=False (writers wait in SQLite's busy
  handler, as before the writer queue), in the same run, for a side-by-side comparison.
  The buyers' addresses are not verified, so place_order writes no email; with --emails they are, and place_order
  renders and writes the buyer's "order placed" email into the outbox, and its commit sends it (unless
  NOTIFICATIONS_SEND_ON_COMMIT=false in the environment, which leaves sending to `flask notifications send`),
  as for every real buyer (checkout asks for a verified address first).
- webhooks: pending orders with a stand-in Checkout Session each; a signed checkout.session.completed event
  per order is POSTed to /webhooks/stripe through the WSGI app (verification, event record, state change,
  with --emails the buyer's and the producer's emails, commit, sending), one after another. Reported: p50/p95
  per delivery.
"""
import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)  # run as a script from anywhere

import sqlalchemy as sa  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from marketplace import create_app, regions  # noqa: E402
from marketplace.extensions import db  # noqa: E402
from marketplace.payments.settle import latest_attempt  # noqa: E402

PASSWORD = "bench-password-123"
VILLAGE = regions.children("64.02.06")[0][0]


def _app(url, files, **config):
    app = create_app({**config, "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "TESTING": False,
                      "MEDIA_ROOT": os.path.join(files, "media"), "SEARCH_INDEX_DIR": os.path.join(files, "index"),
                      "MAIL_OUTBOX_DIR": os.path.join(files, "mail"),
                      "ARGON2_MEMORY_KIB": 1024, "ARGON2_TIME_COST": 1, "RATELIMIT_ENABLED": False,
                      "STRIPE_SECRET_KEY": None, "STRIPE_API_BASE": None, "SERVER_NAME": "bench.example.com",
                      # Each bench buyer places many unpaid orders of the same few products on purpose.
                      "MAX_UNPAID_ORDERS": 100_000, "UNPAID_ORDER_MAX_STOCK_PERCENT": 100,
                      "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": 12, "max_overflow": 0}})
    with app.app_context():
        from marketplace.catalogue.categories import ensure_categories

        db.create_all()
        ensure_categories()
        db.session.commit()
    return app


def _seed(app, buyers, products, verified=False):
    """(buyer ids, product ids): approved products with plenty of stock in two shops."""
    from sqlalchemy import select

    from marketplace.accounts import service as accounts
    from marketplace.catalogue import service as catalogue
    from marketplace.catalogue.models import Category
    from marketplace.moderation import service as moderation
    from marketplace.shops import service as shops

    with app.app_context():
        admin = accounts.register_user(email="admin@example.com", name="Admin", phone="", password=PASSWORD,
                                       role="admin")
        madu = db.session.scalar(select(Category.id).where(Category.slug == "madu"))
        product_ids = []
        for number in range(2):
            owner = accounts.register_user(email=f"p{number}@example.com", name="Produsen", phone="0812345678",
                                           password=PASSWORD, role="producer", verified=verified)
            shop = shops.open_shop(owner, shops.ShopDetails(
                name=f"Toko {number}", story="", district_code="64.02.06", village_code=VILLAGE,
                whatsapp="081234567890", shipping_fee_idr=10000, pickup_allowed=True))
            for index in range(products // 2):
                product = catalogue.create_product(shop, catalogue.ProductDetails(
                    title=f"Madu {number}-{index}", description="", category_id=madu, price_idr=50000,
                    stock=100_000))
                catalogue.submit_product(product)
                moderation.approve_product(product, admin)
                product_ids.append(product.id)
        buyer_ids = [accounts.register_user(email=f"b{n}@example.com", name="Pembeli", phone="081234567890",
                                            password=PASSWORD, verified=verified).id for n in range(buyers)]
        db.session.commit()
    return buyer_ids, product_ids


def _address():
    from marketplace.orders.address import Address

    return Address(recipient_name="Pembeli", phone="081234567890", street="Jl. Poros 1", province_code="64",
                   regency_code="64.02", district_code="64.02.06", village_code=VILLAGE, postal_code="75572")


def _buyer_loop(app, user_id, offset, product_ids, stop):
    """One buyer's loop until `stop` is set: ([place_order + commit latencies], [cart latencies]) in seconds."""
    from marketplace.accounts.models import User
    from marketplace.orders import cart, service

    orders, carts = [], []
    with app.app_context():
        n = 0
        while not stop.is_set():
            started = time.perf_counter()
            user = db.session.get(User, user_id)
            basket = cart.AccountCart(user)
            for product_id in (product_ids[(offset + n) % len(product_ids)],
                               product_ids[(offset + n + 1) % len(product_ids)]):
                cart.add_to_cart(basket, str(product_id), "1")
            db.session.commit()
            carts.append(time.perf_counter() - started)
            started, cpu = time.perf_counter(), time.thread_time()
            TRACE.phase = "place_order"
            service.place_order(user, _address(), {})
            TRACE.phase = "commit"
            committing, cpu_committing = time.perf_counter(), time.thread_time()
            db.session.commit()
            TRACE.phase = None
            orders.append(time.perf_counter() - started)
            TRACE.add("commit", "wall", time.perf_counter() - committing)
            TRACE.add("commit", "cpu", time.thread_time() - cpu_committing)
            TRACE.add("place_order", "cpu", cpu_committing - cpu)
            TRACE.add("all", "wall", orders[-1])
            n += 1
        db.session.remove()
    return orders, carts


def in_threads(loops, seconds):
    """(each loop's result, wall seconds, this process's CPU seconds): loop(stop) in a thread each, all started
    together and stopped after `seconds`."""
    results, stop = [], threading.Event()
    barrier = threading.Barrier(len(loops) + 1)

    def start(loop):
        barrier.wait()
        results.append(loop(stop))

    threads = [threading.Thread(target=start, args=(loop,)) for loop in loops]
    for thread in threads:
        thread.start()
    barrier.wait()
    cpu, started = time.process_time(), time.perf_counter()
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join()
    return results, time.perf_counter() - started, time.process_time() - cpu


def bench_checkout(app, buyer_ids, product_ids, seconds, processes=False):
    """(orders per second, place_order latencies, cart latencies, CPU seconds of the buyers, CPU seconds of their
    PostgreSQL server processes or None) for parallel buyers looping for `seconds`: threads of this process, or
    with `processes` one forked process each (as gunicorn's sync workers), whose TRACE totals are added to this
    process's."""
    if processes:
        return _in_processes(app, buyer_ids, product_ids, seconds)
    with app.app_context():
        db.engine.dispose()  # the buyers' connections, and their server processes, are new
    results, elapsed, cpu = in_threads(
        [lambda stop, user_id=user_id, offset=i: _buyer_loop(app, user_id, offset, product_ids, stop)
         for i, user_id in enumerate(buyer_ids)], seconds)
    orders = [latency for mine, _carts in results for latency in mine]
    with app.app_context():  # the threads' connections are still in the pool, their server processes with them
        server = _server_cpu(app)
    return len(orders) / elapsed, orders, [latency for _mine, carts in results for latency in carts], cpu, server


def _in_processes(app, buyer_ids, product_ids, seconds):
    def buyer(stop, user_id, offset):
        TRACE.totals.clear()
        orders, carts = _buyer_loop(app, user_id, offset, product_ids, stop)
        with app.app_context():
            server = _server_cpu(app, own=True)
        return orders, carts, dict(TRACE.totals), server

    results, elapsed, cpu = in_processes(
        app, [lambda stop, user_id=user_id, offset=i: buyer(stop, user_id, offset)
              for i, user_id in enumerate(buyer_ids)], seconds)
    for _orders, _carts, totals, _server in results:
        for key, value in totals.items():
            TRACE.add(*key, value)
    orders = [latency for mine, *_rest in results for latency in mine]
    servers = [server for *_rest, server in results]
    return (len(orders) / elapsed, orders, [latency for _mine, carts, *_rest in results for latency in carts],
            cpu, None if None in servers else sum(servers))


def in_processes(app, loops, seconds):
    """(each loop's result, wall seconds, the processes' CPU seconds): loop(stop) in a forked process each (as
    gunicorn's sync workers), all started together and stopped after `seconds`; a result must pickle."""
    import multiprocessing

    context = multiprocessing.get_context("fork")
    stop, barrier, out = context.Event(), context.Barrier(len(loops) + 1), context.Queue()

    def child(loop):
        with app.app_context():
            db.engine.dispose(close=False)  # the parent's pooled connections are not this process's
        barrier.wait()
        cpu = time.process_time()
        result = loop(stop)
        out.put((result, time.process_time() - cpu))

    children = [context.Process(target=child, args=(loop,)) for loop in loops]
    for each in children:
        each.start()
    barrier.wait()
    started = time.perf_counter()
    time.sleep(seconds)
    stop.set()
    results = [out.get() for _child in children]
    elapsed = time.perf_counter() - started
    for each in children:
        each.join()
    return [result for result, _cpu in results], elapsed, sum(cpu for _result, cpu in results)


def bench_webhooks(app, buyer_ids, product_ids, count):
    """Latencies in seconds of `count` signed checkout.session.completed deliveries, one after another."""
    import json

    from marketplace.accounts.models import User
    from marketplace.orders import cart, service
    from marketplace.payments import service as payments
    from marketplace.payments import standin
    from marketplace.payments.standin import StandinCheckoutSession

    sessions = []
    with app.app_context():
        user = db.session.get(User, buyer_ids[0])
        for n in range(count):
            cart.add_to_cart(cart.AccountCart(user), str(product_ids[n % len(product_ids)]), "1")
            order = service.place_order(user, _address(), {})
            db.session.commit()
            with app.test_request_context():
                request = payments.checkout_request(order, "https://bench.example.com/ok",
                                                    "https://bench.example.com/no")
                db.session.commit()
                payments.remember_session(request.order_id, payments.open_checkout(request))
                db.session.commit()
            row = db.session.get(StandinCheckoutSession, latest_attempt(order).stripe_session_id)
            sessions.append({**row.as_stripe(), "status": "complete", "payment_status": "paid",
                             "payment_intent": f"pi_{uuid.uuid4().hex}"})
        db.session.remove()
    client = app.test_client()
    latencies = []
    for session in sessions:
        event = {"id": f"evt_{uuid.uuid4().hex}", "object": "event", "type": "checkout.session.completed",
                 "created": int(time.time()), "livemode": False, "data": {"object": session}}
        payload = json.dumps(event).encode()
        header = standin.sign(payload, app.config["STRIPE_WEBHOOK_SECRET"])
        started = time.perf_counter()
        response = client.post("/webhooks/stripe", data=payload, content_type="application/json",
                               headers={"Stripe-Signature": header})
        latencies.append(time.perf_counter() - started)
        assert response.status_code == 200 and response.json["outcome"] == "paid", response.get_data(as_text=True)
    return latencies


class Trace(threading.local):
    """Where place_order's time goes, per buyer thread: statements, time inside the database driver
    (round trips, and waits for locks: PostgreSQL row locks, SQLite's busy handler), the commit."""

    phase = None
    started = None
    totals = {}
    lock = threading.Lock()

    def add(self, phase, what, value):
        with self.lock:
            self.totals[(phase, what)] = self.totals.get((phase, what), 0) + value

    def install(self, engine):
        """Listen to every statement the engine runs."""
        def before(*_args):
            self.started = time.perf_counter()

        def after(_conn, _cursor, statement, *_args):
            if self.phase and self.started is not None:
                kind = statement.split(None, 1)[0].upper()
                if kind in ("UPDATE", "INSERT", "SELECT", "DELETE"):
                    kind += " " + _table(statement)
                elapsed = time.perf_counter() - self.started
                self.add(self.phase, "driver", elapsed)
                self.add(self.phase, "statements", 1)
                self.add(self.phase, kind, 1)
                self.add(self.phase, ("time", kind), elapsed)
            self.started = None

        def begun(conn):
            if self.phase:  # SQLite's writer queue says how long it waited; without it, BEGIN is a statement
                self.add(self.phase, "begin", getattr(conn.connection.driver_connection, "waited_s", 0))

        sa.event.listen(engine, "before_cursor_execute", before)
        sa.event.listen(engine, "after_cursor_execute", after)
        sa.event.listen(engine, "begin", begun)

    def report(self, name, orders):
        totals, ms = self.totals, 1000 / max(1, orders)
        place_driver, commit_wall = totals.get(("place_order", "driver"), 0), totals.get(("commit", "wall"), 0)
        place_wall = totals.get(("all", "wall"), 0) - commit_wall
        statements = totals.get(("place_order", "statements"), 0) / max(1, orders)
        kinds = sorted((what, count) for (phase, what), count in totals.items()
                       if phase == "place_order" and isinstance(what, str) and what[:1].isupper())
        print(f"{name:10} per order: place_order {place_wall * ms:.1f} ms of which "
              f"{totals.get(('place_order', 'cpu'), 0) * ms:.2f} ms on a CPU (this thread's own time), "
              f"{place_driver * ms:.1f} ms in the driver ({statements:.1f} statements: "
              + ", ".join(f"{count / max(1, orders):.1f} {what}" for what, count in kinds) +
              f"), commit {commit_wall * ms:.1f} ms (the COMMIT, its fsync, the after-commit work; "
              f"{totals.get(('commit', 'cpu'), 0) * ms:.2f} ms on a CPU); "
              f"{totals.get(('place_order', 'begin'), 0) * ms:.1f} ms waiting in the writer queue for SQLite's write "
              "lock; the rest is Python, and waiting for the GIL among the buyers' threads")
        # Where the driver's time goes: a lock wait shows as one slow kind (SQLite's BEGIN IMMEDIATE waits for
        # the write lock in its busy handler; PostgreSQL's UPDATE product waits for another order's row lock).
        slowest = sorted(((value, what[1]) for (phase, what), value in totals.items()
                          if phase == "place_order" and isinstance(what, tuple)), reverse=True)[:4]
        print(f"{name:10} driver time per order by statement: "
              + ", ".join(f"{what} {value * ms:.1f} ms" for value, what in slowest))
        totals.clear()


TRACE = Trace()


def _table(statement):
    """The first table a statement names after FROM / INTO / UPDATE, for the per-statement report."""
    words = statement.replace('"', "").split()
    for before, word in zip(words, words[1:]):
        if before.upper() in ("FROM", "INTO", "UPDATE"):
            return word.strip("(),")
    return "?"


def _percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def _server_cpu(app, own=False):
    """CPU seconds used so far by the PostgreSQL server processes serving this app's database (with `own`, only
    the one serving this process's pooled connection), when the server runs on this machine (None otherwise, and
    on SQLite)."""
    if db.engine.dialect.name != "postgresql":
        return None
    with db.engine.connect() as conn:
        pids = conn.scalars(sa.text("SELECT pg_backend_pid()" if own else
                                    "SELECT pid FROM pg_stat_activity WHERE datname = current_database()")).all()
    total, tick = 0, os.sysconf("SC_CLK_TCK")
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            return None
        total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    return total


def run(name, url, files, args, **config):
    """Bench one database in each shape of args.shapes, print its figures: {shape: orders per second}."""
    app = _app(url, files, **config)
    buyer_ids, product_ids = _seed(app, args.buyers, args.products, verified=args.emails)
    with app.app_context():
        TRACE.install(db.engine)
    rates = {}
    for shape in args.shapes:
        rates[shape] = _run_shape(app, name, buyer_ids, product_ids, args, shape)
    webhooks = bench_webhooks(app, buyer_ids, product_ids, args.webhooks) if args.webhooks else None
    with app.app_context():
        db.engine.dispose()
    if webhooks:
        print(f"{name:10} webhook:  p50 {statistics.median(webhooks) * 1000:.1f} ms, "
              f"p95 {_percentile(webhooks, 0.95) * 1000:.1f} ms ({len(webhooks)} deliveries, sequential)")
    return rates


def _run_shape(app, name, buyer_ids, product_ids, args, shape):
    """Orders per second of the buyers as `shape` ('threads' or 'processes'), with its figures printed."""
    rate, checkout, carts, cpu, server = bench_checkout(app, buyer_ids, product_ids, args.seconds,
                                                        shape == "processes")
    name = f"{name} ({shape})"
    TRACE.report(name, len(checkout))
    print(f"{name:10} CPU per order (cart, place_order, commit): {cpu * 1000 / len(checkout):.2f} ms in the buyers"
          + (f", {server * 1000 / len(checkout):.2f} ms in PostgreSQL's server processes" if server else "")
          + f"; load average {' '.join(f'{value:.1f}' for value in os.getloadavg())}")
    ms = 1000
    print(f"{name:10} checkout: {rate:7.1f} orders/s with {args.buyers} parallel buyers "
          f"({len(checkout)} orders in {args.seconds:.0f} s; "
          f"place_order p50 {statistics.median(checkout) * ms:.1f} ms, p95 {_percentile(checkout, 0.95) * ms:.1f} ms,"
          f" p99 {_percentile(checkout, 0.99) * ms:.1f} ms; filling the cart p50 {statistics.median(carts) * ms:.1f} ms,"
          f" p95 {_percentile(carts, 0.95) * ms:.1f} ms)")
    return rate


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--buyers", type=int, default=8)
    parser.add_argument("--products", type=int, default=6)
    parser.add_argument("--webhooks", type=int, default=300)
    database_arguments(parser)
    shape_arguments(parser)
    parser.add_argument("--emails", action="store_true",
                        help="verified buyers: place_order writes the order-placed email and its commit sends it")
    parser.add_argument("--busy-handler", action="store_true",
                        help="also run SQLite without the writer queue, first, for a same-run comparison")
    args = parser.parse_args()
    print_shares(on_both_databases(run, args), args.shapes, "orders/s")


def shape_arguments(parser):
    """--shapes and --processes: the buyers as threads of this process, one process each, or both in turn."""
    parser.add_argument("--shapes", default="threads,processes", type=_shapes,
                        help="the buyers as 'threads' of one process, 'processes' (one each), or both (the default)")
    parser.add_argument("--processes", dest="shapes", action="store_const", const=["processes"],
                        help="only one process per buyer")


def _shapes(text):
    shapes = text.split(",")
    if not set(shapes) <= {"threads", "processes"}:
        raise argparse.ArgumentTypeError("threads, processes or both, separated by a comma")
    return shapes


def print_shares(rates, shapes, unit):
    """PostgreSQL's rate as a share of SQLite's in each shape, from on_both_databases' {name: {shape: rate}}."""
    if "PostgreSQL" in rates and "SQLite" in rates:
        for shape in shapes:
            ours, theirs = rates["PostgreSQL"][shape], rates["SQLite"][shape]
            print(f"{shape:10} PostgreSQL's {unit} are {ours / theirs:.2f} of SQLite's ({ours:.1f} against "
                  f"{theirs:.1f}, same run)")


def database_arguments(parser):
    """--postgres URL (the server for a throw-away database) and --no-postgres, for on_both_databases."""
    parser.add_argument("--postgres", default=os.environ.get("TEST_DATABASE_URL",
                                                             "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    parser.add_argument("--no-postgres", action="store_true")


def on_both_databases(run, args):
    """run(name, url, files, args) on a SQLite file, then on a throw-away database on args.postgres's server:
    {name: what run returned}."""
    results = {}
    with tempfile.TemporaryDirectory() as files:
        if getattr(args, "busy_handler", False):
            results["SQLite/busy"] = run("SQLite/busy", f"sqlite:///{files}/busy.db", files, args,
                                         SQLITE_WRITER_QUEUE=False)
        results["SQLite"] = run("SQLite", f"sqlite:///{files}/bench.db", files, args)
        if args.no_postgres:
            return results
        base = make_url(args.postgres)
        name = f"pasardesa_bench_{uuid.uuid4().hex[:8]}"
        admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        try:
            results["PostgreSQL"] = run("PostgreSQL", base.set(database=name).render_as_string(hide_password=False),
                                        files, args)
        finally:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
    return results


if __name__ == "__main__":
    main()
