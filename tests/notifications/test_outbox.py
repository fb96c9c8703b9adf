"""Writing to the outbox: each message once per dedupe key, in the caller's transaction, in one statement."""
import sqlalchemy as sa
from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.models_base import utcnow
from marketplace.notifications import service
from marketplace.notifications.models import Notification


def _statements(fn):
    """Every statement fn sends, transaction control included (a savepoint is two round trips)."""
    sent = []

    def record(_conn, _cursor, statement, *_args):
        sent.append(statement.split(None, 1)[0].upper())

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        fn()
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)
    return sent


def _count(key):
    return db.session.scalar(select(func.count()).select_from(Notification).where(Notification.dedupe_key == key))


def test_a_message_is_written_once_in_one_statement(app, make_user):
    user = make_user()
    key = f"verify:{user.id}:test"
    with app.test_request_context():
        first = _statements(lambda: service.account_message("verify_email", user, key, link="https://x.example/v"))
        again = _statements(lambda: service.account_message("verify_email", user, key, link="https://x.example/v"))
    assert first == again == ["INSERT"]  # INSERT ... ON CONFLICT DO NOTHING: no check first, no savepoint
    assert _count(f"account:{key}") == 1


def test_a_key_written_meanwhile_makes_the_insert_do_nothing_and_the_transaction_goes_on(app):
    """What a concurrent writer of the same event meets after its check: no row, no error, no rollback."""
    values = dict(dedupe_key="test:meanwhile", kind="buyer_placed", recipient_id=None, to_email="rina@example.com",
                  locale="id", subject="Pesanan", body="Halo\n", created_at=utcnow(), attempts=0, last_error="")
    insert = service._insert_once(db.session.get_bind().dialect.name)
    assert db.session.execute(insert, values).scalar_one_or_none() is not None
    assert db.session.execute(insert, {**values, "subject": "Lagi"}).scalar_one_or_none() is None
    assert _count("test:meanwhile") == 1
    assert db.session.scalar(select(Notification.subject).where(Notification.dedupe_key == "test:meanwhile")) == \
        "Pesanan"
