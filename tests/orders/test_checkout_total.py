"""Before paying, the buyer sees the total with shipping; the product page says what shipping costs."""
import re

from marketplace.extensions import db
from marketplace.orders import cart


def visible_text(html):
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_checkout_shows_goods_shipping_and_total_before_paying(client, auth, make_user, make_product, make_shop):
    buyer = make_user("buyer")
    honey = make_product(shop=make_shop(shipping_fee_idr=15000), price_idr=125000)
    sugar = make_product(shop=make_shop(shipping_fee_idr=12000), price_idr=30000)
    basket = cart.AccountCart(buyer)
    cart.add_to_cart(basket, str(honey.id), "2")
    cart.add_to_cart(basket, str(sugar.id), "1")
    db.session.commit()
    auth.login(buyer.email)
    text = visible_text(client.get("/checkout").get_data(as_text=True))
    assert "Barang Rp280.000 Ongkos kirim Rp27.000 Total Rp307.000" in text


def test_the_product_page_states_the_shipping_fee(client, make_product, make_shop):
    product = make_product(shop=make_shop(shipping_fee_idr=15000))
    text = visible_text(client.get(f"/toko/{product.shop.slug}/{product.slug}").get_data(as_text=True))
    assert "Ongkos kirim Rp15.000 per pesanan" in text


def test_changing_a_quantity_says_so_and_returns_to_the_line(client, make_product):
    from tests.conftest import csrf_token

    product = make_product(stock=10)
    token = csrf_token(client, f"/toko/{product.shop.slug}/{product.slug}")
    browser = {"Sec-Fetch-Site": "same-origin"}       # a public page starts no session; the browser vouches
    client.post("/cart/add", data={"product_id": product.id, "quantity": "1", "csrf_token": token}, headers=browser)
    response = client.post(f"/cart/{product.id}/quantity", data={"quantity": "3", "csrf_token": token},
                           headers=browser)
    assert response.status_code == 302 and response.headers["Location"] == f"/cart#line-{product.id}"
    assert "Jumlah sudah diubah." in client.get("/cart").get_data(as_text=True)
