"""Benchmark: what the ledger costs. Not a test.

    python bench/ledger.py [--entries 2000] [--webhooks 200] [--postgres URL | --no-postgres]

For SQLite (a WAL file in a temporary directory) and PostgreSQL (a throw-away database on the server given by
--postgres, default $TEST_DATABASE_URL or postgresql+psycopg://postgres@127.0.0.1:5432/test):

- entries: one writer posts payment entries (4 lines: money held, commission, two shops' pending shares),
  each in its own transaction and commit, as the webhook does. Reported: entries per second.
- webhook: signed checkout.session.completed deliveries through the WSGI app (bench/checkout.py's
  bench_webhooks), one after another. The ledger's part of each delivery (orders.earnings.record_paid, which
  writes the entry) is timed in the same run by wrapping that one function with a clock. Reported: delivery
  p50/p95, the ledger's p50, and its share of the delivery.
- checkout: placing an order writes no money movement (nothing is paid yet); the count of journal rows
  written by the checkout bench is printed to show it.
"""
import argparse
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)

import sqlalchemy as sa  # noqa: E402

import checkout  # noqa: E402  (bench/checkout.py: app, seed and webhook deliveries)
from marketplace.extensions import db  # noqa: E402


def bench_entries(app, count):
    """Entries per second for one writer, a commit per entry."""
    from marketplace.ledger import service
    from marketplace.ledger.service import credit, debit

    with app.app_context():
        started = time.perf_counter()
        for n in range(count):
            service.post("bench", f"entry-{n}", [debit("held:stripe", 150_000), credit("income:commission", 7_500),
                                                 credit("shop:1:pending", 95_000), credit("shop:2:pending", 47_500)])
            db.session.commit()
        elapsed = time.perf_counter() - started
        db.session.remove()
    return count / elapsed


def bench_webhook_share(app, buyer_ids, product_ids, count):
    """(delivery latencies, ledger latencies) of `count` webhook deliveries, in seconds."""
    from marketplace.orders import earnings

    timed, original = [], earnings.record_paid

    def clocked(*args, **kwargs):
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            timed.append(time.perf_counter() - started)

    earnings.record_paid = clocked
    try:
        deliveries = checkout.bench_webhooks(app, buyer_ids, product_ids, count)
    finally:
        earnings.record_paid = original
    return deliveries, timed


def journal_rows(app):
    """Rows in journal_line."""
    with app.app_context():
        rows = db.session.scalar(sa.text("SELECT count(*) FROM journal_line"))
        db.session.remove()
    return rows


def run(name, url, files, args):
    """Bench one database and print its figures."""
    app = checkout._app(url, files)
    buyer_ids, product_ids = checkout._seed(app, 8, 6)
    before = journal_rows(app)
    rate, placed = checkout.bench_checkout(app, buyer_ids, product_ids, 3)
    written_by_checkout = journal_rows(app) - before
    per_second = bench_entries(app, args.entries)
    deliveries, ledger_part = bench_webhook_share(app, buyer_ids, product_ids, args.webhooks)
    with app.app_context():
        db.engine.dispose()
    ms, p50, share = 1000, statistics.median(deliveries), statistics.median(ledger_part) / statistics.median(deliveries)
    print(f"{name:10} entries: {per_second:7.0f} per second (one writer, 4 lines, a commit each, {args.entries})")
    print(f"{name:10} webhook: p50 {p50 * ms:.1f} ms, p95 {checkout._percentile(deliveries, 0.95) * ms:.1f} ms; "
          f"ledger p50 {statistics.median(ledger_part) * ms:.2f} ms = {share:.1%} of a delivery "
          f"({len(deliveries)} deliveries)")
    print(f"{name:10} checkout: {rate:.1f} orders/s, {len(placed)} orders placed, {written_by_checkout} journal rows "
          f"written (money moves at payment, not at checkout)")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entries", type=int, default=2000)
    parser.add_argument("--webhooks", type=int, default=200)
    parser.add_argument("--postgres", default=os.environ.get("TEST_DATABASE_URL",
                                                             "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    parser.add_argument("--no-postgres", action="store_true")
    checkout.on_both_databases(run, parser.parse_args())


if __name__ == "__main__":
    main()
