"""Demo orders in every state of fulfilment, placed, paid at the Stripe stand-in and moved on through the same
service functions a buyer, a producer and Stripe's webhook use."""
import json

from flask import current_app
from sqlalchemy import select

from ..accounts.service import find_user_by_email
from ..catalogue.models import Product
from ..extensions import db
from ..orders import cart, earnings, service
from ..orders.address import Address
from . import service as payments
from . import standin, webhooks
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


def seed():
    """Place the demo orders when payments go to the stand-in (never against a real Stripe account)."""
    if not standin.is_active(current_app):
        return 0
    for email, title, quantity, fulfilment, state in SCENES:
        buyer = find_user_by_email(email)
        product = db.session.scalar(select(Product).where(Product.title == title))
        order = _paid_order(buyer, product, quantity, fulfilment)
        _advance(order.shop_orders[0], state)
    earnings.release_due(hold_days=0)   # the completed order's earnings can be paid out at once in the demo
    return len(SCENES)


def _paid_order(buyer, product, quantity, fulfilment):
    basket = cart.AccountCart(buyer)
    basket.clear()
    cart.add_to_cart(basket, str(product.id), str(quantity))
    order = service.place_order(buyer, _address(buyer), {product.shop_id: fulfilment})
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


def _address(buyer):
    from .. import regions

    village = regions.children("64.02.06")[0][0]
    return Address(recipient_name=buyer.name, phone="0812 7700 1234", street="Jl. Poros Tenggarong No. 7",
                   province_code="64", regency_code="64.02", district_code="64.02.06", village_code=village,
                   postal_code="75572", note="")


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
