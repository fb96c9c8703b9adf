"""Two copies of one queued draft arriving at the same moment (a phone retrying while its first attempt is still
being saved) make one listing, on a committed database (SQLite, or PostgreSQL when TEST_DATABASE_URL is set)."""
import uuid

import pytest
from sqlalchemy import func, select

from marketplace.accounts.models import User
from marketplace.catalogue import drafts
from marketplace.catalogue.models import Product
from marketplace.catalogue.service import ProductDetails
from marketplace.extensions import db
from marketplace.shops.models import Shop
from tests.orders.helpers import committed_market, in_parallel

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def market(server_database, tmp_path_factory):
    market = committed_market(server_database, tmp_path_factory, pool_size=8)
    yield market
    market.close()


def test_the_same_draft_sent_four_times_at_once_makes_one_listing(market):
    product_id = market.make_product(stock=5)
    shop_id, owner_id, category_id = market.run(lambda: (lambda p: (p.shop_id, p.shop.owner_id, p.category_id))(
        db.session.get(Product, product_id)))
    key = uuid.uuid4().hex
    details = ProductDetails(title="Madu kelulut sekali saja", description="", category_id=category_id,
                             price_idr=50000, stock=3)

    def send():
        with market.app.app_context():
            try:
                product, _created = drafts.create_listing_once(
                    db.session.get(Shop, shop_id), db.session.get(User, owner_id), key, details, [])
                db.session.commit()
                return product.id
            finally:
                db.session.remove()

    ids = in_parallel([send] * 4)
    assert len(set(ids)) == 1
    count = market.run(lambda: db.session.scalar(select(func.count()).select_from(Product)
                                                 .where(Product.shop_id == shop_id)))
    assert count == 2  # the listing made for the test, and the draft's one
