"""Benchmark: what the ledger costs. Not a test.

    python bench/ledger.py [--entries 1000] [--checkouts 150] [--postgres URL | --no-postgres]

For SQLite (a WAL file in a temporary directory) and PostgreSQL (a throw-away database on the server given by
--postgres, default $TEST_DATABASE_URL or postgresql+psycopg://postgres@127.0.0.1:5432/test). The machine is shared,
so every figure is CPU time: this process's (time.process_time) plus, on PostgreSQL, that of the server backends
this process connected to (their utime + stime in /proc, when the server runs on this machine; 0 otherwise).

- entries: one writer posts payment entries (4 lines: money held, commission, two shops' pending shares), each in
  its own transaction and commit, as the webhook does. Reported: entries per CPU second (and per wall second).
- checkout: a buyer's whole checkout, one after another: the cart, place_order, the Stripe stand-in's Checkout
  Session, and the signed checkout.session.completed delivery through the WSGI app. Before and after in the same
  run, interleaved one by one: "before" with the ledger's only part of it (orders.earnings.record_paid, which
  writes the payment entry) replaced by nothing, "after" as in production. Reported: CPU per checkout and per
  webhook delivery, before and after, and how much more the ledger makes each (goal: under 15% per checkout).
"""
import argparse
import json
import os
import statistics
import sys
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)

import sqlalchemy as sa  # noqa: E402

import checkout  # noqa: E402  (bench/checkout.py: app, seed, address)
from marketplace.extensions import db  # noqa: E402
from marketplace.payments.settle import latest_attempt  # noqa: E402


def cpu_clock(app):
    """A clock of CPU seconds: this process's, plus its PostgreSQL backends' (their pids learnt as they connect)."""
    backends = set()
    with app.app_context():
        engine = db.engine
        engine.dispose()                          # every connection from now on is a new one, and remembered

        @sa.event.listens_for(engine, "connect")
        def remember(dbapi_connection, _record):
            info = getattr(dbapi_connection, "info", None)
            if getattr(info, "backend_pid", None):
                backends.add(info.backend_pid)

    def backend_seconds():
        ticks = 0
        for pid in backends:
            try:
                with open(f"/proc/{pid}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
            except OSError:                       # ended, or a server on another machine
                continue
            ticks += int(fields[11]) + int(fields[12])
        return ticks / os.sysconf("SC_CLK_TCK")

    return lambda: time.process_time() + backend_seconds()


def bench_entries(app, clock, count):
    """(entries per CPU second, entries per wall second) for one writer, a commit per entry."""
    from marketplace.ledger import service
    from marketplace.ledger.service import credit, debit

    with app.app_context():
        cpu, wall = clock(), time.perf_counter()
        for n in range(count):
            service.post("bench", f"entry-{n}", [debit("held:stripe", 150_000), credit("income:commission", 7_500),
                                                 credit("shop:1:pending", 95_000), credit("shop:2:pending", 47_500)])
            db.session.commit()
        cpu, wall = clock() - cpu, time.perf_counter() - wall
        db.session.remove()
    return count / cpu, count / wall


def _placed_with_session(app, user_id, product_ids, n):
    """A placed order of two products and its stand-in Checkout Session, as Stripe reports it once paid."""
    from marketplace.accounts.models import User
    from marketplace.orders import cart, service
    from marketplace.payments import service as payments
    from marketplace.payments.standin import StandinCheckoutSession

    with app.app_context():
        user = db.session.get(User, user_id)
        for product_id in (product_ids[n % len(product_ids)], product_ids[(n + 1) % len(product_ids)]):
            cart.add_to_cart(cart.AccountCart(user), str(product_id), "1")
        db.session.commit()
        order = service.place_order(user, checkout._address(), {})
        db.session.commit()
        with app.test_request_context():
            request = payments.checkout_request(order, "https://bench.example.com/ok", "https://bench.example.com/no")
            db.session.commit()
            payments.remember_session(request.order_id, payments.open_checkout(request))
            db.session.commit()
        row = db.session.get(StandinCheckoutSession, latest_attempt(order).stripe_session_id)
        session = {**row.as_stripe(), "status": "complete", "payment_status": "paid",
                   "payment_intent": f"pi_{uuid.uuid4().hex}"}
        db.session.remove()
    return session


def _deliver(app, client, session):
    from marketplace.payments import standin

    event = {"id": f"evt_{uuid.uuid4().hex}", "object": "event", "type": "checkout.session.completed",
             "created": int(time.time()), "livemode": False, "data": {"object": session}}
    payload = json.dumps(event).encode()
    response = client.post("/webhooks/stripe", data=payload, content_type="application/json",
                           headers={"Stripe-Signature": standin.sign(payload, app.config["STRIPE_WEBHOOK_SECRET"])})
    assert response.status_code == 200 and response.json["outcome"] == "paid", response.get_data(as_text=True)


def bench_checkouts(app, clock, buyer_ids, product_ids, count):
    """{"before"/"after": {"checkout": [cpu s], "webhook": [cpu s]}}: `count` checkouts each, interleaved."""
    from marketplace.orders import earnings

    client, original = app.test_client(), earnings.record_paid
    found = {which: {"checkout": [], "webhook": []} for which in ("before", "after")}
    for n in range(2 * count):
        which = ("before", "after")[n % 2]
        earnings.record_paid = original if which == "after" else (lambda *_args, **_kwargs: (None, False))
        try:
            started = clock()
            session = _placed_with_session(app, buyer_ids[n % len(buyer_ids)], product_ids, n)
            delivering = clock()
            _deliver(app, client, session)
            ended = clock()
        finally:
            earnings.record_paid = original
        found[which]["checkout"].append(ended - started)
        found[which]["webhook"].append(ended - delivering)
    return found


def journal_lines(app):
    """Rows in journal_line."""
    with app.app_context():
        rows = db.session.scalar(sa.text("SELECT count(*) FROM journal_line"))
        db.session.remove()
    return rows


def run(name, url, files, args):
    """Bench one database and print its figures."""
    app = checkout._app(url, files)
    buyer_ids, product_ids = checkout._seed(app, 4, 6)
    clock = cpu_clock(app)
    per_cpu, per_wall = bench_entries(app, clock, args.entries)
    lines = journal_lines(app)
    found = bench_checkouts(app, clock, buyer_ids, product_ids, args.checkouts)
    written = journal_lines(app) - lines
    with app.app_context():
        db.engine.dispose()
    print(f"{name:10} entries: {per_cpu:6.0f} per CPU second, {per_wall:6.0f} per wall second "
          f"(one writer, 4 lines, a commit each, {args.entries})")
    for part in ("checkout", "webhook"):
        before, after = (sum(found[which][part]) / len(found[which][part]) for which in ("before", "after"))
        print(f"{name:10} {part:8}: {before * 1000:6.2f} ms CPU without the ledger, {after * 1000:6.2f} ms with it: "
              f"{after / before - 1:+.1%} (means of {args.checkouts} each, interleaved; medians "
              f"{statistics.median(found['before'][part]) * 1000:.2f} / "
              f"{statistics.median(found['after'][part]) * 1000:.2f} ms)")
    print(f"{name:10} journal lines written by the {args.checkouts} checkouts with the ledger: {written} "
          f"(none by the {args.checkouts} without)")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entries", type=int, default=1000)
    parser.add_argument("--checkouts", type=int, default=150)
    checkout.database_arguments(parser)
    checkout.on_both_databases(run, parser.parse_args())


if __name__ == "__main__":
    main()
