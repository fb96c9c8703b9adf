"""Choosing how to pay at checkout, without JavaScript, and the bank-transfer instructions on the order page."""
import pytest
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.orders.models import Order
from marketplace.payments import transfer
from marketplace.payments.models import Payment, ReceivingAccount
from marketplace.payments.settle import latest_attempt
from tests.orders.test_views import _add, _checkout, _token


@pytest.fixture
def transfers_on(app):
    db.session.add(ReceivingAccount(bank="BRI", account_number="0123 4567 8901", holder_name="PT Pasar Desa"))
    transfer.set_method_enabled("bank_transfer", True)
    db.session.commit()


def _order_of(buyer):
    return db.session.scalar(select(Order).where(Order.buyer_id == buyer.id))


def test_checkout_offers_only_the_methods_switched_on(client, shopper, make_product, transfers_on):
    _add(client, make_product().id)
    page = client.get("/checkout").get_data(as_text=True)
    assert 'value="bank_transfer"' in page and 'value="stripe"' in page and 'value="qris"' not in page
    transfer.set_method_enabled("bank_transfer", False)
    db.session.commit()
    page = client.get("/checkout").get_data(as_text=True)
    assert 'value="bank_transfer"' not in page and 'type="hidden" name="payment_method" value="stripe"' in page


def test_bank_transfer_checkout_shows_the_exact_amount_accounts_and_deadline(client, shopper, make_product,
                                                                             transfers_on):
    _add(client, make_product(price_idr=150000).id)
    response = _checkout(client, payment_method="bank_transfer")
    order = _order_of(shopper)
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/orders/{order.code}")
    payment = latest_attempt(order)
    assert (payment.method, payment.state) == ("bank_transfer", "pending")
    page = client.get(f"/orders/{order.code}").get_data(as_text=True)
    amount = f"{payment.amount_idr:,}".replace(",", ".")
    assert amount in page and "0123 4567 8901" in page and "PT Pasar Desa" in page
    assert "WITA" in page and 'http-equiv="refresh"' not in page  # a day to pay: no page reloading every 5 s
    again = client.post(f"/orders/{order.code}/pay", data={"csrf_token": _token(client)})
    assert again.headers["Location"].endswith(f"/orders/{order.code}") and latest_attempt(order).id == payment.id


@pytest.mark.parametrize("method", ["qris", "cash_on_pickup", "bitcoin", "x" * 500])
def test_a_method_not_offered_is_refused_and_nothing_is_placed(client, shopper, make_product, transfers_on, method):
    _add(client, make_product().id)
    response = _checkout(client, payment_method=method)
    assert response.status_code == 422 and "Pilih cara pembayaran" in response.get_data(as_text=True)
    assert _order_of(shopper) is None and db.session.scalar(select(Payment.id)) is None


def test_cancelling_a_transfer_closes_it_and_gives_the_stock_back(client, shopper, make_product, transfers_on):
    product = make_product(stock=4)
    _add(client, product.id, "2")
    _checkout(client, payment_method="bank_transfer")
    order = _order_of(shopper)
    client.post(f"/orders/{order.code}/cancel", data={"csrf_token": _token(client)})
    db.session.refresh(product)
    assert (latest_attempt(order).state, product.stock) == ("failed", 4)
