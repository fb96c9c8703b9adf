"""flask seed-demo: a believable marketplace, in one place, only into an empty database."""
import pytest
from sqlalchemy import func, select

from marketplace.accounts.models import User
from marketplace.catalogue import service as catalogue
from marketplace.catalogue.models import Product, ProductImage
from marketplace.extensions import db
from marketplace.media.service import variant_key
from marketplace.media.storage import get_storage
from marketplace.orders.models import ShopOrder
from marketplace.shops.models import Shop


@pytest.fixture
def empty(app):
    """The suite's database holds only categories; seed-demo wants no users at all."""
    assert db.session.scalar(select(func.count(User.id))) == 0
    return app


def test_seed_demo_fills_an_empty_marketplace(empty, runner):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert "admin@pasardesa.test" in result.output and "pasardesa-demo" in result.output
    shops = db.session.scalars(select(Shop)).all()
    assert len(shops) == 12
    assert len({shop.district_code for shop in shops}) == 12
    assert all(shop.district_code.startswith("64.02.") for shop in shops)
    public = db.session.scalars(catalogue.public_products()).all()
    assert len(public) >= 18
    storage = get_storage()
    for product in public:
        assert product.images, product.title
        assert storage.exists(variant_key(product.images[0].content_hash, 320))
    roles = dict(db.session.execute(select(User.role, func.count()).group_by(User.role)).all())
    assert roles == {"admin": 1, "buyer": 3, "producer": 12}
    assert db.session.scalar(select(func.count(User.id)).where(User.email_verified_at.is_(None))) == 0
    states = db.session.scalars(select(ShopOrder.state).order_by(ShopOrder.id)).all()
    assert states == ["paid", "preparing", "ready_for_pickup", "shipped", "completed", "cancelled"]
    cancelled = db.session.scalar(select(ShopOrder).where(ShopOrder.state == "cancelled"))
    assert cancelled.stripe_refund_id is not None  # refunded at the stand-in


def test_seed_demo_only_into_an_empty_database(empty, runner, make_user):
    make_user()
    refused = runner.invoke(args=["seed-demo"])
    assert refused.exit_code != 0 and "not empty" in refused.output
    skipped = runner.invoke(args=["seed-demo", "--if-empty"])
    assert skipped.exit_code == 0 and "demo data not added" in skipped.output
    assert db.session.scalar(select(func.count(Product.id))) == 0
    assert db.session.scalar(select(func.count(ProductImage.id))) == 0
