"""The sales overview: payout and orders per WITA day over 30 days, best sellers, and the bar chart."""
import re
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import update

from marketplace.extensions import db
from marketplace.orders import service as orders
from marketplace.orders.models import Order
from marketplace.shops import sales

NOW = datetime(2026, 11, 28, 4, 0, tzinfo=timezone.utc)  # 28 Nov 2026, 12.00 WITA


def utc(*args):
    return datetime(*args, tzinfo=timezone.utc)


@pytest.fixture
def paid_at(app):
    """paid_at(order, moment): pretend the order was paid at that moment."""

    def move(order, moment):
        db.session.execute(update(Order).where(Order.id == order.id).values(paid_at=moment))
        db.session.commit()
        return order

    return move


@pytest.fixture
def history(shop, producer, make_shop, make_product, make_order, paid_at):
    """Orders of the shop around the 30-day window, with figures worked out by hand in the comments."""
    honey = make_product(shop=shop, title="Madu kelulut", price_idr=50000, stock=20)
    sugar = make_product(shop=shop, title="Gula aren", price_idr=12350, stock=20)
    # 2 honey, delivered: 100.000 + 10.000 shipping - 5.000 fee = 105.000; paid 28 Nov 00.30 WITA (today)
    today = paid_at(make_order(lines=[(honey, 2)]), utc(2026, 11, 27, 16, 30))
    orders.accept_shop_order(today.shop_orders[0], producer)
    db.session.commit()
    # 1 sugar, picked up: 12.350 - 618 fee (5%, halves up) = 11.732; paid 27 Nov 23.30 WITA (yesterday)
    paid_at(make_order(lines=[(sugar, 1)], fulfilment="pickup"), utc(2026, 11, 27, 15, 30))
    # 3 honey, delivered: 150.000 + 10.000 - 7.500 = 152.500; paid 30 Oct 00.00 WITA, the window's first day
    first_day = paid_at(make_order(lines=[(honey, 3)]), utc(2026, 10, 29, 16, 0))
    orders.accept_shop_order(first_day.shop_orders[0], producer)
    db.session.commit()
    # Not counted: a minute before the window, cancelled, unpaid, another shop's, and paid after `now`.
    paid_at(make_order(lines=[(sugar, 4)], fulfilment="pickup"), utc(2026, 10, 29, 15, 59))
    cancelled = paid_at(make_order(lines=[(honey, 5)]), utc(2026, 11, 20, 2, 0))
    orders.cancel_shop_order(cancelled.shop_orders[0], producer, "producer", "Stok habis")
    db.session.commit()
    make_order(lines=[(sugar, 6)], paid=False)
    make_order(lines=[(make_product(shop=make_shop(), price_idr=99000), 1)])
    paid_at(make_order(lines=[(honey, 1)]), utc(2026, 11, 28, 4, 1))
    return honey, sugar


def test_sales_overview_matches_hand_computed_figures(history):
    honey, sugar = history
    overview = sales.sales_overview(honey.shop, NOW)
    assert len(overview.days) == 30
    assert (overview.days[0].day, overview.days[-1].day) == (date(2026, 10, 30), date(2026, 11, 28))
    by_day = {day.day: (day.revenue_idr, day.orders) for day in overview.days if day.orders}
    assert by_day == {date(2026, 11, 28): (105000, 1), date(2026, 11, 27): (11732, 1),
                      date(2026, 10, 30): (152500, 1)}
    assert (overview.revenue_idr, overview.orders) == (105000 + 11732 + 152500, 3)
    assert [(s.product_id, s.title, s.quantity, s.revenue_idr) for s in overview.best_sellers] == [
        (honey.id, "Madu kelulut", 5, 250000), (sugar.id, "Gula aren", 1, 12350)]


def test_a_shop_without_sales_has_thirty_empty_days(shop):
    overview = sales.sales_overview(shop, NOW)
    assert [day.revenue_idr for day in overview.days] == [0] * 30
    assert (overview.revenue_idr, overview.orders, overview.best_sellers) == (0, 0, [])


def test_chart_bars_scale_to_the_best_day():
    days = [sales.DaySales(date(2026, 11, n), revenue) for n, revenue in ((1, 0), (2, 50000), (3, 200000))]
    bars = sales.chart_bars(days, height=100)
    assert [(bar.x, bar.y, bar.height) for bar in bars] == [(0, 99, 1), (12, 75, 25), (24, 0, 100)]
    assert sales.chart_width(days) == 34


def svg_of(html):
    return re.search(r"<svg.*?</svg>", html, re.S).group(0)


def test_sales_page_draws_one_bar_per_day(client, logged_in, shop, make_product, make_order):
    make_order(lines=[(make_product(shop=shop, price_idr=50000), 2)])  # paid now: Rp105.000 today
    response = client.get("/dashboard/sales")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    svg = svg_of(html)
    bars = re.findall(r"<rect [^>]*>\s*<title>([^<]*)</title>\s*</rect>", svg)
    assert len(bars) == 30 == svg.count("<rect ")
    assert all(re.search(r'fill="#[0-9a-f]{6}"', rect) for rect in re.findall(r"<rect [^>]*>", svg))
    assert "Rp105.000 (1 pesanan)" in bars[-1] and all("Rp0 (0 pesanan)" in bar for bar in bars[:-1])
    assert "style=" not in html and "<script>" not in html.split("<main", 1)[1]
    assert "Pendapatan Anda: Rp105.000" in html and "1 pesanan" in html


def test_sales_page_shows_only_the_producers_own_shop(client, logged_in, shop, make_shop, make_product,
                                                      make_order):
    make_order(lines=[(make_product(shop=make_shop(), title="Amplang tetangga", price_idr=30000), 1)])
    html = client.get("/dashboard/sales").get_data(as_text=True)
    assert "Amplang tetangga" not in html and "Pendapatan Anda: Rp0" in html
    assert "Belum ada penjualan" in html
