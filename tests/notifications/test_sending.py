"""Sending after commit: .eml files after real order events, nothing after a rollback, each message once."""
import os

from sqlalchemy import update

from marketplace.accounts.models import User
from marketplace.extensions import db
from marketplace.notifications import service as notify
from marketplace.notifications.service import PENDING
from marketplace.orders import cart, service
from tests.notifications.helpers import eml_files, rows, subjects
from tests.orders.helpers import address, event, post_event
from tests.payments.conftest import start_checkout


def _placed(buyer, product, commit=True):
    basket = cart.AccountCart(buyer)
    cart.add_to_cart(basket, str(product.id), "1")
    order = service.place_order(buyer, address(), {})
    if commit:
        db.session.commit()
    return order


def _paid_session(session):
    return {**session, "status": "complete", "payment_status": "paid", "payment_intent": "pi_notify_1"}


def test_paid_order_writes_rfc5322_files_after_commit(app, make_order):
    order = make_order()
    buyer, producer = order.buyer, order.shop_orders[0].shop.owner
    assert {row.kind for row in rows(order)} == {"buyer_placed", "buyer_paid", "producer_paid"}
    assert all(row.sent_at is not None and row.claimed_at is not None and row.attempts == 0
               and row.last_error == "" for row in rows(order))
    files = eml_files(app)
    assert len(files) == 3 and all(name.endswith(".eml") for name, _message in files)
    by_subject = {message["Subject"]: message for _name, message in files}
    paid = by_subject[f"Pembayaran pesanan {order.code} diterima"]
    assert paid["To"] == buyer.email and paid["From"] == app.config["MAIL_FROM"]
    assert paid["Date"] and paid["Message-ID"].endswith("@pasardesa.id>")
    assert paid.get_content_type() == "text/plain" and paid.get_content_charset() == "utf-8"
    assert order.code in paid.get_content() and "Rp" in paid.get_content()
    assert by_subject[f"Pesanan baru {order.code} sudah dibayar"]["To"] == producer.email
    assert len({message["Message-ID"] for _name, message in files}) == 3


def test_files_use_crlf_and_leave_no_temporary_file(app, make_order):
    make_order()
    directory = app.config["MAIL_OUTBOX_DIR"]
    for name in os.listdir(directory):
        with open(os.path.join(directory, name), "rb") as handle:
            raw = handle.read()
        assert not name.startswith(".") and b"\r\n\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")


def test_rolled_back_order_sends_nothing_and_forgets(app, make_user, make_product):
    buyer, product = make_user(), make_product()
    _placed(buyer, product, commit=False)
    assert db.session.info.get(PENDING) and rows(kind="buyer_placed")
    db.session.rollback()
    assert PENDING not in db.session.info
    assert rows() == [] and eml_files(app) == []
    make_user()  # a later commit of something else sends nothing either
    assert eml_files(app) == []


def test_a_savepoint_rolled_back_keeps_the_transaction_pending(app, make_user, make_product):
    buyer, product = make_user(), make_product()
    order = _placed(buyer, product, commit=False)
    savepoint = db.session.begin_nested()
    db.session.execute(update(User).where(User.id == buyer.id).values(name="Sementara"))
    savepoint.rollback()
    assert eml_files(app) == []  # nothing leaves before the real commit, savepoints included
    db.session.commit()
    assert subjects(app) == [f"Pesanan {order.code} menunggu pembayaran"]


def test_nothing_is_sent_before_the_outer_commit(app, make_user, make_product):
    buyer, product = make_user(), make_product()
    order = _placed(buyer, product, commit=False)
    notify.order_event("cancelled", order, order.shop_orders[0])  # more savepoints committed, still no commit
    assert eml_files(app) == [] and all(row.claimed_at is None for row in rows(order))
    db.session.rollback()
    assert rows() == [] and eml_files(app) == []


def test_same_webhook_twice_writes_and_sends_each_message_once(app, client, make_user, make_product):
    order = _placed(make_user(), make_product())
    paid = event("checkout.session.completed", _paid_session(start_checkout(app, order)))
    for _delivery in range(2):
        assert post_event(client, paid).status_code == 200
    kinds = [row.kind for row in rows(order)]
    assert sorted(kinds) == ["buyer_paid", "buyer_placed", "producer_paid"]
    assert sorted(subjects(app)) == sorted([f"Pembayaran pesanan {order.code} diterima",
                                            f"Pesanan {order.code} menunggu pembayaran",
                                            f"Pesanan baru {order.code} sudah dibayar"])


def test_two_different_payment_events_send_one_message(app, client, make_user, make_product):
    order = _placed(make_user(), make_product())
    session = _paid_session(start_checkout(app, order))
    for event_type in ("checkout.session.completed", "checkout.session.async_payment_succeeded"):
        assert post_event(client, event(event_type, session)).status_code == 200
    assert len(rows(order, kind="buyer_paid")) == 1 and len(rows(order, kind="producer_paid")) == 1
    assert subjects(app).count(f"Pembayaran pesanan {order.code} diterima") == 1
    assert len(eml_files(app)) == 3


def test_a_committed_request_never_fails_for_mail(app, client, make_user, make_product):
    order = _placed(make_user(), make_product())
    session = _paid_session(start_checkout(app, order))
    blocker = os.path.join(app.config["MAIL_OUTBOX_DIR"], "not-a-directory")
    with open(blocker, "w") as handle:
        handle.write("x")
    app.config["MAIL_OUTBOX_DIR"] = blocker  # every write fails
    response = post_event(client, event("checkout.session.completed", session))
    assert response.status_code == 200 and response.json["outcome"] == "paid"
    failed = rows(order, kind="buyer_paid")[0]
    assert failed.sent_at is None and failed.claimed_at is None and failed.attempts == 1
    assert "Error" in failed.last_error
    # The failure stopped the batch: the producer's message waits untried, for cron.
    assert rows(order, kind="producer_paid")[0].attempts == 0


def test_recipient_language_is_kept_on_the_row(app, make_user, make_order):
    english = make_user()
    english.locale = "en"
    db.session.commit()
    order = make_order(buyer=english)
    assert {row.locale for row in rows(order, kind="buyer_paid")} == {"en"}
    english_row = rows(order, kind="buyer_paid")[0]
    assert english_row.subject == f"Payment for order {order.code} received"
    assert "has been received" in english_row.body and "Pembayaran" not in english_row.body
    indonesian = make_order()
    row = rows(indonesian, kind="buyer_paid")[0]
    assert row.locale == "id" and row.subject == f"Pembayaran pesanan {indonesian.code} diterima"
    assert f"Pembayaran pesanan {indonesian.code} diterima" in subjects(app)


def test_address_with_line_break_is_refused_and_others_still_go(app, make_user, make_order):
    buyer = make_user()
    hostile = f"{buyer.email}\r\nBcc: victim@example.com"
    db.session.execute(update(User).where(User.id == buyer.id).values(email=hostile))
    db.session.commit()
    order = make_order(buyer=db.session.get(User, buyer.id, populate_existing=True))
    for row in rows(order, kind="buyer_paid") + rows(order, kind="buyer_placed"):
        assert row.sent_at is None and row.attempts == 1 and "invalid recipient address" in row.last_error
    assert subjects(app) == [f"Pesanan baru {order.code} sudah dibayar"]  # the producer's message went out
    assert all(message["Bcc"] is None and "victim" not in message.as_string() for _n, message in eml_files(app))


def test_address_list_is_refused(app, make_user, make_order):
    buyer = make_user()
    db.session.execute(update(User).where(User.id == buyer.id)
                       .values(email=f"{buyer.email}, victim@example.com"))
    db.session.commit()
    order = make_order(buyer=db.session.get(User, buyer.id, populate_existing=True))
    assert rows(order, kind="buyer_paid")[0].sent_at is None
    assert all("victim" not in message.as_string() for _n, message in eml_files(app))

