"""Orders flagged for a payment mismatch reach the admins: a page, a count on the overview, and an email."""
import pytest
from sqlalchemy import select

from marketplace.accounts.models import User
from marketplace.extensions import db
from marketplace.notifications.models import Notification
from marketplace.orders import service
from tests.conftest import Auth


def _admin_emails(order):
    return db.session.scalars(select(Notification).where(Notification.kind == "admin_flagged",
                                                         Notification.dedupe_key.like(f"flagged:admin:{order.id}:%"))
                              .order_by(Notification.id)).all()


def test_flagging_emails_every_admin_once_per_reason(make_user, make_order):
    admins = [make_user("admin", name="Admin Satu"), make_user("admin", name="Admin Dua")]
    english = make_user("admin", name="Admin English")
    english.locale = "en"
    db.session.commit()
    order = make_order(paid=False)
    service.flag_order(order, "Jumlah/mata uang pembayaran tidak cocok: 100 'idr', pesanan 12000000 idr.")
    service.flag_order(order, "Jumlah/mata uang pembayaran tidak cocok: 100 'idr', pesanan 12000000 idr.")
    db.session.commit()
    emails = _admin_emails(order)
    every_admin = set(db.session.scalars(select(User.id).where(User.role == "admin")))
    assert {email.recipient_id for email in emails} == every_admin >= {a.id for a in [*admins, english]}
    assert len(emails) == len(every_admin)  # the same reason twice is one email each
    by_recipient = {email.recipient_id: email for email in emails}
    first = by_recipient[admins[0].id]
    assert order.code in first.subject and "tidak cocok: 100" in first.body
    assert "/admin/orders/flagged#pesanan-" + order.code in first.body
    assert "needs checking" in by_recipient[english.id].subject
    service.flag_order(order, "Peristiwa pembayaran dengan data pesanan yang tidak cocok.")
    db.session.commit()
    assert len(_admin_emails(order)) == 2 * len(every_admin)


def test_buyers_and_producers_are_not_told(make_user, make_order):
    make_user("admin")
    order = make_order(paid=False)
    service.flag_order(order, "Pembayaran dengan data pesanan yang tidak cocok; dana dikembalikan.")
    db.session.commit()
    recipients = {email.recipient_id for email in _admin_emails(order)}
    assert order.buyer_id not in recipients and order.shop_orders[0].shop.owner_id not in recipients


@pytest.fixture
def admin_client(client, make_user):
    Auth(client).login(make_user("admin").email)
    return client


def test_admins_see_flagged_orders_with_their_reason(admin_client, make_order):
    flagged, plain = make_order(paid=False), make_order(paid=False)
    service.flag_order(flagged, "Pembayaran datang setelah stok dilepas dan terjual lagi; dana dikembalikan.")
    db.session.commit()
    page = admin_client.get("/admin/orders/flagged")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and flagged.code in html and plain.code not in html
    assert "terjual lagi; dana dikembalikan" in html and flagged.buyer.email in html


def test_the_overview_counts_flagged_orders(admin_client, make_order):
    assert '<strong>0</strong> pesanan ditandai' in admin_client.get("/admin").get_data(as_text=True)
    for order in (make_order(paid=False), make_order(paid=False)):
        service.flag_order(order, "Jumlah tidak cocok.")
    db.session.commit()
    html = admin_client.get("/admin").get_data(as_text=True)
    assert '<strong>2</strong> pesanan ditandai' in html and "/admin/orders/flagged" in html


def test_no_flagged_orders_says_so(admin_client):
    assert "Tidak ada pesanan yang ditandai." in admin_client.get("/admin/orders/flagged").get_data(as_text=True)


@pytest.mark.parametrize("role", [None, "buyer", "producer"])
def test_only_admins_see_flagged_orders(client, make_user, make_order, role):
    order = make_order(paid=False)
    service.flag_order(order, "Jumlah tidak cocok.")
    db.session.commit()
    if role:
        Auth(client).login(make_user(role).email)
    response = client.get("/admin/orders/flagged")
    assert response.status_code == (302 if role is None else 403)
    assert order.code not in response.get_data(as_text=True)
