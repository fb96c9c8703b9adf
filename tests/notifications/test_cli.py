"""`flask notifications send`: due rows only, stuck rows reported, limits, and two senders at once."""
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, insert, select

from marketplace.extensions import db
from marketplace.models_base import utcnow
from marketplace.notifications import sending
from marketplace.notifications.models import Notification
from tests.notifications.helpers import eml_files, rows, subjects
from tests.orders.helpers import in_parallel


def _row(**fields):
    """An outbox row as the service writes them (the service is tested through real order events elsewhere)."""
    values = dict(dedupe_key=f"test:{uuid.uuid4().hex}", kind="buyer_placed", to_email="rina@example.com",
                  locale="id", subject="Pesanan PD-TEST menunggu pembayaran", body="Halo Rina,\n", created_at=utcnow(),
                  attempts=0, last_error="")
    values.update(fields)
    return db.session.execute(insert(Notification).values(**values).returning(Notification.id)).scalar_one()


def test_sends_due_rows_only_and_reports_stuck_ones(app, runner):
    due = _row(subject="Baru")
    stuck = _row(subject="Macet", claimed_at=utcnow() - timedelta(hours=1))
    in_flight = _row(subject="Sedang dikirim", claimed_at=utcnow() - timedelta(seconds=5))
    done = _row(subject="Sudah", claimed_at=utcnow(), sent_at=utcnow())
    given_up = _row(subject="Menyerah", attempts=sending.MAX_ATTEMPTS, last_error="OSError: down")
    db.session.commit()
    result = runner.invoke(args=["notifications", "send"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("1 sent, 0 failed, 1 stuck, 1 given up")
    assert f": {stuck}\n" in result.output and str(in_flight) not in result.output.splitlines()[1]
    assert subjects(app) == ["Baru"]
    state = {row.id: (row.sent_at is not None, row.claimed_at is not None) for row in rows()}
    assert state[due] == (True, True) and state[stuck] == (False, True) and state[in_flight] == (False, True)
    assert state[done] == (True, True) and state[given_up] == (False, False)


def test_limit_is_honoured_oldest_first(app, runner):
    ids = [_row(subject=f"Pesan {n}") for n in range(3)]
    db.session.commit()
    assert runner.invoke(args=["notifications", "send", "--limit", "2"]).output.startswith("2 sent")
    assert sorted(subjects(app)) == ["Pesan 0", "Pesan 1"]
    assert [row.sent_at is None for row in rows() if row.id in ids] == [False, False, True]


@pytest.mark.parametrize("limit", ["0", "-1", "abc", "1e3", "10" * 20, "", "1; DROP TABLE notification"])
def test_wrong_limit_is_refused_and_sends_nothing(app, runner, limit):
    _row()
    db.session.commit()
    result = runner.invoke(args=["notifications", "send", "--limit", limit])
    assert result.exit_code == 2 and "--limit" in result.output
    assert eml_files(app) == [] and rows()[0].sent_at is None


def test_hostile_subject_and_address_through_the_cli(app, runner):
    hostile_subject = _row(subject="Pesanan\r\nBcc: victim@example.com", to_email="rina@example.com")
    hostile_address = _row(to_email="rina@example.com\r\nBcc: victim@example.com")
    huge = _row(subject="S" * 200, body="Isi panjang " * 20000)
    db.session.commit()
    result = runner.invoke(args=["notifications", "send"])
    assert result.output.startswith("2 sent, 1 failed"), result.output
    messages = [message for _name, message in eml_files(app)]
    assert len(messages) == 2 and all(message["Bcc"] is None for message in messages)
    assert {message["Subject"] for message in messages} == {"Pesanan Bcc: victim@example.com", "S" * 200}
    assert all(message["To"] == "rina@example.com" for message in messages)
    refused = db.session.get(Notification, hostile_address, populate_existing=True)
    assert refused.attempts == 1 and refused.claimed_at is None and "invalid recipient" in refused.last_error
    assert db.session.get(Notification, hostile_subject).sent_at and db.session.get(Notification, huge).sent_at


def test_a_failing_row_is_retried_until_it_is_given_up(app, runner):
    row_id = _row(to_email="bukan-alamat")
    db.session.commit()
    for attempt in range(1, sending.MAX_ATTEMPTS + 1):
        assert runner.invoke(args=["notifications", "send"]).output.startswith("0 sent, 1 failed")
        assert db.session.get(Notification, row_id, populate_existing=True).attempts == attempt
    assert runner.invoke(args=["notifications", "send"]).output.startswith("0 sent, 0 failed, 0 stuck, 1 given up")


def test_two_senders_at_once_send_each_row_once(market):
    def write_rows():
        for n in range(40):
            _row(subject=f"Paralel {n}")

    market.run(write_rows)

    def sender():
        with market.app.app_context():
            return sending.send_due(market.app.config, db.engine, 1000)

    outcomes = in_parallel([sender, sender])
    assert sum(outcome.sent for outcome in outcomes) == 40 and sum(o.failed for o in outcomes) == 0
    sent = sorted(subjects(market.app))
    assert sent == sorted(f"Paralel {n}" for n in range(40))
    assert market.run(lambda: db.session.scalar(select(func.count()).select_from(Notification)
                                                .where(Notification.sent_at.is_(None)))) == 0


def test_a_row_is_claimed_once(app):
    row_id = _row()
    db.session.commit()
    bind = db.session.get_bind(Notification)
    assert sending.claim(bind, row_id).id == row_id
    assert sending.claim(bind, row_id) is None  # the second sender gets nothing, before anything is sent
    sending.finish(bind, row_id)
    assert sending.claim(bind, row_id) is None and sending.due_ids(bind, 10) == []
