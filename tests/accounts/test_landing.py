"""Where people land after logging in or registering, and why the login page is shown."""
import re

import pytest

from tests.conftest import TEST_PASSWORD, csrf_token


@pytest.mark.parametrize("role, landing", [("buyer", "/"), ("producer", "/dashboard"), ("admin", "/admin")])
def test_each_role_lands_at_its_work_after_login(client, auth, make_user, role, landing):
    response = auth.login(make_user(role).email)
    assert response.status_code == 302 and response.headers["Location"] == landing


def test_a_page_that_sent_the_visitor_to_log_in_wins_over_the_landing(client, auth, make_user):
    token = csrf_token(client, "/login")
    response = client.post("/login?next=/dashboard/orders", data={
        "email": make_user("producer").email, "password": TEST_PASSWORD, "csrf_token": token})
    assert response.headers["Location"] == "/dashboard/orders"


def _verification_link(email):
    """The verification link mailed to a new address (path and query, on this site)."""
    from urllib.parse import urlsplit

    from tests.accounts.test_verification import link_in, mails_to

    [mail] = mails_to(email)
    parts = urlsplit(link_in(mail.body, "/account/verify/"))
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def test_checkout_sends_a_visitor_to_log_in_with_the_reason_and_register_returns_there(client):
    to_login = client.get("/checkout")
    assert to_login.status_code == 302 and "/login?next=" in to_login.headers["Location"]
    page = client.get(to_login.headers["Location"]).get_data(as_text=True)
    assert "Masuk atau daftar untuk memesan." in page
    register_link = re.search(r'href="(/register\?next=[^"]+)"', page).group(1)
    assert "checkout" in register_link
    register_page = client.get(register_link.replace("&amp;", "&")).get_data(as_text=True)
    assert "Masuk atau daftar untuk memesan." in register_page
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', register_page).group(1)
    response = client.post(register_link.replace("&amp;", "&"), data={
        "name": "Ibu Rina", "email": "rina-baru@example.com", "phone": "0812 3456 7890", "role": "buyer",
        "password": TEST_PASSWORD, "confirm": TEST_PASSWORD, "csrf_token": token})
    assert response.status_code == 200 and "rina-baru@example.com" in response.get_data(as_text=True)
    verified = client.get(_verification_link("rina-baru@example.com"))     # the emailed link logs in
    assert verified.status_code == 302 and verified.headers["Location"] == "/checkout"


def test_a_login_page_without_next_gives_no_reason(client):
    assert "untuk memesan" not in client.get("/login").get_data(as_text=True)


def test_a_foreign_next_is_ignored_after_registration(client):
    token = csrf_token(client, "/register")
    response = client.post("/register?next=//evil.example/x", data={
        "name": "Pak Budi", "email": "budi-baru@example.com", "phone": "0812 3456 7891", "role": "producer",
        "password": TEST_PASSWORD, "confirm": TEST_PASSWORD, "csrf_token": token})
    assert response.status_code == 200 and "evil.example" not in _verification_link("budi-baru@example.com")
    assert client.get(_verification_link("budi-baru@example.com")).headers["Location"] == "/dashboard"


def test_the_header_counts_a_producers_new_paid_orders(client, auth, make_order):
    order = make_order()
    producer = order.shop_orders[0].shop.owner
    auth.login(producer.email)
    header = client.get("/").get_data(as_text=True).split("</header>")[0]
    assert re.search(r'href="/dashboard/orders">Pesanan toko <span class="count-badge">1<', header)
    assert "Belanjaan saya" in header and ">Pesanan saya<" not in header
