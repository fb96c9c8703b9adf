"""Cash at pickup: the buyer pays the producer in person when collecting the goods.

The order is placed at once and its goods wait for the buyer until the pickup deadline (CASH_PICKUP_DAYS). The
producer marks it "dibayar tunai dan diambil", which pays the order and completes the shop's part in one step;
the money never passes through the platform, so the ledger records only the platform's fee, owed by the shop
(payouts take it back, marketplace/ledger/payouts.py). A buyer who does not come: the order expires at the
deadline (`flask orders expire`), or the producer cancels it; either way the stock goes back once.

One cash order is one shop's pickup part: the buyer hands one amount to one person at one place before one
deadline. An order of two shops would be two handovers that can each happen or not, which one payment attempt
and one order-wide release cannot express; such a cart is paid another way (or ordered per shop).
"""
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import and_, exists, func, or_, select, update

from ..errors import InvalidInput, InvalidState
from ..extensions import db
from ..ledger import rules as ledger
from ..ledger.models import JournalEntry, JournalLine, LedgerAccount
from ..links import site_url_for
from ..models_base import utcnow
from ..notifications import service as notify
from ..orders import service as orders
from ..orders.models import Order, ShopOrder
from ..shops.models import Shop
from . import transfer
from .models import Payment
from .settle import latest_attempt, lock_order, open_attempt, start_attempt

CASH = "cash_on_pickup"
_NO_SYNC = {"synchronize_session": False}


def methods_for(groups):
    """[CASH] when checkout may offer cash for this cart (its shops, as cart groups), else []: the platform offers
    it and the cart is one shop that lets buyers pick up and accepts cash. The buyer still has to choose pickup."""
    shops = [group.shop for group in groups]
    if len(shops) == 1 and shops[0].pickup_allowed and shops[0].cash_on_pickup and transfer.method_enabled(CASH):
        return [CASH]
    return []


def shops_accepting():
    """How many active shops accept cash at pickup (shown beside the admin's switch)."""
    return db.session.scalar(select(func.count(Shop.id)).where(Shop.cash_on_pickup.is_(True),
                                                               Shop.pickup_allowed.is_(True),
                                                               Shop.status == "active"))


def _check_payable_in_cash(order):
    """Refuse an order that cash at pickup cannot carry, naming the reason."""
    if not transfer.method_enabled(CASH):
        raise InvalidState(_("Bayar tunai saat diambil sedang tidak tersedia. Pilih cara pembayaran lain."))
    if len(order.shop_orders) != 1:
        raise InvalidInput(_("Bayar tunai hanya untuk pesanan dari satu toko. Pilih cara pembayaran lain, atau "
                             "pesan dari tiap toko secara terpisah."))
    part = order.shop_orders[0]
    if part.fulfilment != "pickup":
        raise InvalidInput(_("Bayar tunai hanya untuk pesanan yang diambil sendiri. Pilih ambil sendiri di "
                             "%(shop)s, atau cara pembayaran lain.", shop=part.shop.name),
                           field=f"fulfilment-{part.shop_id}")
    if not (part.shop.pickup_allowed and part.shop.cash_on_pickup):
        raise InvalidInput(_("%(shop)s tidak menerima bayar tunai. Pilih cara pembayaran lain.",
                             shop=part.shop.name))
    return part


def start_cash(order, now=None, new_order=False):
    """Open the order's cash attempt in the checkout's transaction: the goods wait for the buyer until the pickup
    deadline, and the buyer (what to bring, where, by when) and the producer (a new order) are told. new_order:
    placed in this transaction (see settle.start_attempt)."""
    part = _check_payable_in_cash(order)
    now = now or utcnow()
    deadline = now + timedelta(days=current_app.config["CASH_PICKUP_DAYS"])
    payment = start_attempt(order, CASH, deadline, now=now, new_order=new_order)
    order.expires_at = payment.expires_at = deadline
    db.session.flush()
    _tell("cash_placed", order, part)
    return payment


def _open_cash(part):
    """Lock the part's order, then its open cash attempt; InvalidState when it waits for no cash any more."""
    lock_order(part.order_id)
    db.session.refresh(part.order)
    payment = open_attempt(part.order)
    if payment is None or payment.method != CASH:
        raise InvalidState(_("Pesanan ini tidak menunggu bayar tunai (sudah dibayar, dibatalkan, atau lewat batas "
                             "waktu pengambilan)."))
    return payment


def mark_collected(part, producer, now=None):
    """'Dibayar tunai dan diambil': the order is paid, the part completed and the shop owes the platform its fee,
    once; the pickup deadline passing (expiry) or a cancellation first makes this InvalidState."""
    now = now or utcnow()
    payment = _open_cash(part)
    orders.complete_cash_pickup(part, producer, now)
    claimed = db.session.execute(update(Payment).where(Payment.id == payment.id, Payment.state == "pending")
                                 .values(state="paid", paid_at=now, received_idr=payment.amount_idr),
                                 execution_options=_NO_SYNC).rowcount == 1
    if not claimed:  # the order's lock is held: nothing else closes the attempt meanwhile
        raise InvalidState(_("Pembayaran ini sudah ditutup."))
    db.session.refresh(payment)
    if part.platform_fee_idr > 0:
        ledger.record_cash_commission(f"shop-order-{part.id}", part.shop_id, part.platform_fee_idr,
                                      shop_order_id=part.id, order_id=part.order_id)
    return payment


def cancel_pickup(part, producer, reason, now=None):
    """The producer cancels a cash order before it is collected (the buyer did not come): the stock goes back
    once, and both sides are told with the reason."""
    reason = " ".join(str(reason or "").split())
    if not 3 <= len(reason) <= 500:
        raise InvalidInput(_("Tuliskan alasan pembatalan (3 sampai 500 huruf)."), field="reason")
    now = now or utcnow()
    _open_cash(part)
    part.cancel_reason, part.cancelled_at = reason, now   # read by the messages the release writes
    db.session.flush()
    if not orders.release_order(part.order, "cancelled", now, actor=producer, actor_role="producer"):
        raise InvalidState(_("Pesanan ini sudah dibayar, dibatalkan, atau lewat batas waktu pengambilan."))
    return part


def _on_order_released(order, to_state, now, **_extra):
    """A cash order released (the buyer cancelled, the producer cancelled, or the pickup deadline passed): both
    sides hear of it, since the producer may have set the goods aside."""
    payment = latest_attempt(order)
    if payment is None or payment.method != CASH:
        return
    db.session.refresh(order)
    for part in order.shop_orders:
        db.session.execute(update(ShopOrder).where(ShopOrder.id == part.id, ShopOrder.cancelled_at.is_(None))
                           .values(cancelled_at=now), execution_options=_NO_SYNC)
        db.session.refresh(part)
        _tell("cash_released", order, part)


def connect_signals():
    """Tell both sides whenever a cash order is released, whoever released it."""
    orders.order_released.connect(_on_order_released)


def _tell(kind, order, part):
    """Write the buyer's and the producer's message about a cash order once each (sent after the commit)."""
    buyer_url = site_url_for("orders.order_page", code=order.code)
    producer_url = site_url_for("shops.shop_order", shop_order_id=part.id)
    for audience, recipient, url in (("buyer", order.buyer, buyer_url), ("producer", part.shop.owner, producer_url)):
        notify.write(f"{kind}:{audience}:{order.id}:{part.id}:{recipient.id}", f"{audience}_{kind}", recipient,
                     order=order, part=part, shop=part.shop, order_url=url)


def awaiting_pickup(shop_id, limit=100):
    """The shop's cash orders waiting for their buyers, soonest deadline first (the producer's list)."""
    return db.session.scalars(select(ShopOrder).join(Order, Order.id == ShopOrder.order_id)
                              .join(Payment, and_(Payment.order_id == Order.id, Payment.state == "pending",
                                                  Payment.method == CASH))
                              .where(ShopOrder.shop_id == shop_id, ShopOrder.state == "awaiting_payment")
                              .order_by(Order.expires_at, ShopOrder.id).limit(limit)).all()


def problems(_sender=None):
    """Where cash sales and the ledger disagree: a collected cash part must have exactly its commission entry
    (the fee, owed by its shop) and no payment, cancellation or release entry (the platform never held the
    money), and a commission entry must belong to a collected cash part."""
    paid_orders = select(Payment.order_id).where(Payment.method == CASH, Payment.state == "paid")
    parts = db.session.execute(select(ShopOrder.id, ShopOrder.shop_id, ShopOrder.state, ShopOrder.platform_fee_idr)
                               .where(ShopOrder.order_id.in_(paid_orders)).order_by(ShopOrder.id)).all()
    owed = {}
    for part_id, code, amount in db.session.execute(
            select(JournalEntry.shop_order_id, LedgerAccount.code, JournalLine.amount_idr)
            .join(JournalLine, JournalLine.entry_id == JournalEntry.id)
            .join(LedgerAccount, LedgerAccount.id == JournalLine.account_id)
            .where(JournalEntry.kind == "cash_commission", LedgerAccount.kind == "shop_commission_owed")
            .order_by(JournalLine.id)):
        owed.setdefault(part_id, []).append((code, int(amount)))
    held = set(db.session.scalars(select(ShopOrder.id).where(ShopOrder.order_id.in_(paid_orders), exists().where(
        or_(and_(JournalEntry.kind.in_(("payment_settled", "shop_order_cancelled")),
                 JournalEntry.order_id == ShopOrder.order_id),
            and_(JournalEntry.kind == "earnings_released", JournalEntry.shop_order_id == ShopOrder.id))))))
    found = []
    for part_id, shop_id, state, fee in parts:
        expected = [(f"shop:{shop_id}:commission_owed", fee)] if fee > 0 else []
        if state != "completed":
            found.append(f"shop order {part_id}: paid in cash, but {state}")
        if owed.get(part_id, []) != expected:
            found.append(f"shop order {part_id}: paid in cash, commission entries {owed.get(part_id, [])}, "
                         f"expected {expected}")
        if part_id in held:
            found.append(f"shop order {part_id}: paid in cash, but has entries of money the platform held")
    # As for the other entries of orders, only those naming an order are held against the orders.
    strays = db.session.scalars(select(JournalEntry.reference).where(
        JournalEntry.kind == "cash_commission", JournalEntry.order_id.is_not(None),
        JournalEntry.order_id.not_in(paid_orders)))
    found += [f"cash commission {reference}: no collected cash order" for reference in strays]
    return found
