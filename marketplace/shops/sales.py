"""What a shop has sold: its paid orders by dashboard tab, and the last days of sales by WITA day.

Only parts of orders that were paid appear: a part still awaiting payment, or cancelled because its payment
window closed, is nothing the producer has to act on or has earned.

The days' earnings are read from the ledger, so that they are what the Saldo page adds up: for each order paid
that day, what its payment credited to the shop (goods and shipping less commission), less what a cancellation
of the shop's part took back (on the day of the sale it reverses, so no day goes below zero); and for each cash
sale at pickup, the part's total less the commission its cash_commission entry says the shop owes."""
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from ..catalogue.models import Product
from ..extensions import db
from ..ledger.models import JournalEntry, JournalLine, LedgerAccount
from ..orders.models import Order, OrderItem, ShopOrder

# The dashboard's tabs and the shop order states each one shows.
TABS = {"new": ("paid",), "preparing": ("preparing",), "sent": ("shipped", "ready_for_pickup"),
        "completed": ("completed",), "cancelled": ("cancelled",)}
# Work queues read oldest first (first paid, first served); the others newest first.
QUEUE_TABS = ("new", "preparing")
# A part earns its payout from payment on, unless it is cancelled.
EARNING_STATES = ("paid", "preparing", "shipped", "ready_for_pickup", "completed")
SALES_DAYS = 30
BEST_SELLERS = 5


def _paid_parts(shop):
    return (select(ShopOrder).join(Order, Order.id == ShopOrder.order_id)
            .where(ShopOrder.shop_id == shop.id, Order.paid_at.is_not(None)))


def tab_counts(shop):
    """{tab: number of the shop's paid parts in that tab}."""
    rows = db.session.execute(select(ShopOrder.state, func.count(ShopOrder.id))
                              .join(Order, Order.id == ShopOrder.order_id)
                              .where(ShopOrder.shop_id == shop.id, Order.paid_at.is_not(None))
                              .group_by(ShopOrder.state))
    by_state = dict(rows.all())
    return {tab: sum(by_state.get(state, 0) for state in states) for tab, states in TABS.items()}


def new_order_count(shop):
    """Paid orders the shop has not accepted yet."""
    return tab_counts(shop)["new"] if shop is not None else 0


def new_orders_of(owner_id):
    """Paid orders waiting for the producer's shop to accept them: the number in the header."""
    from .models import Shop

    return db.session.scalar(select(func.count(ShopOrder.id)).join(Order, Order.id == ShopOrder.order_id)
                             .join(Shop, Shop.id == ShopOrder.shop_id)
                             .where(Shop.owner_id == owner_id, ShopOrder.state.in_(TABS["new"]),
                                    Order.paid_at.is_not(None)))


def orders_in_tab(shop, tab, page, per_page):
    """One page of the shop's paid parts in a tab, with their orders and items loaded."""
    oldest_first = tab in QUEUE_TABS
    order_by = (Order.paid_at, ShopOrder.id) if oldest_first else (Order.paid_at.desc(), ShopOrder.id.desc())
    query = (_paid_parts(shop).where(ShopOrder.state.in_(TABS[tab]))
             .options(joinedload(ShopOrder.order), selectinload(ShopOrder.items))
             .order_by(*order_by).offset((page - 1) * per_page).limit(per_page))
    return db.session.scalars(query).all()


@dataclass
class DaySales:
    """One WITA day: what the shop earned and from how many orders."""

    day: date
    revenue_idr: int = 0
    orders: int = 0


@dataclass
class BestSeller:
    """A listing with the quantity sold and the goods' value (before the platform's fee)."""

    product_id: int
    title: str
    quantity: int
    revenue_idr: int


@dataclass
class SalesOverview:
    """The days, oldest first, their totals, and the best-selling listings."""

    days: list
    best_sellers: list = field(default_factory=list)

    @property
    def revenue_idr(self):
        """Payout over all the days."""
        return sum(day.revenue_idr for day in self.days)

    @property
    def orders(self):
        """Orders over all the days."""
        return sum(day.orders for day in self.days)


def _window(now, days):
    """The display zone, the first day of the window and the UTC moment it starts."""
    zone = ZoneInfo(current_app.config["DISPLAY_TIMEZONE"])
    first = now.astimezone(zone).date() - timedelta(days=days - 1)
    return zone, first, datetime.combine(first, time(), zone).astimezone(timezone.utc)


def sales_overview(shop, now, days=SALES_DAYS):
    """The last `days` days up to now (today included) in the display zone: earnings from the ledger by the day
    of payment (or of the cash sale), best sellers from the parts still earning."""
    zone, first, start = _window(now, days)
    totals = [DaySales(first + timedelta(days=offset)) for offset in range(days)]
    for moment, earned_idr in _paid_earnings(shop, start, now) + _cash_earnings(shop, start, now):
        if earned_idr > 0:  # a part cancelled in full earned nothing
            day = totals[(moment.astimezone(zone).date() - first).days]
            day.revenue_idr += earned_idr
            day.orders += 1
    earning = (ShopOrder.shop_id == shop.id, ShopOrder.state.in_(EARNING_STATES), Order.paid_at >= start,
               Order.paid_at <= now)
    return SalesOverview(totals, _best_sellers(earning))


def _paid_earnings(shop, start, now):
    """[(moment paid, what the shop keeps)] per order paid in the window: its payment_settled credit to the shop,
    net of any shop_order_cancelled debit (from pending, or from available once released). The moment is the
    order's paid_at, set in the transaction that wrote the payment's entry."""
    earned = func.sum(-JournalLine.amount_idr)
    rows = db.session.execute(
        select(Order.paid_at, earned).select_from(JournalEntry)
        .join(JournalLine, JournalLine.entry_id == JournalEntry.id)
        .join(LedgerAccount, LedgerAccount.id == JournalLine.account_id)
        .join(Order, Order.id == JournalEntry.order_id)
        .where(LedgerAccount.shop_id == shop.id, LedgerAccount.kind.in_(("shop_pending", "shop_available")),
               JournalEntry.kind.in_(("payment_settled", "shop_order_cancelled")),
               Order.paid_at >= start, Order.paid_at <= now)
        .group_by(Order.id, Order.paid_at))
    return [(paid_at, int(total)) for paid_at, total in rows]


def _cash_earnings(shop, start, now):
    """[(moment of the sale, what the shop keeps)] per cash sale at pickup in the window. The ledger records only
    the commission a cash sale owes (cash_commission, when the producer marks it paid and collected): the
    goods' money never passes through the platform, so the gross is the part's total."""
    rows = db.session.execute(
        select(JournalEntry.created_at, ShopOrder.items_total_idr + ShopOrder.shipping_fee_idr, JournalLine.amount_idr)
        .select_from(JournalEntry)
        .join(JournalLine, JournalLine.entry_id == JournalEntry.id)
        .join(LedgerAccount, LedgerAccount.id == JournalLine.account_id)
        .join(ShopOrder, ShopOrder.id == JournalEntry.shop_order_id)
        .where(JournalEntry.kind == "cash_commission", LedgerAccount.shop_id == shop.id,
               LedgerAccount.kind == "shop_commission_owed", JournalEntry.created_at >= start,
               JournalEntry.created_at <= now))
    return [(moment, int(total) - int(fee)) for moment, total, fee in rows]


def _best_sellers(earning):
    quantity = func.sum(OrderItem.quantity)
    revenue = func.sum(OrderItem.quantity * OrderItem.unit_price_idr)
    rows = db.session.execute(select(Product.id, Product.title, quantity, revenue)
                              .select_from(OrderItem)
                              .join(ShopOrder, ShopOrder.id == OrderItem.shop_order_id)
                              .join(Order, Order.id == ShopOrder.order_id)
                              .join(Product, Product.id == OrderItem.product_id)
                              .where(*earning).group_by(Product.id, Product.title)
                              .order_by(quantity.desc(), revenue.desc(), Product.id).limit(BEST_SELLERS))
    return [BestSeller(product_id, title, int(sold), int(value)) for product_id, title, sold, value in rows]


@dataclass
class Bar:
    """One day's bar of the revenue chart, in SVG user units."""

    day: DaySales
    x: int
    y: int
    width: int
    height: int


CHART_HEIGHT = 120
BAR_WIDTH = 10
BAR_GAP = 2


def chart_bars(days, height=CHART_HEIGHT):
    """One bar per day, scaled to the best day; a day without sales keeps a 1-unit stub so it still shows."""
    peak = max((day.revenue_idr for day in days), default=0) or 1
    bars = []
    for index, day in enumerate(days):
        bar_height = max(1, round(day.revenue_idr * height / peak))
        bars.append(Bar(day, index * (BAR_WIDTH + BAR_GAP), height - bar_height, BAR_WIDTH, bar_height))
    return bars


def chart_width(days):
    """The SVG's width for this many days."""
    return max(1, len(days) * (BAR_WIDTH + BAR_GAP) - BAR_GAP)
