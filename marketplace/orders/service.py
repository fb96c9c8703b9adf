"""Checkout and an order's life: placed (stock reserved), paid, or cancelled/expired (stock given back once).

Every stock change is one relative, conditional UPDATE of the product row, so concurrent buyers, releases and
restocks never overwrite each other: `stock = stock - n WHERE stock >= n` cannot oversell, and on PostgreSQL
the second of two writers re-checks the condition after the first commits. On SQLite the engine begins every
transaction with BEGIN IMMEDIATE (marketplace/sqlite_writes.py), so writers queue. Rows are always updated in
product-id order, so two carts holding the same products in another order cannot deadlock.
"""
import re
import secrets
from datetime import timedelta
from functools import cache

from blinker import Namespace
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.orm import joinedload

from ..catalogue.models import MAX_STOCK, Product
from ..accounts.models import User
from ..errors import InvalidInput, InvalidState, NotAllowed, OutOfStock
from ..extensions import db
from ..i18n import rupiah
from ..models_base import utcnow
from ..notifications import service as notify
from . import limits as payment_limits
from ..search import outbox as search_outbox
from .address import Address, copy_address, remember_address, remembered_address, validate_address  # noqa: F401
from .cart import merge_visitor_cart  # noqa: F401 (accounts.views calls it after login)
from . import earnings, queries
from .messaging import other_courier_name
from .models import COURIERS, ORDER_TRANSITIONS, RELEASABLE_STATES, CartItem, Order, OrderEvent, OrderItem, ShopOrder

PAYMENT_WINDOW = timedelta(minutes=30)
CASH_ON_PICKUP = "cash_on_pickup"

AUTO_COMPLETE_DAYS = 7
TRACKING_PATTERN = re.compile(r"[A-Z0-9][A-Z0-9 -]*")
CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O or 1/I to misread over the phone
_NO_SYNC = {"synchronize_session": False}
# The payment layer reacts to these; orders never import payments.
signals = Namespace()
order_released = signals.signal("order-released")


def platform_fee(items_total_idr, percent):
    """The commission on a shop's goods (not its shipping), whole rupiah, halves rounded up: 5% of 12,350 is 618."""
    return (items_total_idr * percent + 50) // 100


# The statements of checkout and release are built once, on the tables rather than the mapped classes: an ORM
# UPDATE or DELETE goes through the session's bulk path (about 0.3 ms of CPU each, against 0.05 ms for the same
# statement in Core), and the reservation's run while the product rows are locked. They change no loaded object.
@cache
def _take_statement():
    """The reservation's UPDATE (building Product.is_public and the cache key afresh cost more than running it)."""
    product = Product.__table__
    return (update(product)
            .where(product.c.id == bindparam("product_id"), product.c.stock >= bindparam("quantity"),
                   Product.is_public)
            .values(stock=product.c.stock - bindparam("quantity")).returning(product.c.stock))


def _take(product_id, quantity):
    """Reserve stock of one purchasable product with one conditional UPDATE; True when the row had enough."""
    left = db.session.execute(_take_statement(), {"product_id": product_id, "quantity": quantity}).scalar()
    if left is None:
        return False
    _tell_index_if_flipped(product_id, before=left + quantity, after=left)
    return True


@cache
def _give_statement():
    product = Product.__table__
    return (update(product).where(product.c.id == bindparam("product_id"))
            .values(stock=product.c.stock + bindparam("quantity")).returning(product.c.stock))


def _give(product_id, quantity):
    stock = db.session.execute(_give_statement(), {"product_id": product_id, "quantity": quantity}).scalar()
    if stock is not None:
        _tell_index_if_flipped(product_id, before=stock - quantity, after=stock)


def _tell_index_if_flipped(product_id, before, after):
    """The index shows only whether a listing is in stock: tell it when that flips (sold out, or back),
    not on every sale, so a rush of buyers does not queue behind index commits."""
    if (before == 0) != (after == 0):
        search_outbox.enqueue(db.session, "product", [product_id])


def reserve_stock(lines, own_savepoint=True):
    """Take every (product_id, quantity) off the shelf in product-id order, all or nothing.

    OutOfStock names the first short line. own_savepoint=False is for a caller whose own savepoint undoes the
    lines taken before a short one: two round trips fewer while the product rows are locked."""
    savepoint = db.session.begin_nested() if own_savepoint else None
    try:
        short = next(((pid, qty) for pid, qty in sorted(lines) if not _take(pid, qty)), None)
    except BaseException:
        if savepoint is not None:
            savepoint.rollback()
        raise
    if savepoint is None:
        if short is None:
            return
    elif short is None:
        savepoint.commit()
        return
    else:
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


@cache
def _cart_statement():
    return (select(CartItem, Product).join(Product, Product.id == CartItem.product_id)
            .where(CartItem.user_id == bindparam("buyer_id")).order_by(CartItem.product_id)
            .options(joinedload(Product.shop)).execution_options(populate_existing=True))


def _cart_with_products(buyer):
    """The buyer's cart lines in product-id order and {product id: product} with its shop, freshly read, in one
    query (a round trip fewer than two)."""
    rows = db.session.execute(_cart_statement(), {"buyer_id": buyer.id}).all()
    if not rows:
        raise InvalidState(_("Keranjang Anda kosong."))
    return [item for item, _product in rows], {product.id: product for _item, product in rows}


@cache
def _empty_cart_statement():
    cart_item = CartItem.__table__
    return delete(cart_item).where(cart_item.c.user_id == bindparam("buyer_id"),
                                   cart_item.c.id.in_(bindparam("item_ids", expanding=True)))


def _empty_cart(buyer, items):
    """Delete exactly the cart lines being ordered; if another checkout of the same cart (a second tab, a
    double submit) took them first, this one stops instead of ordering the same goods twice."""
    taken = db.session.execute(_empty_cart_statement(),
                               {"buyer_id": buyer.id, "item_ids": [item.id for item in items]}).rowcount
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


@cache
def _unpaid_statement():
    order = Order.__table__
    return select(select(func.count(order.c.id)).where(order.c.buyer_id == bindparam("buyer_id"),
                                                       order.c.state.in_(RELEASABLE_STATES)).scalar_subquery(),
                  select(order.c.id).where(order.c.code == bindparam("code")).exists())


def _check_unpaid_orders(buyer, now):
    """Refuse a new order while the buyer already has as many unpaid orders as allowed: each holds stock.
    Returns a free order code for the new order, checked in the same query (one round trip fewer).

    Two checkouts at once cannot both pass it: a buyer has one cart, and _empty_cart lets one of them take it."""
    allowed = current_app.config["MAX_UNPAID_ORDERS"]
    code = _new_code(now)
    unpaid, taken = db.session.execute(_unpaid_statement(), {"buyer_id": buyer.id, "code": code}).one()
    if unpaid >= allowed:
        raise InvalidState(_("Anda masih punya %(n)d pesanan yang belum dibayar. Bayar atau batalkan salah satunya "
                             "dulu sebelum memesan lagi.", n=unpaid))
    return _free_code(now) if taken else code


def unpaid_share_cap(stock):
    """How many pieces of a listing with this stock one unpaid order may hold: a share of it, at least one."""
    return max(1, stock * current_app.config["UNPAID_ORDER_MAX_STOCK_PERCENT"] // 100)


def _check_lines(buyer, items, products):
    """Refuse a line of the buyer's own shop, and one holding too much of a listing while unpaid (the cart keeps
    every line within 1..MAX_QUANTITY; a line above the whole stock is left to reserve_stock, which says how many
    are left)."""
    for item in items:
        product = products[item.product_id]
        if product.shop.owner_id == buyer.id:
            raise NotAllowed(_("%(title)s dijual oleh toko Anda sendiri. Pemilik toko tidak dapat memesan dari "
                               "tokonya sendiri.", title=product.title), field=str(product.id))
        cap = unpaid_share_cap(product.stock)
        if cap < item.quantity <= product.stock:
            raise InvalidInput(_("Satu pesanan paling banyak memegang %(cap)d dari stok %(title)s selama belum "
                                 "dibayar. Kurangi jumlahnya; sisanya dapat dipesan setelah pesanan ini dibayar.",
                                 cap=cap, title=product.title), field=str(product.id))


def _check_payable(order, method):
    """Refuse an order whose total one payment by the method cannot carry."""
    most = payment_limits.max_payment_idr(method)
    if order.total_idr > most:
        raise InvalidInput(_("Total pesanan %(total)s melebihi batas satu pembayaran, %(most)s. Kurangi jumlah "
                             "barang atau bagi menjadi beberapa pesanan.", total=rupiah(order.total_idr),
                             most=rupiah(most)))


def place_order(buyer, address, fulfilment, now=None, method=payment_limits.DEFAULT_METHOD, before_reserving=None):
    """Turn the buyer's cart into a pending order with its stock reserved, in the caller's one transaction.

    The stock is reserved last, after everything else is written (the history line, the buyer's email rendered
    and inserted, every pending row flushed), so that the contended product rows stay locked (on PostgreSQL) only
    for the reservation's UPDATEs, one RELEASE and the commit; when a line is short, the savepoint undoes the
    order rows written before it, the email and the lines already taken. before_reserving(order), when given,
    adds the caller's rows to the new order at that point (the payment layer opens its payment attempt there,
    in the same transaction instead of a second one, and outside the locked window)."""
    now = now or utcnow()
    items, products = _cart_with_products(buyer)
    _check_lines(buyer, items, products)
    code = _check_unpaid_orders(buyer, now)
    shops = sorted({product.shop for product in products.values()}, key=lambda shop: shop.id)
    choices = _fulfilment_choices(shops, fulfilment)
    clean = validate_address(address, needs_delivery="delivery" in choices.values())
    savepoint = db.session.begin_nested()
    try:
        order = _new_order(buyer, clean, [(shop, choices[shop.id]) for shop in shops], items, products, now, code)
        _check_payable(order, method)
        _empty_cart(buyer, items)
        remember_address(buyer, clean)
        record_event(order.id, "pending", actor=buyer, actor_role="buyer", now=now)
        if method != CASH_ON_PICKUP:  # payments.cash tells both sides once the pickup deadline is set
            notify.order_event("placed", order)
        if before_reserving is not None:
            before_reserving(order)
        db.session.flush()
        reserve_stock([(item.product_id, item.quantity) for item in items], own_savepoint=False)
    except BaseException:
        savepoint.rollback()
        raise
    savepoint.commit()
    return order


def _new_order(buyer, address, shop_choices, items, products, now, code):
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
    order.code = code
    db.session.add(order)
    db.session.flush()
    return order


def _new_code(now):
    """A public order code like PD-2611-7Q4K: year, month, four random characters."""
    return f"PD-{now:%y%m}-{''.join(secrets.choice(CODE_ALPHABET) for _ in range(4))}"


def _free_code(now):
    """A public order code not taken yet."""
    for _attempt in range(10):
        code = _new_code(now)
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


def _states_leading_to(to_state):
    """The payment states ORDER_TRANSITIONS allows to move to to_state (the WHERE of a conditional UPDATE)."""
    return [state for state, targets in ORDER_TRANSITIONS.items() if to_state in targets]


def release_order(order, to_state, now=None, actor=None, actor_role="system"):
    """Cancel or expire a pending order and put its stock back; only the first caller wins (True).

    Sends order_released, so that the payment layer closes the order's open payment attempt."""
    assert to_state in ("cancelled", "expired")
    now = now or utcnow()
    before = db.session.scalar(select(Order.state).where(Order.id == order.id))
    claimed = db.session.execute(
        update(Order).where(Order.id == order.id, Order.state.in_(_states_leading_to(to_state)))
        .values(state=to_state, released_at=now), execution_options=_NO_SYNC).rowcount == 1
    if claimed:
        for product_id, quantity in _order_quantities(order.id):
            _give(product_id, quantity)
        _set_shop_orders(order.id, "cancelled")
        record_event(order.id, to_state, from_state=before, actor=actor, actor_role=actor_role, now=now)
        order_released.send(order, to_state=to_state, now=now)
    db.session.refresh(order)
    return claimed


def mark_processing(order):
    """Checkout finished with a payment that confirms later: keep the reservation and wait."""
    changed = db.session.execute(update(Order).where(Order.id == order.id,
                                                     Order.state.in_(_states_leading_to("processing")))
                                 .values(state="processing"), execution_options=_NO_SYNC).rowcount == 1
    if changed:
        record_event(order.id, "processing", from_state="pending", actor_role="payment")
    db.session.refresh(order)
    return changed


def settle_order(order, reference="", now=None, held="held:stripe", unique_code_idr=0):
    """Record a confirmed payment that arrived in the receiving account `held` (the order's total and the
    transfer's unique code): 'paid', 'already_paid', or 'released' (its goods went back and are gone).

    Only payments.settle calls this (tests aside): it checks the amount and owns the payment's state."""
    now = now or utcnow()
    before = db.session.scalar(select(Order.state).where(Order.id == order.id))
    paid = dict(state="paid", paid_at=now)
    if db.session.execute(update(Order).where(Order.id == order.id, Order.state.in_(RELEASABLE_STATES))
                          .values(**paid), execution_options=_NO_SYNC).rowcount == 1:
        _set_shop_orders(order.id, "paid")
    else:
        db.session.refresh(order)
        if order.state == "paid":
            return "already_paid"
        if not _retake(order, paid):
            return "released"
    record_event(order.id, "paid", from_state=before, actor_role="payment", note=reference or "", now=now)
    db.session.refresh(order)
    earnings.record_paid(order, held, unique_code_idr)
    notify.order_event("paid", order)
    return "paid"


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
    """Put the order in front of the admins, with the reason, and email them (written in this transaction)."""
    order.flagged_for_admin = True
    order.flag_reason = (f"{order.flag_reason}\n{reason}" if order.flag_reason else reason)[:2000]
    db.session.flush()
    admins = db.session.scalars(select(User).where(User.role == "admin").order_by(User.id)).all()
    notify.order_flagged(order, reason, admins)




def record_event(order_id, to_state, *, shop_order_id=None, from_state="", actor=None, actor_role="system",
                 note="", now=None):
    """Add one line to the order's history: who moved it (or which process), when, from what to what."""
    db.session.add(OrderEvent(order_id=order_id, shop_order_id=shop_order_id, from_state=from_state,
                              to_state=to_state, actor_id=actor.id if actor is not None else None,
                              actor_role=actor_role, note=str(note)[:500], created_at=now or utcnow()))


def _refusal(part, to_state):
    """Why a shop order cannot move to to_state, in words for the person who tried."""
    if part.state == "awaiting_payment":
        return _("Pesanan ini belum dibayar.")
    if part.state == "cancelled":
        return _("Pesanan ini sudah dibatalkan.")
    if part.state == "completed":
        return _("Pesanan ini sudah selesai.")
    if to_state == "shipped" and part.fulfilment == "pickup":
        return _("Pesanan ini diambil sendiri oleh pembeli, tidak dikirim.")
    if to_state == "ready_for_pickup" and part.fulfilment == "delivery":
        return _("Pesanan ini dikirim ke pembeli, bukan diambil sendiri.")
    if to_state in ("shipped", "ready_for_pickup") and part.state == "paid":
        return _("Terima pesanan ini dulu (diproses) sebelum mengirim atau menyiapkannya.")
    if to_state == "cancelled" and part.state == "shipped":
        return _("Pesanan yang sudah dikirim tidak dapat dibatalkan.")
    if to_state == "completed":
        return _("Pesanan ini belum dikirim atau belum siap diambil.")
    return _("Pesanan ini sudah diproses sebelumnya.")


def _move(part, to_state, actor, actor_role, note="", now=None, **values):
    """Move a shop order along SHOP_ORDER_TRANSITIONS with one conditional UPDATE, and record it.

    The UPDATE names the state the caller saw, so of two people pressing at once exactly one wins; the other
    gets InvalidState, as does anyone asking for a move the map does not allow."""
    db.session.refresh(part)  # payments move parts with bulk UPDATEs, which loaded objects do not see
    if not part.can_transition(to_state):
        raise InvalidState(_refusal(part, to_state))
    now = now or utcnow()
    moved = db.session.execute(update(ShopOrder).where(ShopOrder.id == part.id, ShopOrder.state == part.state)
                               .values(state=to_state, **values), execution_options=_NO_SYNC).rowcount == 1
    if not moved:
        db.session.refresh(part)
        raise InvalidState(_refusal(part, to_state))
    record_event(part.order_id, to_state, shop_order_id=part.id, from_state=part.state, actor=actor,
                 actor_role=actor_role, note=note, now=now)
    db.session.refresh(part)
    return part


def require_paid(part):
    """Refuse any step of the shop's on a part still awaiting payment: the unpaid order is released whole."""
    if part.state == "awaiting_payment":
        raise InvalidState(_refusal(part, "preparing"))


def producer_steps(part):
    """What the producer may do next with this part: 'accept', 'ship', 'ready', 'hand_over', 'cancel'."""
    if part.state == "awaiting_payment":
        return set()
    moves = {"accept": "preparing", "ship": "shipped", "ready": "ready_for_pickup", "cancel": "cancelled"}
    steps = {name for name, to_state in moves.items() if part.can_transition(to_state)}
    if part.fulfilment == "pickup" and part.can_transition("completed"):
        steps.add("hand_over")
    return steps


def accept_shop_order(part, producer, now=None):
    """The producer takes a paid order on: it is being prepared ('diproses')."""
    now = now or utcnow()
    return _move(part, "preparing", producer, "producer", now=now, accepted_at=now)


def ship_shop_order(part, producer, courier, tracking_number, now=None, courier_other=""):
    """The producer hands a prepared order to a courier (named, when not in the list); the buyer gets the courier
    and tracking number."""
    courier = str(courier or "").strip().lower()
    if courier not in COURIERS:
        raise InvalidInput(_("Pilih kurir dari daftar."), field="courier")
    courier_other = other_courier_name(courier, courier_other)
    tracking_number = " ".join(str(tracking_number or "").split()).upper()
    if not 4 <= len(tracking_number) <= 40 or not TRACKING_PATTERN.fullmatch(tracking_number):
        raise InvalidInput(_("Nomor resi 4 sampai 40 huruf, angka atau tanda hubung."), field="tracking_number")
    now = now or utcnow()
    _move(part, "shipped", producer, "producer", note=f"{courier} {tracking_number}", now=now,
          courier=courier, courier_other=courier_other, tracking_number=tracking_number, shipped_at=now)
    notify.order_event("shipped", part.order, part)
    return part


def mark_ready_for_pickup(part, producer, now=None):
    """The producer has the order packed for the buyer to collect."""
    now = now or utcnow()
    _move(part, "ready_for_pickup", producer, "producer", now=now, ready_at=now)
    notify.order_event("ready_for_pickup", part.order, part)
    return part


def confirm_receipt(part, buyer, now=None):
    """The buyer says the goods arrived (or were collected): the order is completed."""
    now = now or utcnow()
    return _move(part, "completed", buyer, "buyer", now=now, completed_at=now)


def hand_over(part, producer, now=None):
    """The producer hands a pickup order to the buyer in person (the buyer may have no signal to confirm)."""
    if part.fulfilment != "pickup":
        raise InvalidState(_("Hanya pesanan ambil sendiri yang diserahkan langsung oleh penjual."))
    now = now or utcnow()
    return _move(part, "completed", producer, "producer", note="handed_over", now=now, completed_at=now)


def complete_cash_pickup(part, producer, now=None):
    """The buyer paid the producer in cash and took the goods: the order is paid and its one part completed, by
    one conditional UPDATE of the order that only one caller wins (InvalidState for the others, or once the
    order was released: cancelled, or expired at its pickup deadline)."""
    db.session.refresh(part)
    order = part.order
    if part.fulfilment != "pickup" or len(order.shop_orders) != 1:
        raise InvalidState(_("Hanya pesanan ambil sendiri dari satu toko yang dibayar tunai saat diambil."))
    now = now or utcnow()
    before = db.session.scalar(select(Order.state).where(Order.id == order.id))
    claimed = db.session.execute(update(Order).where(Order.id == order.id, Order.state == "pending")
                                 .values(state="paid", paid_at=now), execution_options=_NO_SYNC).rowcount == 1
    if not claimed:
        db.session.refresh(order)
        raise InvalidState(_("Pesanan ini sudah dibayar, dibatalkan, atau lewat batas waktu pengambilan."))
    db.session.execute(update(ShopOrder).where(ShopOrder.id == part.id, ShopOrder.state == "awaiting_payment")
                       .values(state="completed", completed_at=now), execution_options=_NO_SYNC)
    # A payment recorded by the producer: earnings.py tells cash sales (no money held by the platform) by it.
    record_event(order.id, "paid", from_state=before, actor=producer, actor_role="producer", now=now)
    record_event(order.id, "completed", shop_order_id=part.id, from_state="awaiting_payment", actor=producer,
                 actor_role="producer", now=now)
    db.session.refresh(order)
    db.session.refresh(part)
    return part


def cancel_shop_order(part, actor, actor_role, reason, now=None):
    """Cancel a shop's part before it ships: its stock goes back (once, with the state change that only one
    caller can win) and, when the order was paid, that part is owed back to the buyer (refunded after commit)."""
    reason = " ".join(str(reason or "").split())
    if not 3 <= len(reason) <= 500:
        raise InvalidInput(_("Tuliskan alasan pembatalan (3 sampai 500 huruf)."), field="reason")
    db.session.refresh(part)
    require_paid(part)
    paid = part.order.paid_at is not None
    now = now or utcnow()
    _move(part, "cancelled", actor, actor_role, note=reason, now=now, cancel_reason=reason, cancelled_at=now,
          refund_amount_idr=part.total_idr if paid else 0)
    for item in sorted(part.items, key=lambda line: line.product_id):
        _give(item.product_id, item.quantity)
    if paid:
        earnings.record_cancelled(part)
    notify.order_event("cancelled", part.order, part)
    return part


def auto_complete(days=AUTO_COMPLETE_DAYS, now=None, limit=500):
    """Complete orders shipped more than `days` ago that the buyer never confirmed; returns how many.

    Each is its own conditional UPDATE, so a buyer confirming at the same moment, or a second cron run, is fine."""
    now = now or utcnow()
    completed = 0
    for part_id in queries.shipped_before(now - timedelta(days=days), limit=limit):
        part = db.session.get(ShopOrder, part_id)
        try:
            _move(part, "completed", None, "system", note="auto_complete", now=now, completed_at=now)
        except InvalidState:
            continue  # confirmed by the buyer meanwhile
        completed += 1
    return completed
