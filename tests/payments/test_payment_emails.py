"""The emails of paying by transfer or QRIS, in the buyer's language: the instructions when an attempt opens (once),
the reminder before the deadline from `flask payments remind` (once per attempt, recorded as a job run), and the
order's paid email when the statement matches the money."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.jobs import JobRun
from marketplace.models_base import utcnow
from marketplace.orders.models import Order
from marketplace.payments import statement, switch, transfer
from marketplace.payments.settle import close_attempt, open_attempt
from tests.orders.test_views import _add, _checkout
from tests.payments.transfer_helpers import ACCOUNT_NUMBER, messages, methods_on


@pytest.fixture
def account(app):
    return methods_on()


@pytest.fixture
def english_buyer(client, auth, make_user):
    user = make_user()
    client.set_cookie("lang", "en")
    auth.login(user.email)
    user.locale = "en"
    db.session.commit()
    return user


def test_a_transfer_checkout_emails_the_instructions_once_in_the_buyers_language(client, english_buyer,
                                                                                 make_product, account):
    _add(client, make_product(price_idr=150000).id)
    assert _checkout(client, payment_method="bank_transfer").status_code == 302
    order = db.session.scalar(select(Order).where(Order.buyer_id == english_buyer.id))
    payment = open_attempt(order)
    [message] = messages("buyer_payment_instructions", english_buyer)
    amount = f"{payment.amount_idr:,}".replace(",", ".")
    assert message.locale == "en" and message.subject == f"How to pay for order {order.code}"
    assert amount in message.body and ACCOUNT_NUMBER in message.body and "WITA" in message.body
    assert f"unique code {payment.unique_code_idr}" in message.body
    client.post(f"/orders/{order.code}/pay", data={"csrf_token": _token(client)})
    assert len(messages("buyer_payment_instructions", english_buyer)) == 1


def _token(client):
    from tests.orders.test_views import _token as token

    return token(client)


def test_qris_instructions_point_to_the_code_not_to_bank_accounts(place, make_user, make_product, account):
    buyer = make_user()
    order = place(buyer, (make_product(price_idr=80000), 1))
    transfer.start_transfer(order)
    payment = switch.switch_method(order, "qris")
    db.session.commit()
    [message] = messages("buyer_payment_instructions", buyer)
    assert "QRIS" in message.body and ACCOUNT_NUMBER not in message.body
    assert f"{payment.amount_idr:,}".replace(",", ".") in message.body


def _open_transfer(place, make_user, make_product, hours_left):
    order = place(make_user(), (make_product(price_idr=50000), 1))
    payment = transfer.start_transfer(order)
    payment.expires_at = utcnow() + timedelta(hours=hours_left)
    db.session.commit()
    return payment


def test_remind_writes_one_reminder_per_attempt_close_to_its_deadline(app, runner, place, make_user, make_product,
                                                                     account):
    near = _open_transfer(place, make_user, make_product, 2)
    far = _open_transfer(place, make_user, make_product, 20)
    overdue = _open_transfer(place, make_user, make_product, -1)
    closed = _open_transfer(place, make_user, make_product, 1)
    close_attempt(closed, "failed")
    db.session.commit()
    for _run in range(2):
        result = runner.invoke(args=["payments", "remind"])
        assert result.exit_code == 0, result.output
    reminders = messages("buyer_payment_reminder")
    assert [message.recipient_id for message in reminders] == [near.order.buyer_id]
    assert f"{near.amount_idr:,}".replace(",", ".") in reminders[0].body
    assert far.state == overdue.state == "pending"
    assert db.session.get(JobRun, "payments remind") is not None
    assert runner.invoke(args=["payments", "remind", "--hours", "24"]).exit_code == 0
    assert len(messages("buyer_payment_reminder")) == 2  # now the far one too, still once for the near one


@pytest.mark.parametrize("hours", ["0", "-3", "49", "x", "9" * 40])
def test_remind_refuses_a_silly_window(runner, app, hours):
    assert runner.invoke(args=["payments", "remind", "--hours", hours]).exit_code != 0
    assert messages("buyer_payment_reminder") == []


def test_the_matched_transfer_is_confirmed_by_the_paid_email(app, place, make_user, make_product, account):
    buyer = make_user()
    order = place(buyer, (make_product(price_idr=150000), 1))
    payment = transfer.start_transfer(order)
    db.session.commit()
    raw = f"tanggal,keterangan,jumlah,jenis\n{utcnow().date().isoformat()},TRSF CR,{payment.amount_idr},CR\n"
    assert statement.import_statement(account.id, raw.encode()).settled == 1
    db.session.commit()
    assert len(messages("buyer_paid", buyer)) == 1
    assert messages("buyer_payment_reminder", buyer) == []
