"""Cart, checkout and order pages: wiring, access control, CSRF, hostile input, no JavaScript needed."""
import re

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select
from sqlalchemy import update as sa_update

from marketplace.catalogue.models import Product
from marketplace.extensions import db
from marketplace.orders.models import CartItem, Order
from marketplace.payments.settle import latest_attempt
from tests.conftest import csrf_token
from tests.orders.helpers import KUKAR_VILLAGE


def _token(client):
    return csrf_token(client, "/login")


def _add(client, product_id, quantity="1", token=True, next_path=None):
    data = {"product_id": product_id, "quantity": quantity}
    if token:
        data["csrf_token"] = _token(client)
    path = "/cart/add" + (f"?next={next_path}" if next_path else "")
    return client.post(path, data=data)


def _session_cart(client):
    with client.session_transaction() as session:
        return dict(session.get("cart") or {})


def _stock(product):
    return db.session.get(Product, product.id, populate_existing=True).stock


def _orders_count():
    return db.session.scalar(select(func.count()).select_from(Order))


CHECKOUT_FORM = {"recipient_name": "Rina Wulandari", "phone": "0812 3456 7890", "street": "Jl. Poros No. 12",
                 "province_code": "64", "regency_code": "64.02", "district_code": "64.02.06",
                 "village_code": KUKAR_VILLAGE, "postal_code": "75572", "note": "Titip di warung depan",
                 "action": "place"}


def _checkout(client, **changes):
    data = {**CHECKOUT_FORM, **changes, "csrf_token": _token(client)}
    return client.post("/checkout", data={k: v for k, v in data.items() if v is not None})


# --- cart ----------------------------------------------------------------------------------------------------


def test_visitor_adds_to_cart_without_javascript(client, make_product):
    product = make_product(title="Amplang Pedas Daun Jeruk", price_idr=27000)
    response = _add(client, product.id, "2", next_path="/toko/x/y")
    assert response.status_code == 302 and response.headers["Location"].endswith("/toko/x/y")
    assert _session_cart(client) == {str(product.id): [2, 27000]}
    page = client.get("/cart").get_data(as_text=True)
    assert "Amplang Pedas Daun Jeruk" in page and "Rp54.000" in page
    assert 'Keranjang <span class="cart-count">(2)' in page


def test_a_public_page_reads_the_buyer_and_their_cart_count_in_one_statement(app, client, auth, make_user,
                                                                              make_product):
    product = make_product(title="Kerupuk Ikan Pipih")
    auth.login(make_user().email)
    _add(client, product.id, "3")
    statements = []

    def record(_connection, _cursor, statement, *_args):
        statements.append(" ".join(statement.split()))

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        page = client.get(f"/toko/{product.shop.slug}/{product.slug}").get_data(as_text=True)
        assert 'Keranjang <span class="cart-count">(3)' in page
        carts_read = [statement for statement in statements if "cart_item" in statement]
        assert len(carts_read) == 1 and carts_read[0].startswith(("SELECT user.id", 'SELECT "user".id'))
        # The count is the request's own: a change shows on the next page, and a page that is not a public
        # one (the cart) reads it by itself.
        _add(client, product.id, "1")
        assert 'Keranjang <span class="cart-count">(4)' in client.get("/").get_data(as_text=True)
        del statements[:]
        assert 'Keranjang <span class="cart-count">(4)' in client.get("/cart").get_data(as_text=True)
        assert not any(statement.startswith(("SELECT user.id", 'SELECT "user".id')) and "cart_item" in statement
                       for statement in statements)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)


def test_next_cannot_leave_the_site(client, make_product):
    response = _add(client, make_product().id, next_path="https://evil.example/")
    assert response.headers["Location"].endswith("/cart")


@pytest.mark.parametrize("quantity", ["0", "-3", "2.5", "abc", "", "1001", "9" * 100_000, "1; DROP TABLE product"])
def test_hostile_quantity_gets_a_message_and_changes_nothing(client, make_product, quantity):
    product = make_product(stock=2000)
    _add(client, product.id, "1")
    response = _add(client, product.id, quantity)
    assert response.status_code == 422
    assert "Jumlah harus bilangan bulat" in response.get_data(as_text=True)
    assert _session_cart(client) == {str(product.id): [1, product.price_idr]}


def test_more_than_stock_gets_a_message(client, make_product):
    product = make_product(stock=3, title="Lempok Durian")
    response = _add(client, product.id, "4")
    assert response.status_code == 422 and "Stok Lempok Durian tinggal 3" in response.get_data(as_text=True)
    assert _session_cart(client) == {}


@pytest.mark.parametrize("status", ["draft", "pending", "rejected", "archived"])
def test_products_not_for_sale_cannot_be_added(client, make_product, status):
    response = _add(client, make_product(status=status).id)
    assert response.status_code == 422 and "tidak tersedia" in response.get_data(as_text=True)
    assert _session_cart(client) == {}


def test_cart_posts_need_csrf(client, make_product):
    product = make_product()
    assert _add(client, product.id, token=False).status_code == 400
    _add(client, product.id)
    assert client.post(f"/cart/{product.id}/quantity", data={"quantity": "3"}).status_code == 400
    assert client.post(f"/cart/{product.id}/remove").status_code == 400
    assert _session_cart(client) == {str(product.id): [1, product.price_idr]}


def test_change_quantity_and_remove(client, make_product):
    product = make_product(stock=10)
    _add(client, product.id)
    assert client.post(f"/cart/{product.id}/quantity", data={"quantity": "4", "csrf_token": _token(client)}
                       ).status_code == 302
    assert _session_cart(client)[str(product.id)][0] == 4
    bad = client.post(f"/cart/{product.id}/quantity", data={"quantity": "-4", "csrf_token": _token(client)})
    assert bad.status_code == 422 and _session_cart(client)[str(product.id)][0] == 4
    client.post(f"/cart/{product.id}/remove", data={"csrf_token": _token(client)})
    assert _session_cart(client) == {}
    assert client.post("/cart/99999999999999999999/remove", data={"csrf_token": _token(client)}).status_code == 404


def test_login_merges_the_visitor_cart(client, auth, make_user, make_product):
    buyer = make_user()
    product = make_product()
    _add(client, product.id, "2")
    auth.login(buyer.email)
    items = db.session.scalars(select(CartItem).where(CartItem.user_id == buyer.id)).all()
    assert [(item.product_id, item.quantity) for item in items] == [(product.id, 2)]
    assert _session_cart(client) == {}
    assert "Keranjang <span class=\"cart-count\">(2)" in client.get("/cart").get_data(as_text=True)


def test_registering_with_a_cart_keeps_it_and_page_views_write_nothing(client, make_product):
    product = make_product()
    _add(client, product.id, "2")
    token = csrf_token(client, "/register")
    client.post("/register", data={"csrf_token": token, "name": "Ibu Rina", "email": "rina-cart@example.com",
                                   "phone": "0812 3456 7890", "role": "buyer", "password": "correct horse battery",
                                   "confirm": "correct horse battery"})
    # The emailed link logs the new buyer in, in this browser, and takes the visitor's cart into the account.
    from marketplace.accounts import service as accounts, tokens

    assert db.session.scalars(select(CartItem)).all() == []
    client.get(f"/account/verify/{tokens.verification_token(accounts.find_user_by_email('rina-cart@example.com'))}")
    items = db.session.scalars(select(CartItem)).all()
    assert [(item.product_id, item.quantity) for item in items] == [(product.id, 2)]
    assert _session_cart(client) == {}
    page = client.get("/cart").get_data(as_text=True)
    assert product.title in page and 'Keranjang <span class="cart-count">(2)' in page
    assert db.session.scalar(select(func.sum(CartItem.quantity))) == 2  # the GET wrote nothing
    client.post(f"/cart/{product.id}/quantity", data={"quantity": "3", "csrf_token": _token(client)})
    items = db.session.scalars(select(CartItem)).all()
    assert [(item.product_id, item.quantity) for item in items] == [(product.id, 3)]


def test_cart_shows_price_changes_and_unavailable_lines(client, auth, make_user, make_product, make_shop):
    from marketplace.moderation import service as moderation

    buyer = make_user()
    auth.login(buyer.email)
    cheaper, gone = make_product(price_idr=30000, title="Gula Semut"), make_product(title="Kopi Bubuk")
    _add(client, cheaper.id)
    _add(client, gone.id)
    cheaper.price_idr = 28000
    moderation.unpublish_product(gone, make_user("admin"), "Foto tidak sesuai dengan produk")
    db.session.commit()
    page = client.get("/cart").get_data(as_text=True)
    assert "Lebih murah dari saat ditambahkan (Rp30.000)" in page and "Tidak tersedia lagi" in page
    assert "/checkout" not in re.sub(r'<nav.*?</nav>', "", page, flags=re.S)


def test_adding_to_an_account_cart_reads_each_row_once(client, auth, make_user, make_product, count_queries):
    """The buyer, the product with its shop, the cart's lines, one write: the line read by the cart is the one
    changed, and nothing is loaded again after the commit (the title in the message is read before it)."""
    buyer, honey, chips = make_user(), make_product(stock=10), make_product(stock=10)
    auth.login(buyer.email)
    _add(client, honey.id)
    token, ids = _token(client), [honey.id, chips.id]  # read here: the requests' commits expire them
    for product_id in ids:
        response, statements = count_queries(lambda: client.post(
            "/cart/add", data={"product_id": product_id, "quantity": "2", "csrf_token": token}))
        assert response.status_code == 302 and statements == 4
    items = db.session.scalars(select(CartItem).where(CartItem.user_id == buyer.id).order_by(CartItem.id)).all()
    assert [(item.product_id, item.quantity) for item in items] == [(ids[0], 3), (ids[1], 2)]


# --- checkout ------------------------------------------------------------------------------------------------


@pytest.fixture
def shopper(client, auth, make_user):
    """A logged-in buyer."""
    user = make_user()
    auth.login(user.email)
    return user


def test_checkout_places_the_order_and_sends_the_buyer_to_pay(client, shopper, make_product, make_shop):
    shop_a, shop_b = make_shop(shipping_fee_idr=15000), make_shop(pickup_allowed=True)
    honey, chips = make_product(shop=shop_a, stock=5), make_product(shop=shop_b, stock=5, price_idr=18000)
    _add(client, honey.id, "2")
    _add(client, chips.id, "1")
    response = _checkout(client, **{f"fulfilment-{shop_b.id}": "pickup"})
    assert response.status_code == 302 and "/stripe-standin/pay/cs_test_" in response.headers["Location"]
    order = db.session.scalar(select(Order).where(Order.buyer_id == shopper.id))
    assert order.state == "pending" and order.total_idr == 2 * 50000 + 15000 + 18000
    assert (_stock(honey), _stock(chips)) == (3, 4)
    assert order.note == "Titip di warung depan"
    assert client.get("/cart").get_data(as_text=True).count("cart-shop") == 0


def test_a_stripe_checkout_opens_its_attempt_in_the_orders_own_transaction(client, shopper, make_product):
    """Two commits: the order with its Stripe attempt (one turn at SQLite's write lock, not two), then the
    session Stripe made."""
    import sqlalchemy as sa

    from marketplace.payments.settle import open_attempt

    from marketplace.payments.models import Payment

    _add(client, make_product(stock=5).id)
    token, commits = _token(client), []
    session = db.session()

    def committing(committed):  # what each commit holds: (orders, attempts, attempts with a Stripe session)
        if committed.in_nested_transaction():
            return  # place_order's savepoint
        commits.append(tuple(db.session.scalar(select(func.count()).select_from(model).where(*where))
                             for model, where in ((Order, ()), (Payment, ()),
                                                  (Payment, (Payment.stripe_session_id.is_not(None),)))))

    sa.event.listen(session, "before_commit", committing)
    try:
        response = client.post("/checkout", data={**CHECKOUT_FORM, "csrf_token": token})
    finally:
        sa.event.remove(session, "before_commit", committing)
    assert response.status_code == 302 and "/stripe-standin/pay/cs_test_" in response.headers["Location"]
    assert commits == [(1, 1, 0), (1, 1, 1)]
    order = db.session.scalar(select(Order).where(Order.buyer_id == shopper.id))
    attempt = open_attempt(order)
    assert attempt.method == "stripe" and attempt.expires_at == order.expires_at
    assert response.headers["Location"].endswith(attempt.stripe_session_id)


def test_a_short_line_undoes_the_rows_added_before_the_reservation(app, shopper, make_product):
    """before_reserving's rows belong to the order: a line short of stock undoes them with it."""
    from marketplace.errors import OutOfStock
    from marketplace.orders import service
    from marketplace.orders.address import Address
    from marketplace.payments.models import Payment
    from marketplace.payments.settle import start_attempt

    product = make_product(stock=1)
    db.session.add(CartItem(user_id=shopper.id, product_id=product.id, quantity=1, price_seen_idr=50000))
    db.session.commit()
    db.session.execute(sa_update(Product).where(Product.id == product.id).values(stock=0))
    seen = []
    address = Address(recipient_name="Rina", phone="081234567890", street="Jl. Poros 1", province_code="64",
                      regency_code="64.02", district_code="64.02.06", village_code=KUKAR_VILLAGE,
                      postal_code="75572")
    with app.test_request_context(), pytest.raises(OutOfStock):
        service.place_order(shopper, address, {}, before_reserving=lambda order: seen.append(
            start_attempt(order, "stripe", order.expires_at, new_order=True)))
    assert len(seen) == 1 and db.session.scalar(select(func.count()).select_from(Payment)) == 0
    assert _orders_count() == 0


def test_producers_can_buy_too(client, auth, make_user, make_product):
    producer = make_user("producer")
    auth.login(producer.email)
    _add(client, make_product().id)
    assert _checkout(client).status_code == 302
    assert db.session.scalar(select(Order.state).where(Order.buyer_id == producer.id)) == "pending"


def test_checkout_remembers_the_last_address(client, shopper, make_product):
    _add(client, make_product().id)
    _checkout(client, street="Jl. Mulawarman 5, RT 02")
    _add(client, make_product().id)
    page = client.get("/checkout").get_data(as_text=True)
    assert "Jl. Mulawarman 5, RT 02" in page and "+6281234567890" in page
    assert f'<option selected value="{KUKAR_VILLAGE}">' in page


def test_region_selects_cascade_by_reload_keeping_typed_values(client, shopper, make_product):
    from marketplace import regions

    _add(client, make_product().id)
    response = client.post("/checkout", data={"csrf_token": _token(client), "action": "regions",
                                              "recipient_name": "Budi", "street": "Jl. Kenanga 3",
                                              "province_code": "91", "regency_code": "64.02"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Jl. Kenanga 3" in page and 'value="Budi"' in page
    first_regency = regions.children("91")[0][0]
    assert f'value="{first_regency}"' in page  # Papua's regencies are offered now
    assert 'selected value="64.02"' not in page  # a regency of another province is dropped
    assert _orders_count() == 0


def test_checkout_needs_login(client):
    response = client.get("/checkout")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_empty_cart_goes_back_to_the_cart(client, shopper):
    assert client.get("/checkout").headers["Location"].endswith("/cart")


@pytest.mark.parametrize("changes", [
    {"recipient_name": ""}, {"recipient_name": "x" * 10_000}, {"phone": "nope"}, {"street": ""},
    {"province_code": "99"}, {"village_code": "64.02.06.0000"}, {"postal_code": "123"}, {"note": "x" * 501},
    {"regency_code": "<script>"}, {"postal_code": "9" * 100_000},
])
def test_bad_checkout_input_gets_a_message_and_changes_nothing(client, shopper, make_product, changes):
    product = make_product(stock=5)
    _add(client, product.id, "2")
    response = _checkout(client, **changes)
    assert response.status_code == 422
    assert 'class="error"' in response.get_data(as_text=True) or "flash-error" in response.get_data(as_text=True)
    assert _orders_count() == 0 and _stock(product) == 5


def test_pickup_at_a_shop_without_pickup_is_refused(client, shopper, make_product, make_shop):
    shop = make_shop(pickup_allowed=False)
    product = make_product(shop=shop)
    _add(client, product.id)
    response = _checkout(client, **{f"fulfilment-{shop.id}": "pickup"})
    assert response.status_code == 422 and "tidak melayani ambil sendiri" in response.get_data(as_text=True)
    assert _orders_count() == 0


def test_short_stock_at_checkout_names_the_product(client, shopper, make_user, make_product, place):
    product = make_product(stock=3, title="Tas Anyaman Doyo")
    _add(client, product.id, "3")
    place(make_user(), (product, 2))
    response = _checkout(client)
    assert response.status_code == 422 and "Tas Anyaman Doyo tinggal 1" in response.get_data(as_text=True)


def test_checkout_needs_csrf(client, shopper, make_product):
    product = make_product()
    _add(client, product.id)
    data = dict(CHECKOUT_FORM)
    assert client.post("/checkout", data=data).status_code == 400
    assert _orders_count() == 0 and _stock(product) == 10


def test_when_stripe_cannot_be_reached_the_order_waits_with_a_pay_button(app, client, shopper, make_product):
    app.config.update(PRODUCTION=True)  # no key in production: payments unavailable
    _add(client, make_product().id)
    response = _checkout(client)
    order = db.session.scalar(select(Order).where(Order.buyer_id == shopper.id))
    assert response.headers["Location"].endswith(f"/orders/{order.code}")
    assert order.state == "pending" and latest_attempt(order).stripe_session_id is None
    app.config.update(PRODUCTION=False)
    page = client.get(f"/orders/{order.code}").get_data(as_text=True)
    assert "Bayar sekarang" in page
    pay = client.post(f"/orders/{order.code}/pay", data={"csrf_token": _token(client)})
    assert "/stripe-standin/pay/" in pay.headers["Location"]


# --- order pages ---------------------------------------------------------------------------------------------


@pytest.fixture
def my_order(client, shopper, make_product):
    product = make_product(stock=5)
    _add(client, product.id, "2")
    _checkout(client)
    return db.session.scalar(select(Order).where(Order.buyer_id == shopper.id))


def test_return_from_stripe_only_waits_for_the_webhook(client, my_order):
    page = client.get(f"/orders/{my_order.code}?checkout=success").get_data(as_text=True)
    assert "Menunggu konfirmasi pembayaran" in page and '<meta http-equiv="refresh"' in page
    assert db.session.get(Order, my_order.id, populate_existing=True).state == "pending"


def test_paid_order_page_stops_refreshing(client, my_order):
    from marketplace.orders import service

    service.settle_order(my_order, "pi_1")
    db.session.commit()
    page = client.get(f"/orders/{my_order.code}").get_data(as_text=True)
    assert "Sudah dibayar" in page and "refresh" not in page


def test_pay_again_goes_to_the_same_session(client, my_order):
    response = client.post(f"/orders/{my_order.code}/pay", data={"csrf_token": _token(client)})
    assert response.headers["Location"] == latest_attempt(my_order).checkout_url


def test_buyer_cancels_and_the_stock_comes_back(client, my_order):
    product = my_order.shop_orders[0].items[0].product
    response = client.post(f"/orders/{my_order.code}/cancel", data={"csrf_token": _token(client)})
    assert response.status_code == 302
    assert db.session.get(Order, my_order.id, populate_existing=True).state == "cancelled"
    assert _stock(product) == 5
    again = client.post(f"/orders/{my_order.code}/cancel", data={"csrf_token": _token(client)})
    assert again.status_code == 302 and _stock(product) == 5


def test_my_orders_lists_the_order(client, my_order):
    assert my_order.code in client.get("/orders").get_data(as_text=True)


@pytest.mark.parametrize("method, path", [("get", "/orders/{code}"), ("post", "/orders/{code}/pay"),
                                          ("post", "/orders/{code}/cancel")])
def test_someone_elses_order_is_404_and_unchanged(client, auth, make_user, my_order, method, path):
    auth.logout()
    auth.login(make_user().email)
    data = {"csrf_token": _token(client)} if method == "post" else None
    response = getattr(client, method)(path.format(code=my_order.code), data=data)
    assert response.status_code == 404
    assert db.session.get(Order, my_order.id, populate_existing=True).state == "pending"


@pytest.mark.parametrize("method, path", [("get", "/orders"), ("get", "/orders/PD-0000-XXXX"),
                                          ("post", "/orders/PD-0000-XXXX/pay"), ("post", "/orders/PD-0000-XXXX/cancel"),
                                          ("get", "/checkout"), ("post", "/checkout")])
def test_anonymous_visitors_are_sent_to_login(client, method, path):
    data = {"csrf_token": _token(client)} if method == "post" else None
    response = getattr(client, method)(path, data=data)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_order_pages_need_csrf(client, my_order):
    for action in ("pay", "cancel"):
        assert client.post(f"/orders/{my_order.code}/{action}").status_code == 400
    assert db.session.get(Order, my_order.id, populate_existing=True).state == "pending"


def test_unknown_and_huge_codes_are_404(client, shopper):
    assert client.get("/orders/PD-0000-XXXX").status_code == 404
    assert client.get("/orders/" + "A" * 5000).status_code == 404
