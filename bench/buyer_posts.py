"""Benchmark: a buyer's two POSTs, add to cart and checkout, through the whole app. Not a test.

    python bench/buyer_posts.py [--seconds 10] [--buyers 8] [--requests 30] [--postgres URL | --no-postgres]
                                [--statements] [--shapes threads,processes | --processes]

bench/checkout.py times place_order alone; this one times what a buyer's browser asks for: POST /cart/add and
POST /checkout (Stripe by the local stand-in: the order, its payment attempt, the Checkout Session, the
order-placed email and its sending), through the WSGI app with its hooks (CSRF by Sec-Fetch-Site as a browser
sends it, login, the access line), on SQLite (WAL, temporary directory) and on a throw-away PostgreSQL database.

- one buyer alone: per request, the SQL statements, the transactions begun (each one a turn at SQLite's write
  lock for a POST) and the CPU time of this process; --statements lists every statement of one request of each.
- the buyers in parallel, looping add to cart + checkout for --seconds, in each shape asked for (--shapes; both
  by default): one thread each in this process, then one forked process each (as gunicorn's sync workers serve
  them): p50/p95 of each POST, checkouts per second, and the buyers' CPU per checkout (the figure to compare on
  a busy machine); last, PostgreSQL's checkouts per second as a share of SQLite's in each shape, same run.
"""
import argparse
import collections
import os
import statistics
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)  # run as a script from anywhere

import sqlalchemy as sa  # noqa: E402

import checkout  # noqa: E402  (bench/checkout.py: app, seed, both databases)
from marketplace.extensions import db  # noqa: E402

BROWSER = {"Sec-Fetch-Site": "same-origin"}  # what a browser sends with a form of our own pages
ADDRESS = {"recipient_name": "Pembeli", "phone": "081234567890", "street": "Jl. Poros 1", "province_code": "64",
           "regency_code": "64.02", "district_code": "64.02.06", "village_code": checkout.VILLAGE,
           "postal_code": "75572", "note": "", "action": "place", "payment_method": "stripe"}


class Counter(threading.local):
    """Statements and transactions begun by the current thread, while `on`."""

    on = False

    def __init__(self):
        self.statements, self.begun = [], 0

    def install(self, engine):
        """Listen to every statement and every BEGIN on the engine."""
        def statement(_conn, _cursor, text, *_args):
            if self.on:
                self.statements.append(" ".join(text.split()))

        def begun(_conn):
            if self.on:
                self.begun += 1

        sa.event.listen(engine, "before_cursor_execute", statement)
        sa.event.listen(engine, "begin", begun)


COUNTER = Counter()


def _client(app, user_id):
    """A test client logged in as the buyer."""
    from marketplace.accounts.models import User

    with app.app_context():
        email = db.session.get(User, user_id).email
        db.session.remove()
    client = app.test_client()
    answer = client.post("/login", data={"email": email, "password": checkout.PASSWORD}, headers=BROWSER)
    assert answer.status_code == 302, answer.status_code
    return client


def _add(client, product_id):
    answer = client.post("/cart/add", data={"product_id": str(product_id), "quantity": "1"}, headers=BROWSER)
    assert answer.status_code == 302, (answer.status_code, answer.get_data(as_text=True)[:500])


def _checkout(client):
    answer = client.post("/checkout", data=ADDRESS, headers=BROWSER)
    assert answer.status_code == 302 and "/checkout" not in answer.headers["Location"], \
        (answer.status_code, answer.headers.get("Location"), answer.get_data(as_text=True)[:500])


def _timed(fn, *args):
    started = time.perf_counter()
    fn(*args)
    return time.perf_counter() - started


def alone(app, user_id, product_ids, requests, show):
    """Per request of one buyer alone: {post: (statements, transactions, CPU ms)}."""
    client = _client(app, user_id)
    _add(client, product_ids[0])
    _checkout(client)  # warm: templates compiled, statements cached
    totals = collections.defaultdict(lambda: [0, 0, 0.0])
    for n in range(requests):
        for name, fn, args in (("add to cart", _add, (client, product_ids[n % len(product_ids)])),
                               ("checkout", _checkout, (client,))):
            COUNTER.statements, COUNTER.begun, COUNTER.on = [], 0, True
            cpu = time.process_time()
            fn(*args)
            cpu = time.process_time() - cpu
            COUNTER.on = False
            total = totals[name]
            total[0], total[1], total[2] = total[0] + len(COUNTER.statements), total[1] + COUNTER.begun, total[2] + cpu
            if show and n == 0:
                print(f"--- {name}: {len(COUNTER.statements)} statements, {COUNTER.begun} transactions")
                for text in COUNTER.statements:
                    print("   ", text[:160])
    return {name: (s / requests, b / requests, cpu * 1000 / requests) for name, (s, b, cpu) in totals.items()}


def parallel(app, buyer_ids, product_ids, seconds, shape):
    """(add-to-cart latencies, checkout latencies, wall seconds, CPU seconds) of buyers looping as threads of this
    process or as one process each (shape 'threads' or 'processes')."""
    clients = [_client(app, user_id) for user_id in buyer_ids]

    def buyer(client, offset, stop):
        adds, checkouts = [], []
        n = 0
        while not stop.is_set():
            adds.append(_timed(_add, client, product_ids[(offset + n) % len(product_ids)]))
            checkouts.append(_timed(_checkout, client))
            n += 1
        return adds, checkouts

    loops = [lambda stop, client=client, offset=i: buyer(client, offset, stop) for i, client in enumerate(clients)]
    if shape == "processes":
        results, wall, cpu = checkout.in_processes(app, loops, seconds)
    else:
        with app.app_context():
            db.engine.dispose()  # the buyers' connections are new, as in the processes
        results, wall, cpu = checkout.in_threads(loops, seconds)
    return [t for adds, _c in results for t in adds], [t for _a, checkouts in results for t in checkouts], wall, cpu


def run(name, url, files, args, **config):
    """Bench one database and print its figures: {shape: checkouts per second}."""
    app = checkout._app(url, files, **config)
    buyer_ids, product_ids = checkout._seed(app, args.buyers, args.products, verified=True)
    with app.app_context():
        COUNTER.install(db.engine)
    for post, (statements, begun, cpu) in alone(app, buyer_ids[0], product_ids, args.requests,
                                                args.statements).items():
        print(f"{name:10} {post:11} alone: {statements:5.1f} statements, {begun:.1f} transactions, "
              f"{cpu:5.2f} ms CPU per request")
    rates = {}
    for shape in args.shapes:
        adds, checkouts, wall, cpu = parallel(app, buyer_ids, product_ids, args.seconds, shape)
        rates[shape] = len(checkouts) / wall
        ms, pct = 1000, checkout._percentile
        print(f"{name:10} {args.buyers} buyers as {shape}: {rates[shape]:6.1f} checkouts/s; add to cart p50 "
              f"{statistics.median(adds) * ms:.1f} ms, p95 {pct(adds, 0.95) * ms:.1f} ms; checkout p50 "
              f"{statistics.median(checkouts) * ms:.1f} ms, p95 {pct(checkouts, 0.95) * ms:.1f} ms; "
              f"CPU {cpu * ms / len(checkouts):.2f} ms per add + checkout; load average "
              + " ".join(f"{value:.1f}" for value in os.getloadavg()))
    with app.app_context():
        db.engine.dispose()
    return rates


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--buyers", type=int, default=8)
    parser.add_argument("--products", type=int, default=6)
    parser.add_argument("--requests", type=int, default=30, help="requests of each kind by one buyer alone")
    parser.add_argument("--statements", action="store_true", help="list the statements of one request of each")
    checkout.database_arguments(parser)
    checkout.shape_arguments(parser)
    args = parser.parse_args()
    checkout.print_shares(checkout.on_both_databases(run, args), args.shapes, "checkouts/s")


if __name__ == "__main__":
    main()
