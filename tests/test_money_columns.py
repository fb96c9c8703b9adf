"""Money is whole rupiah in 64-bit columns: totals reach billions, and Stripe's units are rupiah x 100."""
import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.payments.models import PaymentRefund

# Columns holding money whose names do not end in _idr (Stripe's units, as Stripe reports them).
STRIPE_AMOUNT_COLUMNS = {("payment_refund", "amount"), ("standin_checkout_session", "amount_total"),
                         ("standin_refund", "amount")}


def money_columns():
    """(table, column) of every money column in the models."""
    return [(table.name, column) for table in db.metadata.sorted_tables for column in table.columns
            if column.name.endswith("_idr") or (table.name, column.name) in STRIPE_AMOUNT_COLUMNS]


def test_every_money_column_is_64_bit(app):
    columns = money_columns()
    assert len(columns) >= 14
    narrow = [f"{table}.{column.name}" for table, column in columns if not isinstance(column.type, sa.BigInteger)]
    assert narrow == []


def test_a_refund_of_billions_in_stripe_units_is_stored(app):
    """Rp25.000.000 owed back is 2.500.000.000 in Stripe's units: past 32 bits."""
    refund = PaymentRefund(payment_intent="pi_large", amount=25_000_000 * 100 * 100, currency="idr",
                           reason="paid_after_release")
    db.session.add(refund)
    db.session.flush()
    db.session.expire(refund)
    assert db.session.get(PaymentRefund, refund.id).amount == 250_000_000_000


def test_widening_keeps_the_orders_a_marketplace_already_has(server_database, tmp_path):
    """The migration rebuilds money tables on SQLite; rows that other tables point at must survive it."""
    import flask_migrate

    from marketplace import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": server_database(tmp_path), "SECRET_KEY": "m", "TESTING": True,
                      "INSTANCE_PATH": str(tmp_path / "instance")})
    with app.app_context():
        flask_migrate.upgrade(revision="eff121cf2433")
        with db.engine.begin() as connection:
            connection.execute(sa.text(
                "INSERT INTO \"user\" (id, email, name, phone, role, password_hash, session_token, created_at) "
                "VALUES (1, 'b@x.test', 'B', '', 'buyer', 'x', 't', CURRENT_TIMESTAMP)"))
            connection.execute(sa.text(
                "INSERT INTO \"order\" (id, code, buyer_id, state, items_total_idr, shipping_total_idr, total_idr, "
                "expires_at, created_at, flagged_for_admin, flag_reason, recipient_name, phone, street, "
                "province_code, regency_code, district_code, village_code, postal_code, note) VALUES (1, "
                "'PD-2612-AAAA', 1, 'pending', 150000, 10000, 160000, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, "
                "false, '', '', '', '', '', '', '', '', '', '')"))
            connection.execute(sa.text(
                "INSERT INTO order_event (order_id, from_state, to_state, actor_role, note, created_at) "
                "VALUES (1, '', 'pending', 'buyer', '', CURRENT_TIMESTAMP)"))
        flask_migrate.upgrade(revision="5b0c1f7e9a21")
        with db.engine.connect() as connection:
            assert connection.execute(sa.text("SELECT total_idr FROM \"order\"")).scalar_one() == 160000
            assert connection.execute(sa.text("SELECT count(*) FROM order_event")).scalar_one() == 1
        db.engine.dispose()
