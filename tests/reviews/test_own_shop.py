"""A shop's owner cannot review their own goods: orders from one's own shop are refused at checkout, and an
order placed before that rule (the shop later passed to its buyer) still cannot be turned into a review."""
import re

import pytest
from sqlalchemy import func, select, update

from marketplace.errors import NotAllowed
from marketplace.extensions import db
from marketplace.reviews import service
from marketplace.reviews.models import Review
from marketplace.shops.models import Shop


def _owned_by_its_buyer(item):
    """The shop of the item now belongs to the buyer (data as an order placed before the checkout rule left it)."""
    buyer = item.shop_order.order.buyer
    buyer.role = "producer"
    db.session.execute(update(Shop).where(Shop.id == item.shop_order.shop_id).values(owner_id=buyer.id))
    db.session.commit()
    db.session.expire_all()
    return buyer


def test_an_owner_cannot_review_their_own_shops_goods(completed_item):
    item = completed_item()
    owner = _owned_by_its_buyer(item)
    with pytest.raises(NotAllowed, match="tokonya sendiri"):
        service.write_review(owner, item, 5, "Produk terbaik!")
    assert db.session.scalar(select(func.count(Review.id))) == 0


def test_the_order_page_offers_no_review_of_ones_own_goods(completed_item):
    item = completed_item()
    owner = _owned_by_its_buyer(item)
    assert service.reviewable_items(owner, item.shop_order.order) == []


def test_the_review_form_refuses_an_owner(completed_item, login):
    item = completed_item()
    owner = _owned_by_its_buyer(item)
    client = login(owner)
    path = f"/orders/{item.shop_order.order.code}/items/{item.id}/review"
    assert path not in client.get(f"/orders/{item.shop_order.order.code}").get_data(as_text=True)
    page = client.get(path)
    assert page.status_code == 403 and "tokonya sendiri" in page.get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.get_data(as_text=True)).group(1)
    posted = client.post(path, data={"csrf_token": token, "rating": "5", "body": "Mantap"})
    assert posted.status_code == 403 and "tokonya sendiri" in posted.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Review.id))) == 0
