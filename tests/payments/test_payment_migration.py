"""The migration that moves Stripe's columns off `order` keeps every order's payment history, both ways."""
from datetime import datetime, timezone

import flask_migrate
import pytest
import sqlalchemy as sa

from marketplace import create_app
from marketplace.extensions import db

BEFORE, AFTER = "7c1d0b5e9a31", "7c3e9a1d2b40"
WHEN = datetime(2026, 12, 1, 2, 0, tzinfo=timezone.utc)
# (code, order state, session, intent, refund made?) ; None refund: none recorded
ORDERS = [
    ("PD-2612-PAID", "paid", "cs_paid", "pi_paid", None),
    ("PD-2612-WAIT", "pending", "cs_wait", None, None),
    ("PD-2612-SLOW", "processing", "cs_slow", None, None),
    ("PD-2612-GONE", "expired", "cs_gone", None, None),
    ("PD-2612-OWED", "cancelled", "cs_owed", "pi_owed", False),
    ("PD-2612-BACK", "cancelled", "cs_back", "pi_back", True),
    ("PD-2612-NONE", "pending", None, None, None),  # Stripe never reached: no attempt
]


@pytest.fixture
def old_schema_app(server_database, tmp_path):
    """An app whose database is migrated up to the revision before payment attempts, holding old orders."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": server_database(tmp_path), "SECRET_KEY": "m", "TESTING": True})
    with app.app_context():
        flask_migrate.upgrade(revision=BEFORE)
        _old_orders()
        yield app
        db.session.remove()
        db.engine.dispose()


def _old_orders():
    with db.engine.begin() as connection:
        connection.execute(sa.text(
            "INSERT INTO \"user\" (id, email, name, phone, role, password_hash, session_token, created_at) "
            "VALUES (1, 'b@x.test', 'B', '', 'buyer', 'x', 't', :when)"), {"when": WHEN})
        for number, (code, state, session, intent, refunded) in enumerate(ORDERS, start=1):
            connection.execute(sa.text(
                "INSERT INTO \"order\" (id, code, buyer_id, state, items_total_idr, shipping_total_idr, total_idr, "
                "stripe_session_id, checkout_url, stripe_payment_intent, expires_at, created_at, paid_at, "
                "released_at, flagged_for_admin, flag_reason, recipient_name, phone, street, province_code, "
                "regency_code, district_code, village_code, postal_code, note) VALUES (:id, :code, 1, :state, "
                "3000000000, 0, 3000000000, :session, :url, :intent, :when, :when, :paid, :released, false, '', "
                "'', '', '', '', '', '', '', '', '')"),
                {"id": number, "code": code, "state": state, "session": session, "intent": intent, "when": WHEN,
                 "url": f"https://pay.example/{session}" if session else None,
                 "paid": WHEN if state == "paid" else None,
                 "released": WHEN if state in ("expired", "cancelled") else None})
            if refunded is not None:
                connection.execute(sa.text(
                    "INSERT INTO payment_refund (payment_intent, order_id, amount, currency, reason, "
                    "stripe_refund_id, created_at, last_error) VALUES (:intent, :id, 1, 'idr', 'x', :made, :when, '')"),
                    {"intent": intent, "id": number, "made": "re_1" if refunded else None, "when": WHEN})


def _payments():
    with db.engine.connect() as connection:
        return {row.code: row for row in connection.execute(sa.text(
            "SELECT o.code, p.method, p.state, p.amount_idr, p.stripe_session_id, p.checkout_url, "
            "p.stripe_payment_intent FROM payment p JOIN \"order\" o ON o.id = p.order_id"))}


def test_every_order_that_reached_stripe_keeps_its_attempt(old_schema_app):
    flask_migrate.upgrade(revision=AFTER)
    payments = _payments()
    assert set(payments) == {code for code, _state, session, _i, _r in ORDERS if session}
    states = {code: row.state for code, row in payments.items()}
    assert states == {"PD-2612-PAID": "paid", "PD-2612-WAIT": "pending", "PD-2612-SLOW": "pending",
                      "PD-2612-GONE": "expired", "PD-2612-OWED": "refund_owed", "PD-2612-BACK": "refunded"}
    paid = payments["PD-2612-PAID"]
    assert (paid.method, paid.amount_idr, paid.stripe_session_id, paid.stripe_payment_intent,
            paid.checkout_url) == ("stripe", 3000000000, "cs_paid", "pi_paid", "https://pay.example/cs_paid")
    columns = {column["name"] for column in sa.inspect(db.engine).get_columns("order")}
    assert not columns & {"stripe_session_id", "checkout_url", "stripe_payment_intent"}


def test_downgrade_puts_the_columns_back_with_their_values(old_schema_app):
    flask_migrate.upgrade(revision=AFTER)
    flask_migrate.downgrade(revision=BEFORE)
    with db.engine.connect() as connection:
        rows = {row.code: tuple(row)[1:] for row in connection.execute(sa.text(
            "SELECT code, stripe_session_id, stripe_payment_intent FROM \"order\""))}
    assert rows == {code: (session, intent) for code, _state, session, intent, _r in ORDERS}
