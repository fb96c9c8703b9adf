"""Placing orders: one transaction, stock reserved by conditional updates, prices and titles copied, fees."""
import pytest
from sqlalchemy import select

from marketplace.catalogue.models import Product
from marketplace.errors import InvalidInput, InvalidState, OutOfStock
from marketplace.extensions import db
from marketplace.moderation import service as moderation
from marketplace.orders import queries, service
from marketplace.orders.models import BuyerAddress, CartItem, Order, OrderItem
from tests.orders.helpers import address


def _stock(product):
    return db.session.scalar(select(Product.stock).where(Product.id == product.id).execution_options(
        populate_existing=True))


def test_place_order_reserves_stock_and_copies_titles_and_prices(make_product, make_shop, buyer, place):
    shop_a, shop_b = make_shop(shipping_fee_idr=15000), make_shop(shipping_fee_idr=9000, pickup_allowed=True)
    honey = make_product(shop=shop_a, price_idr=125000, stock=10, title="Madu Kelulut Asli")
    amplang = make_product(shop=shop_b, price_idr=25000, stock=4, title="Amplang Original")

    order = place(buyer, (honey, 2), (amplang, 3), fulfilment={shop_b.id: "pickup"})

    assert order.state == "pending" and order.code.startswith("PD-")
    assert (_stock(honey), _stock(amplang)) == (8, 1)
    parts = {part.shop_id: part for part in order.shop_orders}
    assert parts[shop_a.id].fulfilment == "delivery" and parts[shop_a.id].shipping_fee_idr == 15000
    assert parts[shop_b.id].fulfilment == "pickup" and parts[shop_b.id].shipping_fee_idr == 0
    items = {item.title: item for part in order.shop_orders for item in part.items}
    assert items["Madu Kelulut Asli"].unit_price_idr == 125000 and items["Madu Kelulut Asli"].quantity == 2
    assert order.items_total_idr == 2 * 125000 + 3 * 25000
    assert order.total_idr == order.items_total_idr + 15000
    assert db.session.scalars(select(CartItem).where(CartItem.user_id == buyer.id)).all() == []


def test_copied_price_and_title_do_not_follow_later_edits(make_product, buyer, place):
    product = make_product(price_idr=40000, title="Gula Aren Cetak")
    order = place(buyer, (product, 1))
    product.price_idr, product.title = 45000, "Gula Aren Cetak Baru"
    db.session.commit()
    item = db.session.scalar(select(OrderItem).where(OrderItem.product_id == product.id))
    assert (item.unit_price_idr, item.title) == (40000, "Gula Aren Cetak")
    assert db.session.get(Order, order.id).total_idr == 40000 + 10000


@pytest.mark.parametrize("items_total, percent, fee", [
    (100000, 5, 5000), (12345, 5, 617), (12350, 5, 618), (12349, 5, 617), (19, 5, 1), (9, 5, 0), (0, 5, 0),
    (333333, 7, 23333), (1050, 10, 105), (15, 10, 2),
])
def test_platform_fee_is_whole_rupiah_with_halves_rounded_up(items_total, percent, fee):
    assert service.platform_fee(items_total, percent) == fee


def test_platform_fee_per_shop_order_on_goods_only(app, make_product, make_shop, buyer, place):
    app.config["PLATFORM_FEE_PERCENT"] = 5
    shop = make_shop(shipping_fee_idr=20000)
    product = make_product(shop=shop, price_idr=12350, stock=5)
    order = place(buyer, (product, 1))
    part = order.shop_orders[0]
    assert part.platform_fee_idr == 618
    assert part.payout_idr == 12350 + 20000 - 618


def test_short_line_reserves_nothing_and_names_the_line(make_product, make_user, buyer, fill_cart, place):
    plenty, scarce = make_product(stock=10), make_product(stock=3, title="Lempok Durian Asli")
    fill_cart(buyer, (plenty, 2), (scarce, 3))
    place(make_user(), (scarce, 2))  # sold to someone else after it went into the cart
    with pytest.raises(OutOfStock) as refused:
        service.place_order(buyer, address(), {})
    db.session.rollback()
    assert "Lempok Durian Asli" in refused.value.message and "tinggal 1" in refused.value.message
    assert refused.value.field == str(scarce.id)
    assert (_stock(plenty), _stock(scarce)) == (10, 1)
    assert db.session.scalar(select(Order).where(Order.buyer_id == buyer.id)) is None


def test_reservation_lets_nothing_through_when_product_became_unavailable(make_product, make_user, buyer,
                                                                          fill_cart):
    product = make_product(stock=5, title="Kopi Liberika Bubuk")
    fill_cart(buyer, (product, 1))
    moderation.suspend_shop(product.shop, make_user("admin"), "Laporan pembeli tentang penipuan")
    db.session.commit()
    with pytest.raises(OutOfStock) as refused:
        service.place_order(buyer, address(), {})
    db.session.rollback()
    assert "tidak tersedia lagi" in refused.value.message
    assert _stock(product) == 5


def test_empty_cart_cannot_be_ordered(buyer):
    with pytest.raises(InvalidState):
        service.place_order(buyer, address(), {})


def test_pickup_only_where_the_shop_allows_it(make_product, make_shop, buyer, fill_cart):
    shop = make_shop(pickup_allowed=False)
    product = make_product(shop=shop)
    fill_cart(buyer, (product, 1))
    for choice in ("pickup", "teleport", "x" * 500):
        with pytest.raises(InvalidInput) as refused:
            service.place_order(buyer, address(), {shop.id: choice})
        db.session.rollback()
        assert refused.value.field == f"fulfilment-{shop.id}"
    assert _stock(product) == 10


def test_pickup_only_order_needs_no_street(make_product, make_shop, buyer, place):
    shop = make_shop(pickup_allowed=True)
    product = make_product(shop=shop)
    order = place(buyer, (product, 1), fulfilment={shop.id: "pickup"}, street="", province_code="",
                  regency_code="", district_code="", village_code="", postal_code="")
    assert order.total_idr == product.price_idr and order.street == ""


def test_last_address_is_remembered(make_product, buyer, place):
    place(buyer, (make_product(), 1), street="Jl. Mulawarman 5", postal_code="75511")
    remembered = service.remembered_address(buyer)
    assert (remembered.street, remembered.postal_code, remembered.village_code) == (
        "Jl. Mulawarman 5", "75511", address().village_code)
    assert remembered.phone == "+6281234567890"
    place(buyer, (make_product(), 1), street="Jl. Imam Bonjol 7, Tenggarong")
    assert db.session.get(BuyerAddress, buyer.id).street == "Jl. Imam Bonjol 7, Tenggarong"


def test_any_place_in_indonesia_is_accepted(make_product, buyer, place):
    from marketplace import regions

    regency = regions.children("91")[0][0]  # Papua
    district = regions.children(regency)[0][0]
    village = regions.children(district)[0][0]
    order = place(buyer, (make_product(), 1), province_code="91", regency_code=regency, district_code=district,
                  village_code=village, postal_code="99351")
    assert order.region_names[-1] == regions.name("91")


@pytest.mark.parametrize("field, value", [
    ("recipient_name", ""), ("recipient_name", "x" * 121), ("phone", "12345"), ("phone", "0812" * 50),
    ("street", "Jl"), ("street", "x" * 301), ("province_code", "99"), ("province_code", "64.02"),
    ("regency_code", "63.01"), ("district_code", "64.01.01"), ("village_code", "64.02.06.9999"),
    ("village_code", "' OR 1=1 --"), ("postal_code", "7551"), ("postal_code", "755111"), ("postal_code", "abcde"),
    ("postal_code", "７５５１１"), ("note", "x" * 501),
])
def test_bad_address_is_refused_naming_the_field(make_product, buyer, fill_cart, field, value):
    product = make_product()
    fill_cart(buyer, (product, 1))
    with pytest.raises(InvalidInput) as refused:
        service.place_order(buyer, address(**{field: value}), {})
    db.session.rollback()
    assert refused.value.field == field
    assert _stock(product) == 10


def test_order_codes_look_right_and_differ(make_product, make_user, place):
    codes = {place(make_user(), (make_product(), 1)).code for _ in range(5)}
    assert len(codes) == 5
    for code in codes:
        prefix, month, tail = code.split("-")
        assert prefix == "PD" and len(month) == 4 and month.isdigit() and len(tail) == 4
        assert not set(tail) & set("01OI")


def test_release_gives_stock_back_exactly_once(make_product, buyer, place):
    product = make_product(stock=4)
    order = place(buyer, (product, 3))
    assert service.release_order(order, "expired") is True
    assert service.release_order(order, "cancelled") is False
    db.session.commit()
    assert order.state == "expired" and _stock(product) == 4
    assert {part.state for part in order.shop_orders} == {"cancelled"}


def test_paid_order_never_released(make_product, buyer, place):
    product = make_product(stock=4)
    order = place(buyer, (product, 3))
    assert service.settle_order(order, "pi_1") == "paid"
    assert service.release_order(order, "expired") is False
    assert service.mark_processing(order) is False
    db.session.commit()
    assert order.state == "paid" and _stock(product) == 1
    assert service.settle_order(order, "pi_1") == "already_paid"


def test_late_payment_takes_the_goods_again_when_still_there(make_product, buyer, place):
    product = make_product(stock=4)
    order = place(buyer, (product, 3))
    service.release_order(order, "expired")
    assert service.settle_order(order, "pi_1") == "paid"
    db.session.commit()
    assert order.state == "paid" and order.released_at is None and _stock(product) == 1


def test_late_payment_after_resale_is_released_and_stock_stays(make_product, make_user, buyer, place):
    product = make_product(stock=4)
    order = place(buyer, (product, 3))
    service.release_order(order, "expired")
    db.session.commit()
    place(make_user(), (product, 2))
    assert service.settle_order(order, "pi_1") == "released"
    db.session.commit()
    assert order.state == "expired" and _stock(product) == 2


def test_add_stock_is_relative_and_bounded(make_product, stock_invariant):
    product = make_product(stock=7)
    assert service.add_stock(product.id, 5) == 12
    stock_invariant.restocked(db.engine.url, product.id, 5)
    for bad in (0, -1, 1.5, "3", True, 100_001):
        with pytest.raises(InvalidInput):
            service.add_stock(product.id, bad)
    with pytest.raises(InvalidInput):
        service.add_stock(product.id, 99_999)
    db.session.commit()
    assert _stock(product) == 12


def test_overdue_orders_are_pending_ones_past_their_window(make_product, buyer, place):
    from datetime import timedelta

    from marketplace.models_base import utcnow

    order = place(buyer, (make_product(), 1))
    assert order not in queries.overdue_orders()
    assert order in queries.overdue_orders(now=utcnow() + timedelta(minutes=31))
    service.settle_order(order, "pi_1")
    assert order not in queries.overdue_orders(now=utcnow() + timedelta(minutes=31))
