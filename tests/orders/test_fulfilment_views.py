"""The buyer's view of fulfilment: per-shop states in the list, the order page's timeline, courier and resi,
refunds, the WhatsApp link, and confirming receipt (wiring, refusals, access control, hostile ids)."""
import html
import re
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.orders import service
from marketplace.orders.models import OrderEvent, ShopOrder
from marketplace.payments import service as payments
from tests.conftest import csrf_token
from tests.pages import page_html
from tests.worlds import module_world

# A known UTC moment late in the day: in WITA (UTC+8) it is already the next morning.
SHIPPED_UTC = datetime(2099, 3, 1, 23, 15, tzinfo=timezone.utc)
ACCEPTED_UTC = SHIPPED_UTC - timedelta(hours=5)


def _text(page):
    """The page as a person reads it: tags dropped, entities decoded, whitespace collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def _page(client, order):
    return page_html(client, f"/orders/{order.code}")


def _section(page, part):
    """The HTML of one shop's part on the order page."""
    start = page.index(f'aria-labelledby="part-{part.id}"')
    end = page.find("</section>", start)
    return page[start:end]


def _confirm(client, order_code, shop_order_id, token=True):
    data = {"csrf_token": csrf_token(client, "/login")} if token else {}
    return client.post(f"/orders/{order_code}/shops/{shop_order_id}/confirm", data=data)


def _state(part):
    return db.session.get(ShopOrder, part.id, populate_existing=True).state


def _events():
    return db.session.scalar(select(func.count()).select_from(OrderEvent))


def _reach(part, state):
    """Drive a paid part on through the real service, as its producer would."""
    producer = part.shop.owner
    if state in ("preparing", "shipped", "ready_for_pickup", "completed"):
        service.accept_shop_order(part, producer, now=ACCEPTED_UTC)
    if state in ("shipped", "completed"):
        service.ship_shop_order(part, producer, "jne", "JP123456789", now=SHIPPED_UTC)
    if state == "ready_for_pickup":
        service.mark_ready_for_pickup(part, producer)
    if state == "completed":
        service.confirm_receipt(part, part.order.buyer)
    if state == "cancelled":
        service.cancel_shop_order(part, producer, "producer", "Madu habis dipanen")
    db.session.commit()
    return part


@pytest.fixture
def buyer(make_user, auth):
    """A logged-in buyer."""
    user = make_user("buyer")
    auth.login(user.email)
    return user


def build_world(make):
    """One buyer's paid order delivered and paid order picked up, each of one shop (see tests/worlds.py)."""
    buyer = make.user("buyer")
    return {fulfilment: make.order(buyer=buyer, fulfilment=fulfilment).shop_orders[0]
            for fulfilment in ("delivery", "pickup")}


# Built once for the module: the confirmation tests drive these parts on, each test rolled back to them as paid.
world_built, app, world = module_world(build_world)


@pytest.fixture
def world_buyer(world, auth):
    """The buyer of the world's orders, logged in."""
    user = world["delivery"].order.buyer
    assert auth.login(user.email).status_code == 302
    return user


@pytest.fixture
def two_shop_order(make_order, make_product, make_shop, buyer):
    """A paid order from two shops, honey and crackers."""
    honey = make_product(shop=make_shop(name="Toko Madu Kelulut"), title="Madu Kelulut 250 ml")
    crackers = make_product(shop=make_shop(name="Toko Amplang Samboja"), title="Amplang Ikan Pipih")
    order = make_order(buyer=buyer, lines=[(honey, 1), (crackers, 2)])
    honey_part = next(part for part in order.shop_orders if part.shop_id == honey.shop_id)
    crackers_part = next(part for part in order.shop_orders if part.shop_id == crackers.shop_id)
    return order, honey_part, crackers_part


# --- the list ------------------------------------------------------------------------------------------------


def test_list_shows_each_shops_state(client, two_shop_order):
    order, honey_part, _crackers_part = two_shop_order
    _reach(honey_part, "shipped")
    text = _text(client.get("/orders").get_data(as_text=True))
    assert order.code in text
    assert "Toko Madu Kelulut: Dikirim" in text
    assert "Toko Amplang Samboja: Menunggu diproses penjual" in text
    assert "Rp" in text and "WITA" in text


def test_list_keeps_the_payment_state_of_unpaid_orders(client, make_order, buyer):
    order = make_order(buyer=buyer, paid=False)
    text = _text(client.get("/orders").get_data(as_text=True))
    assert order.code in text and "Menunggu pembayaran" in text
    assert f"{order.shop_orders[0].shop.name}: " not in text  # no second badge repeating the payment state


# --- the order page ------------------------------------------------------------------------------------------


def test_page_shows_the_timeline_in_wita_with_courier_and_resi(client, two_shop_order):
    order, honey_part, crackers_part = two_shop_order
    _reach(honey_part, "shipped")
    page = _page(client, order)
    honey = _text(_section(page, honey_part))
    assert "Dikirim" in honey and "Kurir: JNE" in honey and "Nomor resi: JP123456789" in honey
    # 23.15 UTC on 1 March is 07.15 WITA on 2 March; 18.15 UTC is 02.15 WITA.
    assert "2 Mar 2099, 07.15 WITA · Dikirim penjual" in honey
    assert "2 Mar 2099, 02.15 WITA · Diterima dan diproses penjual" in honey
    steps = ["Pesanan dibuat", "Pembayaran diterima", "Diterima dan diproses penjual", "Dikirim penjual"]
    positions = [honey.index(step) for step in steps]
    assert positions == sorted(positions)
    crackers = _text(_section(page, crackers_part))
    assert "Pesanan dibuat" in crackers and "Pembayaran diterima" in crackers  # the order's events, shared
    assert "Dikirim penjual" not in crackers and "JP123456789" not in crackers  # not the other shop's


def test_confirm_buttons_match_the_fulfilment(client, make_order, buyer):
    delivered = _reach(make_order(buyer=buyer).shop_orders[0], "shipped")
    collected = _reach(make_order(buyer=buyer, fulfilment="pickup").shop_orders[0], "ready_for_pickup")
    assert "Pesanan sudah diterima" in _page(client, delivered.order)
    page = _page(client, collected.order)
    assert "Sudah diambil" in page and "Pesanan sudah diterima" not in page
    assert f"/orders/{collected.order.code}/shops/{collected.id}/confirm" in page


@pytest.mark.parametrize("state", ["paid", "preparing", "completed", "cancelled"])
def test_no_confirm_button_in_other_states(client, world, world_buyer, state):
    part = _reach(world["delivery"], state)
    page = _page(client, part.order)
    assert "/confirm" not in page


def test_cancelled_part_shows_reason_and_refund_in_process_then_made(client, make_order, buyer):
    part = make_order(buyer=buyer).shop_orders[0]
    service.cancel_shop_order(part, part.shop.owner, "producer", "Madu habis dipanen")
    refund = payments.shop_refund_due(part)
    db.session.commit()
    amount = f"Rp{part.total_idr:,}".replace(",", ".")
    text = _text(_page(client, part.order))
    assert "Dibatalkan" in text and "Alasan pembatalan: Madu habis dipanen" in text
    assert f"Pengembalian dana {amount} sedang diproses." in text
    assert payments.make_shop_refund(*refund)
    db.session.commit()
    text = _text(_page(client, part.order))
    assert f"Dana {amount} sudah dikembalikan ke cara bayar Anda pada" in text
    assert "sedang diproses" not in text


def test_whatsapp_link_has_the_shops_number_and_the_order_code(client, make_order, make_product, make_shop, buyer):
    shop = make_shop(name="Toko Gula Aren & Kopi", whatsapp="+62 813-5000-4321")
    order = make_order(buyer=buyer, lines=[(make_product(shop=shop), 1)])
    hrefs = re.findall(r'href="(https://wa\.me/[^"]+)"', _page(client, order))
    assert len(hrefs) == 1
    link = urlsplit(html.unescape(hrefs[0]))
    assert link.path == "/6281350004321"
    assert "text=" in link.query and " " not in link.query and "&" not in link.query.split("text=", 1)[1]
    message = parse_qs(link.query)["text"][0]
    assert order.code in message and "Toko Gula Aren & Kopi" in message


def test_review_links_for_received_items_not_yet_reviewed(client, make_order, buyer):
    from marketplace.reviews import service as reviews

    shipped = _reach(make_order(buyer=buyer).shop_orders[0], "shipped")
    assert "Beri ulasan" not in _page(client, shipped.order)  # not received yet
    part = _reach(make_order(buyer=buyer).shop_orders[0], "completed")
    page = _page(client, part.order)
    assert "Selesai" in _text(page)
    assert page.count("Beri ulasan") == len(part.items)
    assert f"/orders/{part.order.code}/items/{part.items[0].id}/review" in page
    reviews.write_review(buyer, part.items[0], 4, "")
    db.session.commit()
    assert "Beri ulasan" not in _page(client, part.order)  # each listing is reviewed once


def test_awaiting_payment_page_still_refreshes_and_offers_pay_and_cancel(client, make_order, buyer):
    order = make_order(buyer=buyer, paid=False)
    page = _page(client, order)
    assert 'http-equiv="refresh"' in page
    assert f"/orders/{order.code}/pay" in page and f"/orders/{order.code}/cancel" in page
    assert "Pesanan dibuat" in _text(page)


# --- confirming receipt --------------------------------------------------------------------------------------


@pytest.mark.parametrize("fulfilment, state", [("delivery", "shipped"), ("pickup", "ready_for_pickup")])
def test_buyer_confirms_receipt(client, world, world_buyer, fulfilment, state):
    part = _reach(world[fulfilment], state)
    response = _confirm(client, part.order.code, part.id)
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/orders/{part.order.code}")
    assert _state(part) == "completed"
    last = db.session.scalars(select(OrderEvent).where(OrderEvent.shop_order_id == part.id)
                              .order_by(OrderEvent.id.desc())).first()
    assert (last.from_state, last.to_state, last.actor_role, last.actor_id) == (state, "completed", "buyer",
                                                                               part.order.buyer_id)
    text = _text(client.get(response.headers["Location"]).get_data(as_text=True))
    assert "selesai" in text and "Diterima pembeli" in text


@pytest.mark.parametrize("state, message", [
    ("paid", "Pesanan ini belum dikirim atau belum siap diambil."),
    ("preparing", "Pesanan ini belum dikirim atau belum siap diambil."),
    ("completed", "Pesanan ini sudah selesai."),
    ("cancelled", "Pesanan ini sudah dibatalkan."),
])
def test_confirm_refused_with_the_reason_and_nothing_changed(client, world, world_buyer, state, message):
    part = _reach(world["delivery"], state)
    events = _events()
    response = _confirm(client, part.order.code, part.id)
    assert response.status_code == 409
    assert message in response.get_data(as_text=True)
    assert _state(part) == state and _events() == events


def test_confirm_refused_before_payment(client, make_order, buyer):
    order = make_order(buyer=buyer, paid=False)
    response = _confirm(client, order.code, order.shop_orders[0].id)
    assert response.status_code == 409 and "Pesanan ini belum dibayar." in response.get_data(as_text=True)
    assert _state(order.shop_orders[0]) == "awaiting_payment"


def test_confirm_needs_csrf(client, world, world_buyer):
    part = _reach(world["delivery"], "shipped")
    assert _confirm(client, part.order.code, part.id, token=False).status_code == 400
    assert _state(part) == "shipped"


# --- access control and hostile input ------------------------------------------------------------------------


def test_another_buyers_order_is_not_found(client, make_order, make_user, buyer):
    part = _reach(make_order(buyer=make_user("buyer")).shop_orders[0], "shipped")
    events = _events()
    assert client.get(f"/orders/{part.order.code}").status_code == 404
    assert _confirm(client, part.order.code, part.id).status_code == 404
    assert _state(part) == "shipped" and _events() == events


def test_shop_order_of_another_order_is_not_found(client, make_order, buyer):
    mine = make_order(buyer=buyer)
    other = _reach(make_order(buyer=buyer).shop_orders[0], "shipped")
    assert _confirm(client, mine.code, other.id).status_code == 404
    assert _state(other) == "shipped"


@pytest.mark.parametrize("shop_order_id", ["99999999999999999999999", "2147483648", "-1", "0", "abc", "1.5",
                                           "1%20OR%201=1", "%00"])
def test_hostile_shop_order_ids_are_not_found(client, world, world_buyer, shop_order_id):
    part = _reach(world["delivery"], "shipped")
    assert _confirm(client, part.order.code, shop_order_id).status_code == 404
    assert _state(part) == "shipped"


@pytest.mark.parametrize("code", ["x" * 10_000, "' OR 1=1 --", "%00", "PD-2611%00", "..%2F..%2Fadmin", "%F0%9F%8D%AF"])
def test_hostile_codes_are_not_found(client, world, world_buyer, code):
    part = _reach(world["delivery"], "shipped")
    assert client.get(f"/orders/{code}").status_code == 404
    assert _confirm(client, code, part.id).status_code == 404
    for action in ("pay", "cancel"):
        assert client.post(f"/orders/{code}/{action}",
                           data={"csrf_token": csrf_token(client, "/login")}).status_code == 404
    assert _state(part) == "shipped"


def test_anonymous_is_sent_to_login(client, make_order):
    part = _reach(make_order().shop_orders[0], "shipped")
    for response in (client.get("/orders"), client.get(f"/orders/{part.order.code}"),
                     _confirm(client, part.order.code, part.id)):
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert _state(part) == "shipped"
