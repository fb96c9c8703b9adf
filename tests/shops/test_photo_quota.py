"""Uploads are rate-limited per producer: 60 photos an hour, then a 429 in the producer's language that stores
nothing."""
from sqlalchemy import func, select

from marketplace.catalogue.models import Product
from marketplace.extensions import db
from tests.shops.images import distinct_jpegs
from tests.shops.test_views import file, product_form


def post_eight(send, round_number, path="/dashboard/products/new"):
    photos = [file(data, f"foto-{round_number}-{i}.jpg")
              for i, data in enumerate(distinct_jpegs(8 + round_number, (48, 36))[round_number:])]
    return send(path, product_form(title=f"Madu kelulut {round_number}", photo=photos))


def test_the_sixty_first_photo_of_the_hour_gets_429(client, shop, logged_in, send):
    for round_number in range(7):  # 56 photos
        assert post_eight(send, round_number).status_code == 302
    listings = db.session.scalar(select(func.count()).select_from(Product).where(Product.shop_id == shop.id))
    response = post_eight(send, 7, path="/dashboard/products/new?lang=en")
    assert response.status_code == 429
    assert "Too many photos uploaded in one hour (at most 60)" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Product).where(Product.shop_id == shop.id)) == listings
    # A listing without photos still saves: the limit is on photos, not on work.
    assert send("/dashboard/products/new", product_form(title="Madu tanpa foto")).status_code == 302
