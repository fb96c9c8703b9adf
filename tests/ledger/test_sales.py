"""The sales overview reads its earnings from the ledger: it agrees with the Saldo page, takes cancellations
back, and counts a cash sale at pickup from its cash_commission entry."""
import re

from marketplace.extensions import db
from marketplace.ledger import rules, service as ledger
from marketplace.models_base import utcnow
from marketplace.orders import earnings
from marketplace.orders import service as orders
from marketplace.shops import sales
from tests.conftest import Auth


def _rupiah(html, pattern):
    return int(re.sub(r"\D", "", re.search(pattern, html).group(1)))


def _pages(client):
    """(what the sales page says the shop earned, pending and available on the Saldo page)."""
    sold = client.get("/dashboard/sales").get_data(as_text=True)
    saldo = client.get("/dashboard/saldo").get_data(as_text=True)
    return (_rupiah(sold, r"Pendapatan Anda: (Rp[\d.]+)"),
            _rupiah(saldo, r"<dt>Tertahan</dt><dd>(Rp[\d.]+)</dd>"),
            _rupiah(saldo, r"<dt>Tersedia untuk dicairkan</dt><dd[^>]*>(Rp[\d.]+)</dd>"))


def test_the_sales_page_and_the_saldo_page_agree(client, make_shop, make_product, make_order, make_user):
    shop = make_shop()
    honey = make_product(shop=shop, price_idr=50_000, stock=20)
    sugar = make_product(shop=shop, price_idr=12_350, stock=20)
    other = make_product(price_idr=99_000)
    kept = make_order(lines=[(honey, 2), (other, 1)])        # two shops in one order: only this shop's share
    make_order(lines=[(sugar, 1)], fulfilment="pickup")
    cancelled = make_order(lines=[(honey, 3)])
    orders.cancel_shop_order(cancelled.shop_orders[0], shop.owner, "producer", "Stok habis")
    db.session.commit()
    Auth(client).login(shop.owner.email)
    earned, pending, available = _pages(client)
    assert earned == pending == ledger.shop_balances(shop.id)["pending"] == (100_000 + 10_000 - 5_000) + (12_350 - 618)
    assert available == 0 and sales.sales_overview(shop, utcnow()).orders == 2
    part = next(part for part in kept.shop_orders if part.shop_id == shop.id)
    orders.accept_shop_order(part, shop.owner)
    orders.ship_shop_order(part, shop.owner, "jne", "JP1234567890")
    orders.confirm_receipt(part, kept.buyer)
    assert earnings.release_due(hold_days=0) == 1
    db.session.commit()
    earned_after, pending, available = _pages(client)
    assert earned_after == earned == pending + available and available == 105_000


def test_a_cancellation_after_release_is_taken_back_from_the_sale(make_shop, make_product, make_order):
    shop = make_shop()
    order = make_order(lines=[(make_product(shop=shop, price_idr=50_000), 1)])
    part = order.shop_orders[0]
    rules.release_earnings(f"shop-order-{part.id}", shop.id, part.total_idr - part.platform_fee_idr,
                           shop_order_id=part.id)
    rules.record_cancellation(f"shop-order-{part.id}", earnings.share_of(part), released=True,
                              shop_order_id=part.id, order_id=order.id)
    overview = sales.sales_overview(shop, utcnow())
    assert (overview.revenue_idr, overview.orders) == (0, 0)
    db.session.rollback()


def test_a_cash_sale_counts_from_its_commission_entry(make_shop, make_product, make_order):
    shop = make_shop()
    order = make_order(lines=[(make_product(shop=shop, price_idr=40_000), 2)], fulfilment="pickup", paid=False)
    part = order.shop_orders[0]
    assert sales.sales_overview(shop, utcnow()).revenue_idr == 0
    rules.record_cash_commission(f"shop-order-{part.id}", shop.id, 4_000, shop_order_id=part.id)
    overview = sales.sales_overview(shop, utcnow())
    assert (overview.revenue_idr, overview.orders) == (80_000 - 4_000, 1)
    assert overview.days[-1].revenue_idr == 76_000
    db.session.rollback()
