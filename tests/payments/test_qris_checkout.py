"""QRIS at checkout: the admin's static payload (refused with the reason when broken), QRIS offered only when
switched on with a payload, and the order page's QR code, drawn on the server as SVG, carrying the dynamic
payload the builder made for the amount asked, which an independent decoder reads back."""
import re
import xml.etree.ElementTree as ElementTree

import pytest
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.orders.limits import QRIS_MAX_IDR
from marketplace.orders.models import Order
from marketplace.payments import qris, statement, transfer
from marketplace.payments.models import Payment, PaymentMethodSetting, ReceivingAccount
from marketplace.payments.settle import latest_attempt
from tests.conftest import csrf_token
from tests.orders.test_views import _add, _checkout
from tests.payments import qr_reader
from tests.payments.qr_reader import read_svg, svg_modules
from tests.payments.test_qris import PUBLISHED, decode

STATIC, MERCHANT = PUBLISHED[0]


@pytest.fixture
def qris_on(app):
    transfer.set_qris_payload(STATIC)
    transfer.set_method_enabled("qris", True)
    db.session.commit()


def _post(client, path, data):
    return client.post(path, data={**data, "csrf_token": csrf_token(client, "/admin/payments")})


def test_admin_pastes_the_static_qris_and_checkout_offers_it(client, admin):
    assert _post(client, "/admin/payments/methods/qris", {"enabled": "1"}).status_code == 302
    assert not transfer.method_enabled("qris")  # switched on, but nothing to pay to yet
    assert "belum ada QRIS" in client.get("/admin/payments").get_data(as_text=True)
    response = _post(client, "/admin/payments/qris", {"payload": f"  {STATIC}\n"})
    assert response.status_code == 302 and transfer.qris_payload() == STATIC
    assert transfer.method_enabled("qris")
    assert f"Merchant: {MERCHANT}" in client.get("/admin/payments").get_data(as_text=True)


@pytest.mark.parametrize("payload, reason", [
    (STATIC[:-4] + "0000", "Checksum QRIS salah"),
    (STATIC + "<script>alert(1)</script>", "QRIS rusak"),
    ("", "Tempel teks QRIS"),
    ("=HYPERLINK(\"http://x\")" * 3, "QRIS rusak"),
    ("0" * 2_000_000, "Tempel teks QRIS"),
    (STATIC.replace("5303360", "5303840")[:-4] + f"{qris.crc16(STATIC.replace('5303360', '5303840')[:-4]):04X}",
     "rupiah"),
])
def test_a_bad_static_payload_is_refused_with_the_reason_and_changes_nothing(client, admin, payload, reason):
    transfer.set_qris_payload(PUBLISHED[1][0])
    db.session.commit()
    response = _post(client, "/admin/payments/qris", {"payload": payload})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and reason in page and "<script>alert" not in page
    assert transfer.qris_payload() == PUBLISHED[1][0]


@pytest.mark.parametrize("role", [None, "buyer", "producer"])
def test_only_admins_set_the_qris(client, auth, make_user, role):
    if role:
        auth.login(make_user(role).email)
    token = csrf_token(client, "/login")
    response = client.post("/admin/payments/qris", data={"payload": STATIC, "csrf_token": token})
    assert response.status_code in (302, 403) and db.session.get(PaymentMethodSetting, "qris") is None


def test_qris_without_csrf_changes_nothing(client, admin):
    assert client.post("/admin/payments/qris", data={"payload": STATIC}).status_code in (400, 422)
    assert transfer.qris_payload() == ""


def _svg_of(page):
    found = re.findall(r"<svg\b.*?</svg>", page, re.DOTALL)
    assert len(found) == 1
    return found[0]


def _assert_inert(svg):
    root = ElementTree.fromstring(svg)  # well-formed XML
    for element in root.iter():
        assert element.tag.rpartition("}")[2] in ("svg", "title", "g", "path"), element.tag
        assert not [name for name in element.attrib if name.lower().startswith("on") or "href" in name.lower()
                    or name.lower() == "style"]  # nothing a strict CSP would block
    assert "script" not in svg.lower() and "javascript" not in svg.lower()


def test_qris_checkout_shows_the_code_of_the_amount_asked_with_its_deadline(client, shopper, make_product, qris_on):
    _add(client, make_product(price_idr=150000).id)
    response = _checkout(client, payment_method="qris")
    order = db.session.scalar(select(Order).where(Order.buyer_id == shopper.id))
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/orders/{order.code}")
    payment = latest_attempt(order)
    assert (payment.method, payment.state) == ("qris", "pending")
    assert 1 <= payment.unique_code_idr <= 999 and payment.amount_idr == order.total_idr + payment.unique_code_idr
    page = client.get(f"/orders/{order.code}").get_data(as_text=True)
    svg = _svg_of(page)
    _assert_inert(svg)
    scanned = read_svg(svg)  # what a phone reads from the code, by a reader written apart from the encoder
    assert scanned == qris.dynamic_payload(STATIC, payment.amount_idr)
    read = decode(scanned)
    assert (read["01"], read["54"], read["59"]) == ("12", str(payment.amount_idr), MERCHANT)
    assert f"{payment.amount_idr:,}".replace(",", ".") in page and "WITA" in page
    assert 'http-equiv="refresh"' not in page and "<script" not in page.split("<svg")[1].split("</svg>")[0]


@pytest.mark.parametrize("static, merchant", PUBLISHED)
@pytest.mark.parametrize("amount", [1, 150237, QRIS_MAX_IDR])
def test_every_drawn_code_scans_back_to_its_merchant_and_amount(app, static, merchant, amount):
    svg = qris.svg(qris.dynamic_payload(static, amount), title="QRIS <b>&")
    _assert_inert(svg)
    read = decode(read_svg(svg))
    assert (read["01"], read["54"], read["59"], read["53"]) == ("12", str(amount), merchant, "360")


def test_the_reader_is_not_fooled_by_a_code_of_another_amount(app):
    first, second = (qris.svg(qris.dynamic_payload(STATIC, amount)) for amount in (150237, 150238))
    assert read_svg(first) != read_svg(second) and decode(read_svg(second))["54"] == "150238"


def test_qris_is_not_offered_without_a_payload_or_when_switched_off(client, shopper, make_product):
    transfer.set_method_enabled("qris", True)
    db.session.commit()
    _add(client, make_product().id)
    assert 'value="qris"' not in client.get("/checkout").get_data(as_text=True)
    transfer.set_qris_payload(STATIC)
    db.session.commit()
    assert 'value="qris"' in client.get("/checkout").get_data(as_text=True)
    transfer.set_method_enabled("qris", False)
    db.session.commit()
    response = _checkout(client, payment_method="qris")
    assert response.status_code == 422 and db.session.scalar(select(Payment.id)) is None


def test_an_open_qris_payment_without_a_payload_says_so(client, shopper, make_product, qris_on):
    _add(client, make_product().id)
    _checkout(client, payment_method="qris")
    order = db.session.scalar(select(Order).where(Order.buyer_id == shopper.id))
    db.session.get(PaymentMethodSetting, "qris").payload = ""
    db.session.commit()
    page = client.get(f"/orders/{order.code}").get_data(as_text=True)
    assert "QRIS sedang tidak tersedia" in page and "<svg" not in page


@pytest.mark.parametrize("price_idr", [QRIS_MAX_IDR, QRIS_MAX_IDR - 998])
def test_qris_stops_at_ten_million_rupiah_code_included(client, shopper, make_product, qris_on, price_idr):
    _add(client, make_product(price_idr=price_idr, stock=3).id)
    response = _checkout(client, payment_method="qris")
    assert response.status_code == 422 and "melebihi batas" in response.get_data(as_text=True)
    assert db.session.scalar(select(Order.id)) is None


def test_an_order_just_under_the_qris_limit_is_paid_by_qris(client, shopper, make_product, qris_on):
    _add(client, make_product(price_idr=QRIS_MAX_IDR - 999 - 50000, stock=3).id)
    _checkout(client, payment_method="qris")
    order = db.session.scalar(select(Order).where(Order.buyer_id == shopper.id))
    assert order is not None and order.total_idr <= QRIS_MAX_IDR - 999
    assert order.total_idr < latest_attempt(order).amount_idr <= QRIS_MAX_IDR


@pytest.mark.parametrize("room", [1, 5])
def test_the_unique_code_of_a_qris_never_takes_the_amount_past_the_limit(place, make_user, make_product, qris_on,
                                                                          room):
    for _round in range(room):
        order = place(make_user(), (make_product(stock=3, price_idr=1000), 1))
        order.total_idr = QRIS_MAX_IDR - room  # as if the goods and shipping came to this
        db.session.flush()
        payment = transfer.start_transfer(order, "qris")
        assert payment.amount_idr <= QRIS_MAX_IDR
    order = place(make_user(), (make_product(stock=3, price_idr=1000), 1))
    order.total_idr = QRIS_MAX_IDR - room
    db.session.flush()
    with pytest.raises(Exception, match="kode unik"):
        transfer.start_transfer(order, "qris")
    db.session.rollback()


def test_a_qris_credit_on_the_statement_settles_it_once(place, make_user, make_product, qris_on):
    account = ReceivingAccount(bank="BRI", account_number="0123456789", holder_name="PT Pasar Desa")
    db.session.add(account)
    order = place(make_user(), (make_product(stock=3, price_idr=150000), 1))
    payment = transfer.start_transfer(order, "qris")
    db.session.commit()
    today = payment.created_at.date().isoformat()
    raw = f"tanggal,keterangan,jumlah,jenis\n{today},QRIS NMID ID2023,{payment.amount_idr},CR\n".encode()
    assert statement.import_statement(account.id, raw).settled == 1
    assert statement.import_statement(account.id, raw).already_imported == 1
    db.session.commit()
    assert (db.session.get(Order, order.id, populate_existing=True).state, payment.state) == ("paid", "paid")


@pytest.mark.parametrize("spot", [(-1, -1), (-3, -2), (-20, -12)])
def test_the_reader_sees_a_single_wrong_module(app, spot):
    """The test reader has no error correction: one module drawn wrong must change what it reads."""
    expected = qris.dynamic_payload(STATIC, 150237)
    dark, width = svg_modules(qris.svg(expected))
    size = width - 8
    grid = [[(row + 4, col + 4) in dark for col in range(size)] for row in range(size)]
    assert qr_reader.read(grid) == expected
    grid[spot[0]][spot[1]] = not grid[spot[0]][spot[1]]
    try:
        misread = qr_reader.read(grid)
    except (ValueError, UnicodeDecodeError, IndexError):
        misread = None
    assert misread != expected
