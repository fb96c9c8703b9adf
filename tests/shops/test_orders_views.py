"""The producer's order pages through HTTP: every action from its state, every refusal with its message and
nothing changed, refunds through the Stripe stand-in, access control, the list, the slip and the dashboard link."""
import re

import pytest
from sqlalchemy import func, select, update

from marketplace.catalogue.models import Product
from marketplace.extensions import db
from marketplace.orders import service as orders
from marketplace.orders.models import Order, OrderEvent, ShopOrder
from marketplace.payments.standin import StandinRefund
from marketplace.payments.models import Payment
from marketplace.payments.settle import latest_attempt
from tests.pages import page_html
from tests.worlds import module_world

PAGES = ["/dashboard/orders/{id}", "/dashboard/orders/{id}/slip"]
ACTIONS = ["accept", "ship", "ready", "hand-over", "cancel"]
SHIP = {"courier": "jne", "tracking_number": "jp 1234-5678"}
REASON = {"reason": "Madu habis terjual di pasar"}


@pytest.fixture
def paid_part(shop, make_product, make_order):
    """paid_part(fulfilment="delivery", quantity=2, buyer=None): this shop's paid part of a new order."""

    def make(fulfilment="delivery", quantity=2, buyer=None, paid=True):
        product = make_product(shop=shop, stock=10, price_idr=50000)
        order = make_order(buyer=buyer, lines=[(product, quantity)], fulfilment=fulfilment, paid=paid)
        return order.shop_orders[0]

    return make


def build_world(make):
    """For the many tests that act on one part (see tests/worlds.py): a shop's paid delivery part, paid pickup part and
    unpaid part, each of its own order of 2 jars (Rp50.000, shipping Rp10.000), and a paid part of another shop."""
    shop = make.shop()

    def part(fulfilment="delivery", paid=True, of=shop):
        product = make.product(shop=of, stock=10, price_idr=50000)
        return make.order(lines=[(product, 2)], fulfilment=fulfilment, paid=paid).shop_orders[0]

    return {"delivery": part(), "pickup": part("pickup"), "unpaid": part(paid=False),
            "foreign": part(of=make.shop())}


# Built once for the module, each test rolled back to it.
world_built, app, world = module_world(build_world)


@pytest.fixture
def seller(auth, world):
    """The producer of the world's shop, logged in through the real form."""
    owner = world["delivery"].shop.owner
    auth.login(owner.email)
    return owner


def reload(part):
    db.session.expire_all()
    return db.session.get(ShopOrder, part.id)


def snapshot(part):
    """The part's row, its history and its goods' stock: everything an action could change."""
    db.session.expire_all()
    row = db.session.execute(select(ShopOrder.__table__).where(ShopOrder.id == part.id)).one()
    events = db.session.scalar(select(func.count()).select_from(OrderEvent)
                               .where(OrderEvent.order_id == part.order_id))
    stock = [product.stock for product in db.session.scalars(
        select(Product).where(Product.id.in_([item.product_id for item in part.items])))]
    refunds = db.session.scalar(select(func.count()).select_from(StandinRefund))
    return tuple(row), events, stock, refunds


def act(send, part, action, data=None):
    return send(f"/dashboard/orders/{part.id}/{action}", data)


def page(client, part):
    return page_html(client, f"/dashboard/orders/{part.id}")


def test_delivery_accepted_then_shipped(client, logged_in, send, paid_part):
    part = paid_part()
    response = act(send, part, "accept")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/dashboard/orders/{part.id}?changed=1"
    assert reload(part).state == "preparing" and reload(part).accepted_at is not None
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Pesanan diterima dan sedang diproses." in html
    assert 'class="panel whatsapp-now"' in html and 'href="https://wa.me/6281234567890?text=' in html
    response = act(send, part, "ship", SHIP)
    assert response.status_code == 302
    part = reload(part)
    assert (part.state, part.courier, part.tracking_number) == ("shipped", "jne", "JP 1234-5678")
    html = page(client, part)
    assert "JNE, resi JP 1234-5678" in html and "whatsapp-now" not in html
    assert "https://wa.me/6281234567890?text=" in html  # still offered, less prominently
    assert "Langkah berikutnya" not in html  # nothing left for the producer to do


def test_pickup_accepted_ready_and_handed_over(logged_in, send, paid_part):
    part = paid_part("pickup")
    for action, state in (("accept", "preparing"), ("ready", "ready_for_pickup"), ("hand-over", "completed")):
        assert act(send, part, action).status_code == 302
        assert reload(part).state == state
    assert reload(part).completed_at is not None


def test_detail_offers_only_the_actions_of_the_state(client, logged_in, send, paid_part):
    delivery, pickup = paid_part(), paid_part("pickup")
    html = page(client, delivery)
    assert f"/dashboard/orders/{delivery.id}/accept" in html and f"/dashboard/orders/{delivery.id}/cancel" in html
    assert f"/dashboard/orders/{delivery.id}/ship" not in html
    act(send, delivery, "accept")
    act(send, pickup, "accept")
    html = page(client, delivery)
    assert f"/{delivery.id}/ship" in html and f"/{delivery.id}/ready" not in html and "/accept" not in html
    assert all(f'value="{code}"' in html for code in ("jne", "jnt", "sicepat", "other"))
    html = page(client, pickup)
    assert f"/{pickup.id}/ready" in html and f"/{pickup.id}/ship" not in html
    act(send, pickup, "ready")
    html = page(client, pickup)
    assert f"/{pickup.id}/hand-over" in html and f"/{pickup.id}/cancel" in html


def _accepted(send, part):
    act(send, part, "accept")


def _shipped(send, part):
    act(send, part, "accept")
    act(send, part, "ship", SHIP)


def _completed(send, part):
    for action in ("accept", "ready", "hand-over"):
        act(send, part, action)


def _cancelled(send, part):
    act(send, part, "cancel", REASON)


REFUSALS = [
    # (fulfilment, get there, action, data, status, message)
    ("delivery", None, "ship", SHIP, 409, "Terima pesanan ini dulu"),
    ("pickup", None, "ready", None, 409, "Terima pesanan ini dulu"),
    ("pickup", _accepted, "ship", SHIP, 409, "diambil sendiri oleh pembeli, tidak dikirim"),
    ("delivery", _accepted, "ready", None, 409, "dikirim ke pembeli, bukan diambil sendiri"),
    ("delivery", _shipped, "hand-over", None, 409, "Hanya pesanan ambil sendiri"),
    ("delivery", _accepted, "hand-over", None, 409, "Hanya pesanan ambil sendiri"),
    ("delivery", _shipped, "cancel", REASON, 409, "sudah dikirim tidak dapat dibatalkan"),
    ("delivery", _accepted, "accept", None, 409, "sudah diproses sebelumnya"),
    ("pickup", _completed, "accept", None, 409, "sudah selesai"),
    ("pickup", _completed, "cancel", REASON, 409, "sudah selesai"),
    ("delivery", _cancelled, "accept", None, 409, "sudah dibatalkan"),
    ("delivery", _cancelled, "cancel", REASON, 409, "sudah dibatalkan"),
    ("delivery", _accepted, "ship", {"courier": "dhl", "tracking_number": "JP12345678"}, 422, "Pilih kurir"),
    ("delivery", _accepted, "ship", {"tracking_number": "JP12345678"}, 422, "Pilih kurir"),
    ("delivery", _accepted, "ship", {"courier": "jne" * 10_000, "tracking_number": "JP12345678"}, 422, "Pilih kurir"),
    ("delivery", _accepted, "ship", {"courier": "jne", "tracking_number": "<script>alert(1)</script>"}, 422,
     "Nomor resi 4 sampai 40"),
    ("delivery", _accepted, "ship", {"courier": "jne", "tracking_number": "JP1" * 40_000}, 422, "Nomor resi"),
    ("delivery", _accepted, "ship", {"courier": "jne", "tracking_number": "AB"}, 422, "Nomor resi"),
    ("delivery", _accepted, "ship", {"courier": "jne", "tracking_number": "JP'; DROP TABLE shop_order;--"}, 422,
     "Nomor resi"),
    ("delivery", _accepted, "ship", {"courier": "jne"}, 422, "Nomor resi"),
    ("delivery", None, "cancel", None, 422, "Tuliskan alasan pembatalan"),
    ("delivery", None, "cancel", {"reason": "  \n "}, 422, "Tuliskan alasan pembatalan"),
    ("delivery", _accepted, "cancel", {"reason": "x" * 10_000}, 422, "3 sampai 500 huruf"),
]


@pytest.mark.parametrize("fulfilment, setup, action, data, status, message", REFUSALS,
                         ids=[f"{row[2]}-{index}" for index, row in enumerate(REFUSALS)])
def test_refusal_shows_the_message_and_changes_nothing(seller, send, world, fulfilment, setup, action, data, status,
                                                       message):
    part = world[fulfilment]
    if setup:
        setup(send, part)
    before = snapshot(part)
    response = act(send, part, action, data)
    html = response.get_data(as_text=True)
    assert response.status_code == status
    assert message in html
    assert "<script>alert(1)" not in html
    assert snapshot(part) == before


def test_refused_ship_keeps_what_was_typed(seller, send, world):
    part = world["delivery"]
    _accepted(send, part)
    html = act(send, part, "ship", {"courier": "sicepat", "tracking_number": "<b>x"}).get_data(as_text=True)
    assert 'value="&lt;b&gt;x"' in html
    assert re.search(r'<option selected value="sicepat">|<option value="sicepat" selected>', html)


def test_unpaid_part_is_shown_without_actions_and_refused(client, seller, send, world):
    part = world["unpaid"]
    html = page(client, part)
    assert "belum dibayar" in html and "Langkah berikutnya" not in html and "/slip" not in html
    for action, data in (("accept", None), ("cancel", REASON), ("ship", SHIP)):
        before = snapshot(part)
        response = act(send, part, action, data)
        assert response.status_code == 409 and "Pesanan ini belum dibayar." in response.get_data(as_text=True)
        assert snapshot(part) == before


@pytest.mark.parametrize("setup", [None, _accepted], ids=["paid", "preparing"])
def test_cancel_refunds_the_part_through_the_standin_and_gives_stock_back(client, logged_in, send, paid_part, setup):
    part = paid_part(quantity=3)
    if setup:
        setup(send, part)
    product_id, intent = part.items[0].product_id, latest_attempt(part.order).stripe_payment_intent
    assert db.session.get(Product, product_id).stock == 7
    response = act(send, part, "cancel", {"reason": "  Stok   rusak kena hujan "})
    assert response.status_code == 302
    part = reload(part)
    assert (part.state, part.cancel_reason) == ("cancelled", "Stok rusak kena hujan")
    assert part.refund_amount_idr == 3 * 50000 + 10000
    refund = db.session.scalar(select(StandinRefund).where(StandinRefund.payment_intent == intent))
    assert refund.amount == (3 * 50000 + 10000) * 100
    assert part.stripe_refund_id == refund.id and part.refunded_at is not None
    assert db.session.get(Product, product_id).stock == 10
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Dana Rp160.000 dikembalikan kepada pembeli." in html
    assert "sudah dikembalikan" in html and "whatsapp-now" in html


def test_cancel_succeeds_when_stripe_refuses_the_refund(client, logged_in, send, paid_part):
    part = paid_part()
    db.session.execute(update(Payment).where(Payment.order_id == part.order_id)
                       .values(stripe_payment_intent="pi_unknown"))
    db.session.commit()
    response = act(send, part, "cancel", REASON)
    assert response.status_code == 302
    part = reload(part)
    assert part.state == "cancelled" and part.refund_due and part.refund_error
    assert db.session.scalar(select(func.count()).select_from(StandinRefund)
                             .where(StandinRefund.payment_intent == "pi_unknown")) == 0
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "sistem akan mencobanya lagi" in html


def test_post_without_csrf_token_changes_nothing(seller, send, world):
    part = world["delivery"]
    before = snapshot(part)
    assert send(f"/dashboard/orders/{part.id}/accept", token=False).status_code == 400
    assert snapshot(part) == before


@pytest.fixture
def foreign_part(world):
    """A paid part of another producer's shop."""
    return world["foreign"]


def test_another_producers_part_is_404_everywhere(client, logged_in, send, foreign_part):
    for path in PAGES:
        assert client.get(path.format(id=foreign_part.id)).status_code == 404
    before = snapshot(foreign_part)
    for action in ACTIONS:
        assert act(send, foreign_part, action, {**SHIP, **REASON}).status_code == 404
    assert snapshot(foreign_part) == before
    assert client.get("/dashboard/orders/2147483647").status_code == 404
    assert client.get("/dashboard/orders/2147483648").status_code == 404
    assert client.get("/dashboard/orders/-1").status_code == 404


def test_buyer_is_forbidden_everywhere(client, auth, send, foreign_part):
    auth.login(foreign_part.order.buyer.email)
    for path in PAGES + ["/dashboard/orders", "/dashboard/sales"]:
        assert client.get(path.format(id=foreign_part.id)).status_code == 403
    before = snapshot(foreign_part)
    for action in ACTIONS:
        assert act(send, foreign_part, action, {**SHIP, **REASON}).status_code == 403
    assert snapshot(foreign_part) == before


def test_anonymous_is_sent_to_login(client, send, foreign_part):
    for path in PAGES + ["/dashboard/orders", "/dashboard/sales"]:
        response = client.get(path.format(id=foreign_part.id))
        assert response.status_code == 302 and response.headers["Location"].startswith("/login?next=")
    before = snapshot(foreign_part)
    for action in ACTIONS:
        response = act(send, foreign_part, action, {**SHIP, **REASON})
        assert response.status_code == 302 and response.headers["Location"].startswith("/login?next=")
    assert snapshot(foreign_part) == before


def test_producer_without_a_shop_is_sent_to_open_one(client, logged_in):
    for path in ("/dashboard/orders", "/dashboard/sales"):
        response = client.get(path)
        assert response.status_code == 302 and response.headers["Location"] == "/dashboard/shop"


def tab_counts(html):
    return dict(re.findall(r'state=(\w+)"[^>]*>[^<]*<span class="badge">(\d+)</span>', html))


def test_list_by_tab_with_counts_address_and_payout(client, logged_in, send, paid_part, make_order, shop):
    fresh, accepted, pickup = paid_part(), paid_part(quantity=1), paid_part("pickup")
    unpaid = paid_part(paid=False)
    act(send, accepted, "accept")
    html = client.get("/dashboard/orders").get_data(as_text=True)
    assert tab_counts(html) == {"new": "2", "preparing": "1", "sent": "0", "completed": "0", "cancelled": "0"}
    assert fresh.order.code in html and pickup.order.code in html
    assert accepted.order.code not in html and unpaid.order.code not in html
    # 2 x Rp50.000 + Rp10.000 shipping - 5% of Rp100.000
    assert "Pendapatan Anda: Rp105.000" in html and "Pendapatan Anda: Rp95.000" in html
    assert "Rina Wulandari" in html and "+6281234567890" in html and "Jl. Poros No. 12, RT 03" in html
    assert "75572" in html and "Diambil sendiri oleh pembeli" in html and "WITA" in html
    html = client.get("/dashboard/orders?state=preparing").get_data(as_text=True)
    assert accepted.order.code in html and fresh.order.code not in html


@pytest.mark.parametrize("query", ["state=shipped", "state=%3Cscript%3E", "state=" + "x" * 5000, "state=",
                                   "page=-3", "page=abc", "page=99999999999999999999999", "state=new&page=2"])
def test_list_with_odd_parameters_shows_the_new_tab(client, seller, world, query):
    part = world["delivery"]
    response = client.get(f"/dashboard/orders?{query}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'href="/dashboard/orders?state=new" aria-current="page"' in html and part.order.code in html
    assert "<script>" not in html.split("<main", 1)[1]


def test_list_pages_through_many_orders(client, logged_in, shop, make_product, make_order, monkeypatch):
    from marketplace.shops import views_orders

    monkeypatch.setattr(views_orders, "PER_PAGE", 2)
    codes = [make_order(lines=[(make_product(shop=shop), 1)]).code for _ in range(3)]
    first = client.get("/dashboard/orders").get_data(as_text=True)
    second = client.get("/dashboard/orders?page=2").get_data(as_text=True)
    assert [code in first for code in codes] == [True, True, False]  # oldest first: a queue
    assert [code in second for code in codes] == [False, False, True]
    assert "Halaman 2 dari 2" in second and "page=1" in second


def test_timeline_shows_this_part_and_the_order_but_not_another_shop(client, logged_in, send, shop, make_shop,
                                                                    make_product, make_order, make_user):
    other = make_shop(owner=make_user("producer"))
    order = make_order(lines=[(make_product(shop=shop), 1), (make_product(shop=other), 1)])
    mine, theirs = sorted(order.shop_orders, key=lambda part: part.shop_id != shop.id)
    orders.accept_shop_order(theirs, other.owner)
    db.session.commit()
    html = page(client, mine)
    assert html.count("<li><time") == 2  # placed and paid
    assert "Pesanan dibuat" in html and "Pembayaran diterima" in html and "Diproses" not in html
    act(send, mine, "cancel", REASON)
    html = page(client, mine)
    assert html.count("<li><time") == 3 and "Madu habis terjual di pasar" in html


@pytest.mark.parametrize("size, expected", [("", "a4"), ("a4", "a4"), ("a6", "a6"), ("A6", "a4"),
                                            ("<x>", "a4")])
def test_packing_slip(client, seller, send, world, size, expected):
    part = world["delivery"]
    _shipped(send, part)
    response = client.get(f"/dashboard/orders/{part.id}/slip?size={size}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'class="slip slip-{expected}"' in html
    assert re.search(r'<link rel="stylesheet" href="/static/css/print\.css\?v=[0-9a-f]+">', html)
    assert f'<p class="slip-code">{part.order.code}</p>' in html
    for text in ("Rina Wulandari", "+6281234567890", "Jl. Poros No. 12, RT 03", "75572", part.shop.name,
                 "JNE", "JP 1234-5678", part.items[0].title):
        assert text in html
    assert "style=" not in html and "<script>" not in html


def test_print_stylesheet_sets_the_paper_and_hides_the_chrome(client):
    with client.get("/static/css/print.css") as response:
        css = response.get_data(as_text=True)
    assert "@page { size: A4" in css and "@page a6 { size: A6" in css
    assert re.search(r"@media print \{\s*header\.top, footer\.bottom, nav, form, button", css)


def test_dashboard_links_orders_with_the_new_count(client, logged_in, send, paid_part):
    html = client.get("/dashboard").get_data(as_text=True)
    assert 'href="/dashboard/orders"' in html and 'href="/dashboard/sales"' in html and "baru</span>" not in html
    first = paid_part()
    paid_part()
    assert "2 baru</span>" in client.get("/dashboard").get_data(as_text=True)
    act(send, first, "accept")
    assert "1 baru</span>" in client.get("/dashboard").get_data(as_text=True)
