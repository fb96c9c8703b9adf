"""Cash at pickup through the real pages: checkout without JavaScript, the buyer's instructions, the producer's
"dibayar tunai dan diambil", cancellations, expiry, the ledger (the shop owes the commission) and the payout that
takes it back; and every refusal (delivery, two shops, a shop or an admin saying no, hostile form values)."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from marketplace.errors import InvalidInput, InvalidState
from marketplace.extensions import db
from marketplace.ledger import check, payouts
from marketplace.ledger import service as ledger
from marketplace.ledger.models import JournalEntry
from marketplace.ledger.payouts import BankAccountDetails
from marketplace.models_base import utcnow
from marketplace.notifications.models import Notification
from marketplace.orders import earnings
from marketplace.orders import service as orders
from marketplace.orders.limits import CASH_ON_PICKUP_MAX_IDR, max_payment_idr
from marketplace.orders.models import Order
from marketplace.payments import cash, transfer
from marketplace.payments.models import Payment, PaymentMethodSetting
from marketplace.payments.settle import latest_attempt
from marketplace.shops.models import Shop
from tests.conftest import TEST_PASSWORD, csrf_token
from tests.orders.helpers import address
from tests.orders.test_views import CHECKOUT_FORM

LATER = timedelta(hours=49)


@pytest.fixture
def cash_on(app):
    """The admin's switch for cash at pickup, on."""
    transfer.set_method_enabled("cash_on_pickup", True)
    db.session.commit()


@pytest.fixture
def cash_shop(make_shop):
    """A shop that lets buyers pick up and accepts cash."""
    return make_shop(pickup_allowed=True, cash_on_pickup=True)


@pytest.fixture
def login(app):
    """login(user) -> a test client of its own, logged in through the real form."""
    def make(user):
        client = app.test_client()
        response = client.post("/login", data={"email": user.email, "password": TEST_PASSWORD,
                                               "csrf_token": csrf_token(client, "/login")})
        assert response.status_code == 302
        return client

    return make


def _add(client, product, quantity=1):
    return client.post("/cart/add", data={"product_id": product.id, "quantity": str(quantity),
                                          "csrf_token": csrf_token(client, "/cart")})


def _checkout(client, shop, method="cash_on_pickup", fulfilment="pickup", **changes):
    data = {**CHECKOUT_FORM, f"fulfilment-{shop.id}": fulfilment, "payment_method": method, **changes,
            "csrf_token": csrf_token(client, "/cart")}
    return client.post("/checkout", data=data)


def _post(client, path, **data):
    return client.post(path, data={**data, "csrf_token": csrf_token(client, "/cart")})


def _order_of(buyer):
    return db.session.scalar(select(Order).where(Order.buyer_id == buyer.id).execution_options(
        populate_existing=True))


def _stock(product):
    db.session.refresh(product)
    return product.stock


def _mail(kind, recipient=None):
    query = select(Notification).where(Notification.kind == kind)
    if recipient is not None:
        query = query.where(Notification.recipient_id == recipient.id)
    return db.session.scalars(query).all()


@pytest.fixture
def cash_order(app, login, make_user, make_product, cash_shop, cash_on):
    """(order, part, product, buyer client, producer client): a cash order placed through the checkout page."""
    product = make_product(shop=cash_shop, stock=10, price_idr=60_000)
    buyer = make_user()
    buyer_client = login(buyer)
    _add(buyer_client, product, 2)
    response = _checkout(buyer_client, cash_shop)
    order = _order_of(buyer)
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/orders/{order.code}")
    return order, order.shop_orders[0], product, buyer_client, login(cash_shop.owner)


# --- checkout -------------------------------------------------------------------------------------------------


def test_checkout_offers_cash_only_for_a_shop_that_accepts_it(app, login, make_user, make_product, cash_shop,
                                                              make_shop, cash_on):
    client = login(make_user())
    _add(client, make_product(shop=cash_shop))
    page = client.get("/checkout").get_data(as_text=True)
    assert 'value="cash_on_pickup"' in page and "Bayar tunai saat diambil" in page
    _add(client, make_product(shop=make_shop(cash_on_pickup=True)))   # a second shop: two handovers
    assert 'value="cash_on_pickup"' not in client.get("/checkout").get_data(as_text=True)


def test_cash_order_is_placed_at_once_with_the_pickup_deadline_and_both_sides_told(app, cash_order, cash_shop):
    order, part, product, buyer_client, _producer = cash_order
    payment = latest_attempt(order)
    assert (order.state, part.state, part.fulfilment) == ("pending", "awaiting_payment", "pickup")
    assert (payment.method, payment.state, payment.amount_idr, payment.unique_code_idr) == (
        "cash_on_pickup", "pending", 120_000, 0)
    deadline = utcnow() + timedelta(days=3)
    assert abs((payment.expires_at - deadline).total_seconds()) < 60 and order.expires_at == payment.expires_at
    assert _stock(product) == 8
    page = buyer_client.get(f"/orders/{order.code}").get_data(as_text=True)
    assert "Bayar tunai Rp120.000 saat mengambil di" in page and cash_shop.village_name in page
    assert cash_shop.district_name in page and "WITA" in page
    assert "Bayar sekarang" not in page and 'http-equiv="refresh"' not in page and "Batalkan pesanan" in page
    [to_buyer] = _mail("buyer_cash_placed", order.buyer)
    [to_producer] = _mail("producer_cash_placed", cash_shop.owner)
    assert "Rp120.000" in to_buyer.body and cash_shop.district_name in to_buyer.body
    assert "Dibayar tunai dan diambil" in to_producer.body and "Rp6.000" in to_producer.body
    assert _mail("buyer_placed") == []                 # not the "pay before" message of online methods
    again = _post(buyer_client, f"/orders/{order.code}/pay")  # nothing to pay online: back to the instructions
    assert again.status_code == 302 and again.headers["Location"].endswith(f"/orders/{order.code}")
    assert db.session.scalar(select(func.count(Payment.id))) == 1


def test_producer_marks_it_paid_and_collected_and_the_ledger_owes_the_commission(app, cash_order, cash_shop):
    order, part, product, _buyer, producer = cash_order
    listing = producer.get("/dashboard/orders").get_data(as_text=True)
    assert "Menunggu diambil, bayar tunai" in listing and order.code in listing
    page = producer.get(f"/dashboard/orders/{part.id}").get_data(as_text=True)
    assert "Dibayar tunai dan diambil" in page and "Rp120.000" in page and "jangan dikirim" in page
    response = _post(producer, f"/dashboard/orders/{part.id}/cash-collected")
    assert response.status_code == 302
    order, payment = _order_of(order.buyer), latest_attempt(order)
    db.session.refresh(part)
    assert (order.state, part.state, payment.state, payment.received_idr) == ("paid", "completed", "paid", 120_000)
    assert part.completed_at is not None and order.paid_at is not None and _stock(product) == 8
    assert ledger.shop_balances(cash_shop.id) == {"pending": 0, "available": 0, "commission_owed": 6_000}
    assert ledger.balance("income:commission") == 6_000
    assert check.problems() == []
    assert earnings.release_due(now=utcnow() + timedelta(days=30)) == 0   # the shop already holds the money
    assert ledger.shop_balances(cash_shop.id)["available"] == 0
    again = _post(producer, f"/dashboard/orders/{part.id}/cash-collected")
    assert again.status_code == 409
    assert db.session.scalar(select(func.count(JournalEntry.id)).where(JournalEntry.kind == "cash_commission")) == 1
    assert "Menunggu diambil" not in producer.get("/dashboard/orders").get_data(as_text=True)


def test_the_next_payout_takes_the_commission_owed_on_cash_sales(app, cash_order, cash_shop, make_order,
                                                                 make_product, make_user):
    order, part, _product, _buyer, producer = cash_order
    _post(producer, f"/dashboard/orders/{part.id}/cash-collected")
    card = make_order(lines=[(make_product(shop=cash_shop, price_idr=100_000), 1)], fulfilment="pickup")
    [card_part] = card.shop_orders
    orders.accept_shop_order(card_part, cash_shop.owner)
    orders.mark_ready_for_pickup(card_part, cash_shop.owner)
    orders.hand_over(card_part, cash_shop.owner)
    db.session.commit()
    assert earnings.release_due(now=utcnow() + timedelta(days=30)) == 1  # the card sale only
    admin = make_user("admin")
    account = payouts.set_bank_account(cash_shop, BankAccountDetails("014", "123 456 7890", "Siti Aminah"))
    payouts.review_bank_account(account.id, admin, approve=True)
    [payout] = payouts.create_batch(admin, "held:stripe", now=utcnow() + LATER).payouts
    assert payout.amount_idr == 95_000 - 6_000
    assert ledger.shop_balances(cash_shop.id) == {"pending": 0, "available": 0, "commission_owed": 0}
    db.session.commit()
    assert check.problems() == []


def test_buyer_cancels_before_pickup_and_the_stock_goes_back(app, cash_order, cash_shop):
    order, part, product, buyer_client, producer = cash_order
    response = _post(buyer_client, f"/orders/{order.code}/cancel")
    assert response.status_code == 302
    order = _order_of(order.buyer)
    assert (order.state, latest_attempt(order).state, _stock(product)) == ("cancelled", "failed", 10)
    assert len(_mail("producer_cash_released", cash_shop.owner)) == 1
    assert len(_mail("buyer_cash_released", order.buyer)) == 1
    assert _post(producer, f"/dashboard/orders/{part.id}/cash-collected").status_code == 409
    assert _stock(product) == 10 and ledger.shop_balances(cash_shop.id)["commission_owed"] == 0


def test_producer_cancels_when_the_buyer_does_not_come(app, cash_order, cash_shop):
    order, part, product, _buyer, producer = cash_order
    short = _post(producer, f"/dashboard/orders/{part.id}/cash-cancel", reason="x")
    assert short.status_code == 422 and _stock(product) == 8
    response = _post(producer, f"/dashboard/orders/{part.id}/cash-cancel", reason="Pembeli tidak datang")
    assert response.status_code == 302
    db.session.refresh(part)
    assert (_order_of(order.buyer).state, part.state, part.cancel_reason) == (
        "cancelled", "cancelled", "Pembeli tidak datang")
    assert part.cancelled_at is not None and _stock(product) == 10
    [to_buyer] = _mail("buyer_cash_released", order.buyer)
    assert "Pembeli tidak datang" in to_buyer.body
    again = _post(producer, f"/dashboard/orders/{part.id}/cash-cancel", reason="Pembeli tidak datang")
    assert again.status_code == 409 and _stock(product) == 10


def test_expiry_gives_the_stock_back_exactly_once_and_tells_both(app, runner, cash_order, cash_shop):
    order, part, product, _buyer, producer = cash_order
    not_yet = runner.invoke(args=["orders", "expire"])
    assert "0 overdue" in not_yet.output and _stock(product) == 8     # three days to come
    db.session.execute(update(Order).where(Order.id == order.id).values(expires_at=utcnow() - timedelta(minutes=1)))
    db.session.commit()
    for _run in range(2):
        result = runner.invoke(args=["orders", "expire"])
        assert result.exit_code == 0
    order = _order_of(order.buyer)
    assert (order.state, latest_attempt(order).state, _stock(product)) == ("expired", "expired", 10)
    [to_buyer] = _mail("buyer_cash_released", order.buyer)
    [to_producer] = _mail("producer_cash_released", cash_shop.owner)
    assert "tidak diambil" in to_buyer.body and "tidak diambil" in to_producer.body
    late = _post(producer, f"/dashboard/orders/{part.id}/cash-collected")
    assert late.status_code == 409 and "tidak menunggu bayar tunai" in late.get_data(as_text=True)
    assert _stock(product) == 10 and check.problems() == []


def test_a_buyer_late_but_before_the_expiry_run_can_still_pay(app, runner, cash_order):
    order, part, product, _buyer, producer = cash_order
    db.session.execute(update(Order).where(Order.id == order.id).values(expires_at=utcnow() - timedelta(minutes=1)))
    db.session.commit()
    assert _post(producer, f"/dashboard/orders/{part.id}/cash-collected").status_code == 302
    assert "0 overdue" in runner.invoke(args=["orders", "expire"]).output
    assert (_order_of(order.buyer).state, _stock(product)) == ("paid", 8)


# --- refusals -------------------------------------------------------------------------------------------------


def _refused(response, buyer, message):
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert _order_of(buyer) is None and db.session.scalar(select(Payment.id)) is None


def test_cash_for_a_delivery_is_refused_and_nothing_is_placed(app, login, make_user, make_product, cash_shop,
                                                              cash_on):
    buyer = make_user()
    client = login(buyer)
    product = make_product(shop=cash_shop, stock=5)
    _add(client, product)
    _refused(_checkout(client, cash_shop, fulfilment="delivery"), buyer, "hanya untuk pesanan yang diambil sendiri")
    assert _stock(product) == 5


@pytest.mark.parametrize("setup", ["shop_refuses", "switch_off", "no_pickup"])
def test_cash_is_not_offered_and_refused_when_someone_says_no(app, login, make_user, make_product, make_shop,
                                                              setup):
    shop = make_shop(pickup_allowed=True, cash_on_pickup=setup != "shop_refuses")
    if setup == "no_pickup":
        db.session.execute(update(Shop).where(Shop.id == shop.id).values(pickup_allowed=False))
    transfer.set_method_enabled("cash_on_pickup", setup != "switch_off")
    db.session.commit()
    buyer = make_user()
    client = login(buyer)
    _add(client, make_product(shop=shop))
    assert 'value="cash_on_pickup"' not in client.get("/checkout").get_data(as_text=True)
    _refused(_checkout(client, shop), buyer, "Pilih cara pembayaran")


@pytest.mark.parametrize("method", ["CASH_ON_PICKUP", "cash_on_pickup\x00", " cash_on_pickup", "cash",
                                    "cash_on_pickup" * 400, "<script>alert(1)</script>", ""])
def test_hostile_method_values_are_refused(app, login, make_user, make_product, cash_shop, cash_on, method):
    buyer = make_user()
    client = login(buyer)
    _add(client, make_product(shop=cash_shop))
    response = _checkout(client, cash_shop, method=method)
    assert response.status_code == 422 and _order_of(buyer) is None


@pytest.mark.parametrize("fulfilment", ["pickup\x00", "PICKUP", "x" * 5000, ""])
def test_hostile_fulfilment_values_with_cash_place_nothing(app, login, make_user, make_product, cash_shop, cash_on,
                                                          fulfilment):
    buyer = make_user()
    client = login(buyer)
    _add(client, make_product(shop=cash_shop))
    response = _checkout(client, cash_shop, fulfilment=fulfilment)
    assert response.status_code == 422 and _order_of(buyer) is None and db.session.scalar(select(Payment.id)) is None


def test_the_service_refuses_what_the_page_would_not_offer(app, make_user, make_product, cash_shop, make_shop,
                                                           fill_cart, cash_on):
    buyer = make_user()
    fill_cart(buyer, (make_product(shop=cash_shop), 1), (make_product(shop=make_shop(cash_on_pickup=True)), 1))
    order = orders.place_order(buyer, address(), {}, method="cash_on_pickup")
    with pytest.raises(InvalidInput, match="satu toko"):
        cash.start_cash(order)
    db.session.rollback()
    transfer.set_method_enabled("cash_on_pickup", False)
    fill_cart(buyer, (make_product(shop=cash_shop), 1))
    order = orders.place_order(buyer, address(), {cash_shop.id: "pickup"}, method="cash_on_pickup")
    with pytest.raises(InvalidState):
        cash.start_cash(order)
    db.session.rollback()


def test_cash_has_its_own_limit(app, login, make_user, make_product, cash_shop, cash_on):
    assert max_payment_idr("cash_on_pickup") == CASH_ON_PICKUP_MAX_IDR == 5_000_000
    buyer = make_user()
    client = login(buyer)
    _add(client, make_product(shop=cash_shop, stock=4, price_idr=2_500_001), 2)
    app.config["UNPAID_ORDER_MAX_STOCK_PERCENT"] = 100
    response = _checkout(client, cash_shop)
    assert response.status_code == 422 and "melebihi batas satu pembayaran" in response.get_data(as_text=True)
    assert _order_of(buyer) is None
    exact = make_user()
    client = login(exact)
    _add(client, make_product(shop=cash_shop, stock=4, price_idr=2_500_000), 2)
    assert _checkout(client, cash_shop).status_code == 302
    assert latest_attempt(_order_of(exact)).amount_idr == 5_000_000


# --- who may do what --------------------------------------------------------------------------------------------


def test_another_producer_a_buyer_or_no_token_change_nothing(app, cash_order, login, make_user, make_shop):
    order, part, product, buyer_client, _producer = cash_order
    stranger = login(make_shop().owner)
    for path in (f"/dashboard/orders/{part.id}/cash-collected", f"/dashboard/orders/{part.id}/cash-cancel"):
        assert _post(stranger, path, reason="Pembeli tidak datang").status_code == 404
        assert _post(buyer_client, path, reason="Pembeli tidak datang").status_code in (302, 403)
        assert _post(login(make_user("producer")), path, reason="Pembeli tidak datang").status_code == 404
    visitor = app.test_client()
    response = visitor.post(f"/dashboard/orders/{part.id}/cash-collected",
                            data={"csrf_token": csrf_token(visitor, "/login")})
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    producer = login(part.shop.owner)
    assert producer.post(f"/dashboard/orders/{part.id}/cash-collected").status_code == 400   # no CSRF token
    assert _order_of(order.buyer).state == "pending" and _stock(product) == 8


def test_a_card_order_has_no_cash_actions(app, make_order, cash_shop, make_product, login):
    order = make_order(lines=[(make_product(shop=cash_shop), 1)], fulfilment="pickup", paid=False)
    producer = login(cash_shop.owner)
    part = order.shop_orders[0]
    assert "Dibayar tunai dan diambil" not in producer.get(f"/dashboard/orders/{part.id}").get_data(as_text=True)
    assert _post(producer, f"/dashboard/orders/{part.id}/cash-collected").status_code == 409
    assert _order_of(order.buyer).state == "pending"


# --- switches ---------------------------------------------------------------------------------------------------


@pytest.fixture
def admin_client(login, make_user):
    return login(make_user("admin"))


def test_admin_switches_cash_on_and_off(app, admin_client, cash_shop):
    assert not transfer.method_enabled("cash_on_pickup")     # off until an admin turns it on
    assert _post(admin_client, "/admin/payments/methods/cash_on_pickup", enabled="1").status_code == 302
    assert transfer.method_enabled("cash_on_pickup")
    page = admin_client.get("/admin/payments").get_data(as_text=True)
    assert "toko yang menerima tunai (1 toko)" in page
    assert _post(admin_client, "/admin/payments/methods/cash_on_pickup", enabled="0").status_code == 302
    assert not transfer.method_enabled("cash_on_pickup")


@pytest.mark.parametrize("value", ["yes", "true", "", "1" * 1000, "1\x00", "<b>1</b>"])
def test_hostile_switch_values_are_refused(app, admin_client, value):
    assert _post(admin_client, "/admin/payments/methods/cash_on_pickup", enabled=value).status_code == 400
    assert db.session.get(PaymentMethodSetting, "cash_on_pickup") is None


def _shop_form(shop, **changes):
    data = {"name": shop.name, "slug": shop.slug, "story": "", "district_code": shop.district_code,
            "village_code": shop.village_code, "whatsapp": "0812 3456 7890", "shipping_fee_idr": "10000",
            "pickup_allowed": "y"}
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def test_producer_turns_cash_on_and_off_in_the_shop_form(app, login, make_shop):
    shop = make_shop()
    client = login(shop.owner)
    assert 'name="cash_on_pickup"' in client.get("/dashboard/shop").get_data(as_text=True)
    assert _post(client, "/dashboard/shop", **_shop_form(shop, cash_on_pickup="y")).status_code == 302
    assert db.session.get(Shop, shop.id, populate_existing=True).cash_on_pickup is True
    assert _post(client, "/dashboard/shop", **_shop_form(shop)).status_code == 302
    assert db.session.get(Shop, shop.id, populate_existing=True).cash_on_pickup is False


@pytest.mark.parametrize("value", ["x" * 10000, "<script>", "0"])
def test_hostile_shop_toggle_values_are_a_ticked_box_and_need_pickup(app, login, make_shop, value):
    shop = make_shop()
    client = login(shop.owner)
    refused = _post(client, "/dashboard/shop", **_shop_form(shop, cash_on_pickup=value, pickup_allowed=None))
    assert refused.status_code == 422 and "diambil sendiri" in refused.get_data(as_text=True)
    assert db.session.get(Shop, shop.id, populate_existing=True).cash_on_pickup is False
    assert _post(client, "/dashboard/shop", **_shop_form(shop, cash_on_pickup=value)).status_code == 302
    assert db.session.get(Shop, shop.id, populate_existing=True).cash_on_pickup is True


# --- the ledger check knows cash sales ----------------------------------------------------------------------------


def test_the_check_finds_a_cash_sale_without_its_commission(app, cash_order):
    order, part, _product, _buyer, producer = cash_order
    orders.complete_cash_pickup(part, part.shop.owner)
    db.session.execute(update(Payment).where(Payment.order_id == order.id).values(state="paid"))
    db.session.flush()
    found = check.problems()
    assert any(f"shop order {part.id}: paid in cash, commission entries []" in problem for problem in found)
    assert not any("no payment entry" in problem for problem in found)   # cash: the platform held nothing
    db.session.rollback()


def test_the_check_finds_a_commission_without_a_collected_cash_sale(app, cash_order):
    order, part, _product, _buyer, _producer = cash_order
    from marketplace.ledger import rules

    rules.record_cash_commission(f"shop-order-{part.id}", part.shop_id, 6_000, shop_order_id=part.id,
                                 order_id=order.id)
    db.session.flush()
    assert check.problems() == [f"cash commission shop-order-{part.id}: no collected cash order"]
    db.session.rollback()


def test_the_check_finds_a_cash_sale_released_as_if_the_platform_held_it(app, cash_order):
    order, part, _product, _buyer, producer = cash_order
    _post(producer, f"/dashboard/orders/{part.id}/cash-collected")
    from marketplace.ledger import rules

    rules.release_earnings(f"shop-order-{part.id}", part.shop_id, 114_000, shop_order_id=part.id)
    db.session.flush()
    assert check.problems() == [f"shop order {part.id}: paid in cash, but has entries of money the platform held"]
    db.session.rollback()
