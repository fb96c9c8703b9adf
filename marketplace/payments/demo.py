"""Demo orders in every state of fulfilment, paid by every method, through the same service functions a buyer,
a producer, an admin and Stripe's webhook use: cards at the Stripe stand-in, a bank transfer settled by a
statement import, one transfer still awaited (its proof of transfer uploaded), QRIS received, cash at pickup
collected and one waiting for the buyer. The statement that pays the awaited transfer is written beside the
database (instance/demo-mutasi.csv), for `flask payments import-statement` to settle it."""
import io
import json
import os
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select

from ..accounts.service import find_user_by_email
from ..catalogue.models import Product
from ..extensions import db
from ..orders import cart, earnings, service
from ..models_base import utcnow
from ..orders.address import remembered_address
from ..shops.models import Shop
from . import cash, proofs, qris, standin, statement, transfer, webhooks
from . import service as payments
from .settle import latest_attempt

# (buyer email, product title, quantity, fulfilment, state to reach)
SCENES = [
    ("rina@pasardesa.test", "Madu Kelulut Asli 250 ml", 2, "delivery", "paid"),
    ("budi@pasardesa.test", "Madu Kelulut 500 ml", 1, "delivery", "preparing"),
    ("sari@pasardesa.test", "Madu Kelulut Asli 250 ml", 1, "pickup", "ready_for_pickup"),
    ("rina@pasardesa.test", "Amplang Ikan Pipih Original", 3, "delivery", "shipped"),
    ("budi@pasardesa.test", "Madu Kelulut Asli 250 ml", 3, "delivery", "completed"),
    ("sari@pasardesa.test", "Gula Aren Cetak", 2, "delivery", "cancelled"),
]
# (buyer email, product title, quantity, method, what happens to the payment); pickup for cash at pickup.
METHOD_SCENES = [
    ("rina@pasardesa.test", "Kopi Liberika Bubuk", 2, "bank_transfer", "imported"),
    ("budi@pasardesa.test", "Biji Kopi Liberika Sangrai", 1, "bank_transfer", "proof"),
    ("sari@pasardesa.test", "Gula Aren Cetak", 3, "qris", "received"),
    ("rina@pasardesa.test", "Gula Semut Aren", 2, "cash_on_pickup", "collected"),
    ("budi@pasardesa.test", "Gula Semut Aren", 1, "cash_on_pickup", "waiting"),
]
ACCOUNT = ("BRI", "0021 0100 8765 301", "PT PASAR DESA KUKAR")
STATEMENT_FILE = "demo-mutasi.csv"
STATEMENT_HEADER = "tanggal,keterangan,jumlah,jenis\n"


def demo_qris_payload():
    """The demo's own static QRIS (merchant PASAR DESA KUKAR, Tenggarong), built and checked by the
    project's own QRIS code: every app reads it, but its merchant numbers are made up, so no money can reach it."""
    tags = [("00", "01"), ("01", "11"),
            ("26", _tlv(("00", "ID.CO.PASARDESA"), ("01", "936000000000000001"), ("02", "PD0000000000001"),
                        ("03", "UMI"))),
            ("51", _tlv(("00", "ID.CO.QRIS.WWW"), ("02", "ID0000000000001"), ("03", "UMI"))),
            ("52", "5411"), ("53", "360"), ("58", "ID"), ("59", "PASAR DESA KUKAR"), ("60", "TENGGARONG"),
            ("61", "75511")]
    body = _tlv(*tags) + "6304"
    payload = body + f"{qris.crc16(body):04X}"
    qris.validate_static(payload)
    return payload


def _tlv(*pairs):
    return "".join(f"{tag}{len(value):02d}{value}" for tag, value in pairs)


def seed():
    """Place the demo orders when payments go to the stand-in (never against a real Stripe account)."""
    if not standin.is_active(current_app):
        return 0
    account = _methods_on()
    for email, title, quantity, fulfilment, state in SCENES:
        buyer = find_user_by_email(email)
        product = db.session.scalar(select(Product).where(Product.title == title))
        order = _paid_order(buyer, product, quantity, fulfilment)
        _advance(order.shop_orders[0], state)
    _paid_by_every_method(account)
    earnings.release_due(hold_days=0)   # the completed order's earnings can be paid out at once in the demo
    return len(SCENES) + len(METHOD_SCENES)


def _methods_on():
    """A receiving account, the platform's QRIS, and transfer, QRIS and cash at pickup offered at checkout."""
    bank, number, holder = ACCOUNT
    account = transfer.add_account(bank, number, holder)
    transfer.set_qris_payload(demo_qris_payload())
    for method in ("bank_transfer", "qris", "cash_on_pickup"):
        transfer.set_method_enabled(method, True)
    for shop in db.session.scalars(select(Shop).where(Shop.pickup_allowed.is_(True))):
        shop.cash_on_pickup = True
    db.session.flush()
    return account


def _paid_by_every_method(account):
    """The method scenes, in order; the awaited transfer's statement is left in the instance folder."""
    admin = find_user_by_email("admin@pasardesa.test")
    for email, title, quantity, method, outcome in METHOD_SCENES:
        buyer = find_user_by_email(email)
        product = db.session.scalar(select(Product).where(Product.title == title))
        pickup = method == cash.CASH
        basket = cart.AccountCart(buyer)
        basket.clear()
        cart.add_to_cart(basket, str(product.id), str(quantity))
        order = service.place_order(buyer, remembered_address(buyer), {product.shop_id: "pickup" if pickup
                                                                       else "delivery"}, method=method)
        if pickup:
            cash.start_cash(order)
            if outcome == "collected":
                cash.mark_collected(order.shop_orders[0], product.shop.owner)
            continue
        payment = transfer.start_transfer(order, method)
        if outcome == "imported":
            statement.import_statement(account.id, statement_csv(payment, "TRF DARI RINA WULANDARI"))
        elif outcome == "received":
            transfer.confirm_received(payment.id, "QRIS 0412 8891", admin=admin)
        else:
            proofs.add_proof(payment, buyer, receipt_photo(payment.amount_idr))
            _write_statement(statement_csv(payment, f"TRF DARI {buyer.name.upper()}"))


def statement_csv(payment, description):
    """One day of the demo account's statement (the generic layout), with the credit that pays this payment."""
    today = utcnow().astimezone(ZoneInfo(current_app.config["DISPLAY_TIMEZONE"])).date()
    return (STATEMENT_HEADER + f"{today.isoformat()},BIAYA ADM,6500,DB\n"
            f"{today.isoformat()},{description},{payment.amount_idr},CR\n").encode()


def _write_statement(raw):
    os.makedirs(current_app.instance_path, exist_ok=True)
    with open(statement_path(), "wb") as target:
        target.write(raw)


def statement_path():
    """Where seed-demo leaves the statement that settles the awaited demo transfer."""
    return os.path.join(current_app.instance_path, STATEMENT_FILE)


def receipt_photo(amount_idr):
    """A small JPEG like a phone's photo of a transfer receipt, the amount written on it."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (360, 480), (250, 250, 246))
    draw = ImageDraw.Draw(image)
    draw.rectangle((20, 20, 340, 80), fill=(0, 82, 155))
    for row, text in enumerate(("BUKTI TRANSFER", "BRI 0021 0100 8765 301", "PT PASAR DESA KUKAR",
                                f"Rp {amount_idr:,}".replace(",", "."), "BERHASIL")):
        draw.text((30, 110 + 50 * row), text, fill=(20, 20, 20))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


def _paid_order(buyer, product, quantity, fulfilment):
    basket = cart.AccountCart(buyer)
    basket.clear()
    cart.add_to_cart(basket, str(product.id), str(quantity))
    order = service.place_order(buyer, remembered_address(buyer), {product.shop_id: fulfilment})
    site = current_app.config["SITE_URL"]
    with current_app.test_request_context(base_url=site):
        request = payments.checkout_request(order, f"{site}/orders/{order.code}", f"{site}/orders/{order.code}")
        payments.remember_session(order.id, payments.open_checkout(request))
        session = db.session.get(standin.StandinCheckoutSession, latest_attempt(order).stripe_session_id)
        for event in standin.finish_session(session, paid=True):
            payload = json.dumps(event).encode()
            webhooks.handle(payload, standin.sign(payload, standin.webhook_secret()))
    db.session.refresh(order)
    return order


def _advance(part, state):
    producer, buyer = part.shop.owner, part.order.buyer
    if state == "cancelled":
        service.cancel_shop_order(part, producer, "producer", "Gula aren habis; panen berikutnya dua minggu lagi.")
        payments.make_shop_refund(*payments.shop_refund_due(part))
        return
    if state == "paid":
        return
    service.accept_shop_order(part, producer)
    if state == "ready_for_pickup":
        service.mark_ready_for_pickup(part, producer)
    elif state in ("shipped", "completed"):
        service.ship_shop_order(part, producer, "jne", "JP7788123456")
    if state == "completed":
        service.confirm_receipt(part, buyer)
