"""Sending by SMTP to a real local server (aiosmtpd): delivered, refused, down and retried from the CLI."""
import email
from email import policy

from marketplace.extensions import db
from marketplace.notifications import mail
from marketplace.orders import cart, service
from tests.notifications.helpers import Received, eml_files, free_port, rows
from tests.orders.helpers import address, event, post_event
from tests.payments.conftest import start_checkout


def _smtp(app, port, **settings):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, **settings)


def _parsed(received):
    return [(sender, recipients, email.message_from_bytes(raw, policy=policy.default))
            for sender, recipients, raw in received.messages]


def test_real_server_receives_each_message_for_its_one_recipient(app, smtp_server, make_order):
    port, received = smtp_server
    _smtp(app, port)
    order = make_order()
    buyer = order.buyer
    messages = _parsed(received)
    assert len(messages) == 3 and eml_files(app) == []
    paid = [m for m in messages if m[2]["Subject"] == f"Pembayaran pesanan {order.code} diterima"]
    assert len(paid) == 1
    sender, recipients, message = paid[0]
    assert recipients == [buyer.email] and message["To"] == buyer.email
    assert sender == "pesanan@pasardesa.id" and order.code in message.get_content()
    assert all(row.sent_at is not None for row in rows(order))


def test_login_is_used_when_a_username_is_set(app, make_order, runner):
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword

    logins = []

    def authenticator(_server, _session, _envelope, _mechanism, auth_data):
        assert isinstance(auth_data, LoginPassword)
        logins.append((auth_data.login, auth_data.password))
        return AuthResult(success=auth_data.password == b"rahasia")

    received = Received()
    controller = Controller(received, hostname="127.0.0.1", port=free_port(), authenticator=authenticator,
                            auth_require_tls=False)
    controller.start()
    try:
        # aiosmtpd answers a failed login by going quiet: a short timeout keeps the test quick.
        _smtp(app, controller.port, MAIL_USERNAME="pasardesa", MAIL_PASSWORD="salah", MAIL_TIMEOUT_SECONDS=1)
        order = make_order()
        assert received.messages == [] and set(logins) == {(b"pasardesa", b"salah")}
        assert all(row.sent_at is None and row.last_error for row in rows(order, kind="buyer_placed"))
        app.config["MAIL_PASSWORD"] = "rahasia"
        second = make_order()
        assert {row.sent_at is not None for row in rows(second)} == {True}
        assert len(received.messages) == 3  # the second order's own messages, right after its commits
        # The first order's producer message was never tried (the failed login stopped that batch): it waits,
        # unclaimed and uncounted, for cron, which sends it and retries the two that failed.
        waiting = rows(order, kind="producer_paid")[0]
        assert waiting.sent_at is None and waiting.claimed_at is None and waiting.attempts == 0
        result = runner.invoke(args=["notifications", "send"])
        assert result.exit_code == 0, result.output
        assert len(received.messages) == 6 and {row.sent_at is not None for row in rows(order)} == {True}
    finally:
        controller.stop()


def test_tls_required_but_not_offered_sends_nothing_in_clear(app, smtp_server, make_order):
    port, received = smtp_server
    _smtp(app, port, MAIL_USE_TLS=True)
    order = make_order()
    assert received.messages == []
    row = rows(order, kind="buyer_placed")[0]
    assert row.sent_at is None and row.attempts == 1 and "STARTTLS" in row.last_error


def test_down_server_leaves_rows_due_and_the_cli_sends_them_later(app, client, runner, smtp_server, make_user,
                                                                  make_product):
    _smtp(app, free_port())  # nothing listens there
    buyer = make_user()
    cart.add_to_cart(cart.AccountCart(buyer), str(make_product().id), "1")
    order = service.place_order(buyer, address(), {})
    db.session.commit()
    session = {**start_checkout(app, order), "status": "complete", "payment_status": "paid",
               "payment_intent": "pi_down"}
    response = post_event(client, event("checkout.session.completed", session))
    assert response.status_code == 200 and response.json["outcome"] == "paid"
    paid = rows(order, kind="buyer_paid")[0]
    assert paid.sent_at is None and paid.claimed_at is None and paid.attempts == 1
    assert "ConnectionRefusedError" in paid.last_error
    port, received = smtp_server
    app.config["MAIL_PORT"] = port
    result = runner.invoke(args=["notifications", "send"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("3 sent, 0 failed, 0 stuck")
    assert sorted(m[2]["Subject"] for m in _parsed(received)) == sorted(row.subject for row in rows(order))
    assert all(row.sent_at is not None and row.claimed_at is not None for row in rows(order))
    assert runner.invoke(args=["notifications", "send"]).output.startswith("0 sent, 0 failed")


class RefusingServer(Received):
    """Refuses every recipient whose address starts with 'refused-'."""

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 (aiosmtpd's name)
        """550 for refused-..., 250 for the rest."""
        if address.startswith("refused-"):
            return "550 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"


def test_refused_recipient_fails_that_message_only(app, make_user, make_order):
    from aiosmtpd.controller import Controller

    received = RefusingServer()
    controller = Controller(received, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        _smtp(app, controller.port)
        order = make_order(buyer=make_user(email="refused-rina@example.com"))
    finally:
        controller.stop()
    buyer_paid = rows(order, kind="buyer_paid")[0]
    assert buyer_paid.sent_at is None and buyer_paid.attempts == 1 and "recipient refused" in buyer_paid.last_error
    assert rows(order, kind="producer_paid")[0].sent_at is not None  # the batch went on after the refusal
    assert [recipients for _sender, recipients, _raw in received.messages] == [[order.shop_orders[0].shop.owner.email]]


def test_header_injection_in_subject_cannot_add_headers(app):
    letter = mail.Letter(1, "rina@example.com", "Pesanan\r\nBcc: victim@example.com\nX-Evil: 1", "Isi\n")
    message = mail.build_message(letter, app.config)
    raw = message.as_bytes(policy=policy.SMTP)
    parsed = email.message_from_bytes(raw, policy=policy.default)
    assert parsed["Bcc"] is None and parsed["X-Evil"] is None
    assert parsed["Subject"] == "Pesanan Bcc: victim@example.com X-Evil: 1"
