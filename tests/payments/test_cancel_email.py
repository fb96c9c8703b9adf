"""The cancellation email tells each buyer how their money comes back: a card buyer to the card, a bank transfer
or QRIS buyer by a transfer to the account they give on the order page."""
import pytest

from marketplace.extensions import db
from marketplace.orders import service as orders
from marketplace.payments import transfer
from marketplace.payments.settle import settle
from tests.payments.transfer_helpers import messages, methods_on


@pytest.mark.parametrize("method", ["bank_transfer", "qris"])
def test_a_transfer_buyer_is_asked_for_a_bank_account_not_told_of_a_card_refund(app, place, make_user,
                                                                                  make_product, method):
    methods_on()
    order = place(make_user(), (make_product(stock=3, price_idr=100000), 1), (make_product(price_idr=40000), 2))
    payment = transfer.start_transfer(order, method)
    assert settle(payment, payment.amount_idr, "mutasi") == "paid"
    part = order.shop_orders[0]
    orders.cancel_shop_order(part, part.shop.owner, "producer", "Stok rusak kena banjir")
    db.session.commit()
    [email] = messages("buyer_cancelled", order.buyer)
    assert "rekening tujuan pengembalian di halaman pesanan" in email.body
    assert "metode pembayaran Anda" not in email.body and "5 sampai 10 hari" not in email.body
    assert f"/orders/{order.code}" in email.body


def test_a_card_buyer_is_told_the_money_goes_back_to_the_card(app, client, checkout):
    from tests.orders.helpers import event, post_event

    order, session = checkout()
    paid = {**session, "status": "complete", "payment_status": "paid", "payment_intent": "pi_cancel_1"}
    assert post_event(client, event("checkout.session.completed", paid)).json["outcome"] == "paid"
    db.session.refresh(order)
    part = order.shop_orders[0]
    orders.cancel_shop_order(part, part.shop.owner, "producer", "Stok rusak kena banjir")
    db.session.commit()
    [email] = messages("buyer_cancelled", order.buyer)
    assert "metode pembayaran Anda" in email.body and "rekening tujuan" not in email.body
