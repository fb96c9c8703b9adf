"""The delivery method and the shipped state read differently, in Indonesian and in English."""
import re

import pytest

from marketplace.extensions import db
from marketplace.orders import service


def visible_text(html):
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


@pytest.mark.parametrize("lang, method, state", [("id", "Antar ke alamat (Rp10.000)", "Dikirim"),
                                                 ("en", "Delivery to the address (Rp10.000)", "Shipped")])
def test_method_and_shipped_state_use_different_words(client, auth, make_order, lang, method, state):
    order = make_order()
    part = order.shop_orders[0]
    auth.login(order.buyer.email)
    before = visible_text(client.get(f"/orders/{order.code}?lang={lang}").get_data(as_text=True))
    assert method in before and f" {state} " not in before
    service.accept_shop_order(part, part.shop.owner)
    service.ship_shop_order(part, part.shop.owner, "jne", "JP123456")
    db.session.commit()
    after = visible_text(client.get(f"/orders/{order.code}?lang={lang}").get_data(as_text=True))
    assert method in after and f" {state} " in after


def test_receipt_is_confirmed_in_two_steps_and_the_admin_menu_says_shops(client, auth, make_order, make_user):
    order = make_order()
    part = order.shop_orders[0]
    service.accept_shop_order(part, part.shop.owner)
    service.ship_shop_order(part, part.shop.owner, "jne", "JP123456")
    db.session.commit()
    auth.login(order.buyer.email)
    page = client.get(f"/orders/{order.code}").get_data(as_text=True)
    confirm = page[page.index('<details class="confirm">'):page.index("</details>", page.index('<details class="confirm">'))]
    assert '<summary class="button">Pesanan sudah diterima</summary>' in confirm
    assert ">Ya, barang sudah saya terima</button>" in confirm
    auth.logout()
    auth.login(make_user("admin").email)
    assert ">Shops</a>" in client.get("/admin?lang=en").get_data(as_text=True)
