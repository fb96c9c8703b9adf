"""Checkout and an order's life: placed (stock reserved), paid, or cancelled/expired (stock given back once).

Every stock change is one relative, conditional UPDATE of the product row, so concurrent buyers, releases and
restocks never overwrite each other: `stock = stock - n WHERE stock >= n` cannot oversell, and on PostgreSQL
the second of two writers re-checks the condition after the first commits. On SQLite the engine begins every
transaction with BEGIN IMMEDIATE (marketplace/database.py), so writers queue. Rows are always updated in
product-id order, so two carts holding the same products in another order cannot deadlock.
"""
import secrets
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, select, update
from sqlalchemy.orm import joinedload

from ..catalogue.models import MAX_STOCK, Product
from ..errors import InvalidInput, InvalidState, OutOfStock
from ..extensions import db
from ..models_base import utcnow
from ..search import outbox as search_outbox
from ..shops.models import Shop
from .address import Address, copy_address, remember_address, remembered_address, validate_address  # noqa: F401
from .cart import merge_visitor_cart  # noqa: F401 (accounts.views calls it after login)
from .models import RELEASABLE_STATES, CartItem, Order, OrderItem, ShopOrder

PAYMENT_WINDOW = timedelta(minutes=30)
CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O or 1/I to misread over the phone
_NO_SYNC = {"synchronize_session": False}


def platform_fee(items_total_idr, percent):
    """The commission on a shop's goods (not its shipping), whole rupiah, halves rounded up: 5% of 12,350 is 618."""
    return (items_total_idr * percent + 50) // 100


def _take(product_id, quantity):
    """Reserve stock of one purchasable product with one conditional UPDATE; True when the row had enough."""
    active_shops = select(Shop.id).where(Shop.status == "active")
    result = db.session.execute(
        update(Product)
        .where(Product.id == product_id, Product.stock >= quantity, Product.status == "approved",
               Product.shop_id.in_(active_shops))
        .values(stock=Product.stock - quantity).returning(Product.stock), execution_options=_NO_SYNC)
    left = result.scalar_one_or_none()
    if left is None:
        return False
    _tell_index_if_flipped(product_id, before=left + quantity, after=left)
    return True


def _give(product_id, quantity):
    stock = db.session.execute(update(Product).where(Product.id == product_id)
                               .values(stock=Product.stock + quantity).returning(Product.stock),
                               execution_options=_NO_SYNC).scalar_one_or_none()
    if stock is not None:
        _tell_index_if_flipped(product_id, before=stock - quantity, after=stock)


def _tell_index_if_flipped(product_id, before, after):
    """The index shows only whether a listing is in stock: tell it when that flips (sold out, or back),
    not on every sale, so a rush of buyers does not queue behind index commits."""
    if (before == 0) != (after == 0):
        search_outbox.enqueue(db.session, "product", [product_id])


def reserve_stock(lines):
    """Take every (product_id, quantity) off the shelf in product-id order, all or nothing.

    OutOfStock names the first short line."""
    savepoint = db.session.begin_nested()
    try:
        short = next(((pid, qty) for pid, qty in sorted(lines) if not _take(pid, qty)), None)
    except BaseException:
        savepoint.rollback()
        raise
    if short is None:
        savepoint.commit()
        return
    savepoint.rollback()  # the lines before the short one go back on the shelf
    product = db.session.get(Product, short[0], populate_existing=True)
    if not product.is_purchasable:
        raise OutOfStock(_("%(title)s tidak tersedia lagi. Hapus dari keranjang untuk melanjutkan.",
                           title=product.title), field=str(product.id))
    raise OutOfStock(_("Stok %(title)s tinggal %(n)d, sedangkan keranjang meminta %(asked)d.",
                       title=product.title, n=product.stock, asked=short[1]), field=str(product.id))


def add_stock(product_id, quantity):
    """A producer's restock: stock + quantity as one relative UPDATE, so no concurrent purchase is overwritten."""
    if isinstance(quantity, bool) or not isinstance(quantity, int) or not 1 <= quantity <= MAX_STOCK:
        raise InvalidInput(_("Tambahan stok antara 1 dan 100.000."), field="stock")
    stock = db.session.execute(update(Product).where(Product.id == product_id,
                                                     Product.stock + quantity <= MAX_STOCK)
                               .values(stock=Product.stock + quantity).returning(Product.stock),
                               execution_options=_NO_SYNC).scalar_one_or_none()
    if stock is None:
        raise InvalidInput(_("Stok paling banyak 100.000."), field="stock")
    _tell_index_if_flipped(product_id, before=stock - quantity, after=stock)
    return db.session.get(Product, product_id, populate_existing=True).stock


def _cart_items(buyer):
    items = db.session.scalars(select(CartItem).where(CartItem.user_id == buyer.id)
                               .order_by(CartItem.product_id)).all()
    if not items:
        raise InvalidState(_("Keranjang Anda kosong."))
    return items


def _empty_cart(buyer, items):
    """Delete exactly the cart lines being ordered; if another checkout of the same cart (a second tab, a
    double submit) took them first, this one stops instead of ordering the same goods twice."""
    taken = db.session.execute(delete(CartItem).where(CartItem.user_id == buyer.id,
                                                      CartItem.id.in_([item.id for item in items])),
                               execution_options=_NO_SYNC).rowcount
    if taken != len(items):
        raise InvalidState(_("Keranjang ini sudah dipesan (mungkin dari tab lain). Periksa daftar pesanan Anda."))


def _fulfilment_choices(shops, fulfilment):
    """{shop_id: 'delivery' | 'pickup'}; delivery unless pickup is chosen and the shop allows it."""
    choices = {}
    for shop in shops:
        choice = (fulfilment or {}).get(shop.id) or "delivery"
        if choice not in ("delivery", "pickup") or (choice == "pickup" and not shop.pickup_allowed):
            raise InvalidInput(_("%(shop)s tidak melayani ambil sendiri; pilih dikirim.", shop=shop.name),
                               field=f"fulfilment-{shop.id}")
        choices[shop.id] = choice
    return choices


def place_order(buyer, address, fulfilment, now=None):
    """Turn the buyer's cart into a pending order with its stock reserved, in the caller's one transaction.

    The stock is reserved last, so that the contended product rows stay locked (on PostgreSQL) only from the
    reservation to the commit; when a line is short, the order rows written before it are undone too."""
    now = now or utcnow()
    items = _cart_items(buyer)
    products = {product.id: product for product in db.session.scalars(
        select(Product).options(joinedload(Product.shop)).where(Product.id.in_([i.product_id for i in items]))
        .execution_options(populate_existing=True))}
    shops = sorted({product.shop for product in products.values()}, key=lambda shop: shop.id)
    choices = _fulfilment_choices(shops, fulfilment)
    clean = validate_address(address, needs_delivery="delivery" in choices.values())
    savepoint = db.session.begin_nested()
    try:
        order = _new_order(buyer, clean, [(shop, choices[shop.id]) for shop in shops], items, products, now)
        _empty_cart(buyer, items)
        remember_address(buyer, clean)
        reserve_stock([(item.product_id, item.quantity) for item in items])
    except BaseException:
        savepoint.rollback()
        raise
    savepoint.commit()
    return order


def _new_order(buyer, address, shop_choices, items, products, now):
    """The order with its shop orders and items (titles and prices copied from the products) and totals."""
    order = copy_address(address, Order(buyer_id=buyer.id, state="pending", created_at=now,
                                        expires_at=now + PAYMENT_WINDOW))
    percent = current_app.config["PLATFORM_FEE_PERCENT"]
    for shop, choice in shop_choices:
        part = ShopOrder(shop_id=shop.id, fulfilment=choice, state="awaiting_payment",
                         shipping_fee_idr=shop.shipping_fee_idr if choice == "delivery" else 0)
        part.items = [OrderItem(product_id=item.product_id, title=products[item.product_id].title,
                                unit_price_idr=products[item.product_id].price_idr, quantity=item.quantity)
                      for item in items if products[item.product_id].shop_id == shop.id]
        part.items_total_idr = sum(line.line_total_idr for line in part.items)
        part.platform_fee_idr = platform_fee(part.items_total_idr, percent)
        order.shop_orders.append(part)
    order.items_total_idr = sum(part.items_total_idr for part in order.shop_orders)
    order.shipping_total_idr = sum(part.shipping_fee_idr for part in order.shop_orders)
    order.total_idr = order.items_total_idr + order.shipping_total_idr
    order.code = _free_code(now)
    db.session.add(order)
    db.session.flush()
    return order


def _free_code(now):
    """A public order code like PD-2611-7Q4K (year, month, four random characters) not taken yet."""
    for _attempt in range(10):
        code = f"PD-{now:%y%m}-{''.join(secrets.choice(CODE_ALPHABET) for _ in range(4))}"
        if db.session.scalar(select(Order.id).where(Order.code == code)) is None:
            break
    return code


def _order_quantities(order_id):
    rows = db.session.execute(select(OrderItem.product_id, OrderItem.quantity).join(ShopOrder)
                              .where(ShopOrder.order_id == order_id).order_by(OrderItem.product_id))
    return [(product_id, quantity) for product_id, quantity in rows]


def _set_shop_orders(order_id, state):
    db.session.execute(update(ShopOrder).where(ShopOrder.order_id == order_id).values(state=state),
                       execution_options=_NO_SYNC)


def release_order(order, to_state, now=None):
    """Cancel or expire a pending order and put its stock back; only the first caller wins (True)."""
    assert to_state in ("cancelled", "expired")
    claimed = db.session.execute(
        update(Order).where(Order.id == order.id, Order.state.in_(RELEASABLE_STATES))
        .values(state=to_state, released_at=now or utcnow()), execution_options=_NO_SYNC).rowcount == 1
    if claimed:
        for product_id, quantity in _order_quantities(order.id):
            _give(product_id, quantity)
        _set_shop_orders(order.id, "cancelled")
    db.session.refresh(order)
    return claimed


def mark_processing(order):
    """Checkout finished with a payment that confirms later: keep the reservation and wait."""
    changed = db.session.execute(update(Order).where(Order.id == order.id, Order.state == "pending")
                                 .values(state="processing"), execution_options=_NO_SYNC).rowcount == 1
    db.session.refresh(order)
    return changed


def settle_order(order, payment_intent, now=None):
    """Record a confirmed payment: 'paid', 'already_paid', or 'released' (its goods went back and are gone)."""
    now = now or utcnow()
    paid = dict(state="paid", paid_at=now, stripe_payment_intent=payment_intent)
    if db.session.execute(update(Order).where(Order.id == order.id, Order.state.in_(RELEASABLE_STATES))
                          .values(**paid), execution_options=_NO_SYNC).rowcount == 1:
        _set_shop_orders(order.id, "paid")
        db.session.refresh(order)
        return "paid"
    db.session.refresh(order)
    if order.state == "paid":
        return "already_paid"
    return "paid" if _retake(order, paid) else "released"


def _retake(order, paid):
    """A payment after the reservation was released: take the goods again if they are still there."""
    savepoint = db.session.begin_nested()
    try:
        claimed = db.session.execute(update(Order).where(Order.id == order.id, Order.state == order.state)
                                     .values(released_at=None, **paid), execution_options=_NO_SYNC).rowcount
        if claimed == 1:
            reserve_stock(_order_quantities(order.id))
            _set_shop_orders(order.id, "paid")
    except OutOfStock:
        savepoint.rollback()
        db.session.refresh(order)
        return False
    except BaseException:
        savepoint.rollback()
        raise
    savepoint.commit()
    db.session.refresh(order)
    return claimed == 1


def flag_order(order, reason):
    """Put the order in front of an admin, with the reason."""
    order.flagged_for_admin = True
    order.flag_reason = (f"{order.flag_reason}\n{reason}" if order.flag_reason else reason)[:2000]
    db.session.flush()


def overdue_orders(now=None, limit=200):
    """Pending orders whose payment window has closed, oldest first."""
    return db.session.scalars(select(Order).where(Order.state == "pending", Order.expires_at < (now or utcnow()))
                              .order_by(Order.expires_at, Order.id).limit(limit)).all()


def buyer_order(buyer, code):
    """The buyer's own order with that code, or None (someone else's is None too)."""
    return db.session.scalar(select(Order).where(Order.code == str(code)[:16], Order.buyer_id == buyer.id))


def orders_of(buyer, limit=100):
    """The buyer's orders, newest first."""
    return db.session.scalars(select(Order).where(Order.buyer_id == buyer.id)
                              .order_by(Order.created_at.desc(), Order.id.desc()).limit(limit)).all()


def shop_orders_of(shop, states=("paid",), limit=100):
    """A shop's parts of orders in the given states, newest first (for the producer's dashboard)."""
    return db.session.scalars(select(ShopOrder).join(Order).where(ShopOrder.shop_id == shop.id,
                                                                  ShopOrder.state.in_(states))
                              .order_by(Order.created_at.desc(), ShopOrder.id.desc()).limit(limit)).all()


def flagged_orders(limit=100):
    """Orders an admin must look at (payment mismatch, refunded late payments)."""
    return db.session.scalars(select(Order).where(Order.flagged_for_admin.is_(True))
                              .order_by(Order.created_at.desc()).limit(limit)).all()
