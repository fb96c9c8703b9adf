"""One log configuration, request ids, one access line per request, the 500 page's error code, and no secret
in any log line of a whole journey."""
import io
import json
import logging
import re

import pytest

from marketplace import logs
from marketplace.payments import standin
from tests.conftest import TEST_PASSWORD, csrf_token
from tests.orders.helpers import KUKAR_VILLAGE


@pytest.fixture
def log_output(app):
    """log_output(fmt="text", level="INFO") -> the stream the marketplace's one handler now writes to."""

    def capture(fmt="text", level="INFO"):
        logs.configure_logging({**app.config, "LOG_FORMAT": fmt, "LOG_LEVEL": level})
        stream = io.StringIO()
        logging.getLogger("marketplace").handlers[0].setStream(stream)
        return stream

    yield capture
    logs.configure_logging(app.config)


def test_every_module_logger_goes_through_the_one_handler(app, log_output):
    out = log_output()
    logging.getLogger("marketplace.search.sync").warning("index behind")
    app.logger.warning("from the app logger")
    lines = out.getvalue().splitlines()
    assert len(lines) == 2
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}Z WARNING marketplace\.search\.sync \[-\] index behind",
                        lines[0])
    assert "marketplace [-] from the app logger" in lines[1]


def test_each_request_gets_an_id_in_its_header_and_its_access_line(client, log_output):
    out = log_output()
    first, second = client.get("/login"), client.get("/login")
    ids = [first.headers["X-Request-ID"], second.headers["X-Request-ID"]]
    assert all(re.fullmatch(r"[0-9a-f]{32}", rid) for rid in ids) and ids[0] != ids[1]
    lines = out.getvalue().splitlines()
    assert len(lines) == 2
    assert f"INFO marketplace.access [{ids[0]}] GET accounts.login 200 " in lines[0]
    assert re.search(r" 200 \d+\.\dms user=None$", lines[0])


def test_a_clients_own_request_id_is_ignored_without_a_trusted_proxy(client):
    response = client.get("/login", headers={"X-Request-ID": "forged-by-the-client-0001"})
    assert response.headers["X-Request-ID"] != "forged-by-the-client-0001"


@pytest.mark.own_app(TRUSTED_PROXIES=1)
@pytest.mark.parametrize("sent, kept", [("nginx-4f2a9c1e77", True), ("a" * 65, False), ("short", False),
                                        ("bad id; X-Evil: 1", False), ("<script>alert(1)</script>", False)])
def test_a_trusted_proxys_request_id_is_kept_when_it_looks_like_one(app, sent, kept):
    response = app.test_client().get("/login", headers={"X-Request-ID": sent})
    assert (response.headers["X-Request-ID"] == sent) is kept
    assert re.fullmatch(r"[A-Za-z0-9._:-]{8,64}", response.headers["X-Request-ID"])


def test_access_line_names_the_user_by_id_only(client, auth, make_user, log_output):
    user = make_user(email="siti.rahma@example.com")
    auth.login(user.email)
    out = log_output()
    response = client.get("/account/password")
    assert response.status_code == 200
    line = out.getvalue().splitlines()[-1]
    assert line.endswith(f"user={user.id}") and "siti" not in line
    assert "GET accounts.change_password 200" in line or "GET accounts.password 200" in line


def test_access_line_after_a_commit_names_the_user_without_loading_it(client, auth, make_user, make_product,
                                                                    log_output):
    """The view's commit expired the user: its id comes from the session's identity key, not from a query (which
    on SQLite would also take the write lock a second time for the request)."""
    import sqlalchemy as sa

    from marketplace.extensions import db

    user, product = make_user(), make_product()
    auth.login(user.email)
    token = csrf_token(client, "/login")
    out, statements = log_output(), []

    def record(_conn, _cursor, statement, *_args):
        statements.append(statement.split(None, 1)[0].upper())

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        response = client.post("/cart/add", data={"product_id": product.id, "quantity": "1", "csrf_token": token})
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)
    assert response.status_code == 302
    assert out.getvalue().splitlines()[-1].endswith(f"user={user.id}")
    writes = [n for n, kind in enumerate(statements) if kind == "INSERT"]
    assert writes and all(kind in ("RELEASE", "SAVEPOINT") for kind in statements[writes[-1] + 1:]), statements


def test_json_lines_for_log_shippers(client, log_output):
    out = log_output("json")
    response = client.get("/no-such-page")
    entry = json.loads(out.getvalue().splitlines()[-1])
    assert entry["logger"] == "marketplace.access" and entry["level"] == "INFO"
    assert entry["request_id"] == response.headers["X-Request-ID"]
    assert (entry["method"], entry["endpoint"], entry["status"]) == ("GET", "-", 404)
    assert isinstance(entry["duration_ms"], float) and entry["user_id"] is None
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", entry["time"])


@pytest.mark.own_app(PROPAGATE_EXCEPTIONS=False)
def test_500_page_shows_the_request_id_that_the_traceback_carries(app, log_output):
    def broken():
        raise RuntimeError("a bug in a view")

    app.add_url_rule("/test/broken", view_func=broken)
    out = log_output("json")
    response = app.test_client().get("/test/broken")
    request_id = response.headers["X-Request-ID"]
    assert response.status_code == 500
    assert f"Kode kesalahan: {request_id}" in response.get_data(as_text=True)
    entries = [json.loads(line) for line in out.getvalue().splitlines()]
    error = next(entry for entry in entries if entry["level"] == "ERROR")
    assert error["request_id"] == request_id and "RuntimeError: a bug in a view" in error["traceback"]
    assert entries[-1]["status"] == 500 and entries[-1]["request_id"] == request_id
    english = app.test_client().get("/test/broken?lang=en").get_data(as_text=True)
    assert "Error code: " in english


def test_lines_written_by_a_requests_email_work_carry_its_id(client, auth, make_order, log_output):
    """Work after the commit (emails, the index) logs under the id of the request that caused it."""
    from marketplace.extensions import db
    from marketplace.orders import service

    part = make_order().shop_orders[0]
    service.accept_shop_order(part, part.shop.owner)
    db.session.commit()
    auth.login(part.shop.owner.email)
    token = csrf_token(client, f"/dashboard/orders/{part.id}")
    out = log_output(level="DEBUG")
    response = client.post(f"/dashboard/orders/{part.id}/ship",
                           data={"courier": "jne", "tracking_number": "JP123456789", "csrf_token": token})
    assert response.status_code == 302
    lines = out.getvalue().splitlines()
    assert any("marketplace.notifications.sending" in line and " sent" in line for line in lines)
    assert all(f"[{response.headers['X-Request-ID']}]" in line for line in lines)


def test_a_whole_journey_logs_no_secret(app, client, auth, make_user, make_product, log_output, caplog):
    """Register, log in, fill the cart, check out, pay at the stand-in (a signed webhook), log out: everything
    written at DEBUG, by the marketplace and by every library, holds no password, cookie, token, key or
    signature, and no webhook body beyond its event id and type."""
    caplog.set_level(logging.DEBUG)
    out = log_output("json", level="DEBUG")
    product = make_product(stock=5)
    password = "Rahasia-Kelulut-2026!"
    email = "rina.journey@example.com"
    token = csrf_token(client, "/register")
    registered = client.post("/register", data={"email": email, "name": "Rina", "phone": "081234567890",
                                                "password": password, "confirm": password, "role": "buyer",
                                                "csrf_token": token})
    assert registered.status_code == 200
    from tests.accounts.test_landing import _verification_link

    assert client.get(_verification_link(email)).status_code == 302       # the emailed link verifies, logs in
    auth.logout()
    assert auth.login(email, password).status_code == 302
    token = csrf_token(client, "/cart")
    client.post("/cart/add", data={"product_id": product.id, "quantity": "1", "csrf_token": token})
    checkout = client.post("/checkout", data={
        "recipient_name": "Rina Wulandari", "phone": "0812 3456 7890", "street": "Jl. Poros No. 12",
        "province_code": "64", "regency_code": "64.02", "district_code": "64.02.06", "village_code": KUKAR_VILLAGE,
        "postal_code": "75572", "note": "", "action": "place", "csrf_token": token})
    pay_page = checkout.headers["Location"]
    assert "/stripe-standin/pay/" in pay_page
    paid = client.post(pay_page, data={"action": "pay", "csrf_token": token})
    assert paid.status_code == 302
    session_cookie = client.get_cookie("session").value
    auth.logout()

    written = out.getvalue() + "\n".join(record.getMessage() + str(record.__dict__) for record in caplog.records)
    assert "marketplace.access" in written and "payments.stripe_webhook" in written  # the journey was logged
    secrets = {"password": password, "test password": TEST_PASSWORD, "session cookie": session_cookie,
               "CSRF token": token, "Stripe key": standin.API_KEY,
               "webhook secret": app.config["STRIPE_WEBHOOK_SECRET"], "app secret": app.config["SECRET_KEY"],
               "email": email, "street": "Jl. Poros"}
    leaked = [name for name, secret in secrets.items() if secret in written]
    assert not leaked
    assert not re.search(r"v1=[0-9a-f]{64}", written)  # a Stripe-Signature
