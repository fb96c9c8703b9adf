"""While a producer uploads the largest batch of photos a request may carry, buyers add to cart and check out
without waiting for it and without a single error: photos are decoded with no transaction open."""
import io
import threading
import time

import pytest
from PIL import Image

from marketplace.media.intake import REQUEST_PIXEL_BUDGET
from tests.conftest import TEST_PASSWORD
from tests.orders.helpers import committed_market
from tests.shops.conftest import multipart

BUYERS = 20
PHOTOS = 8


def budget_photo(seed):
    """A real PNG of REQUEST_PIXEL_BUDGET / PHOTOS pixels: decodes whole, yet small on the wire (a gradient)."""
    side = int((REQUEST_PIXEL_BUDGET // PHOTOS) ** 0.5)
    gradient = Image.linear_gradient("L").resize((side, side))
    image = Image.merge("RGB", (gradient, gradient.rotate(90), Image.new("L", (side, side), seed * 30)))
    buffer = io.BytesIO()
    image.save(buffer, "PNG", compress_level=1)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def market(server_database, tmp_path_factory):
    market = committed_market(server_database, tmp_path_factory)
    yield market
    market.close()


def _email(market, user_id):
    from marketplace.accounts.models import User
    from marketplace.extensions import db

    return market.run(lambda: db.session.get(User, user_id).email)


def _logged_in(market, email, address):
    client = market.app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    token = _token(client, "/login")
    assert client.post("/login", data={"email": email, "password": TEST_PASSWORD,
                                       "csrf_token": token}).status_code == 302
    return client


def _token(client, path):
    import re

    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def _producer_with_shop(market):
    from marketplace import regions
    from marketplace.accounts.models import User
    from marketplace.extensions import db
    from marketplace.shops import service as shops

    owner_id = market.make_user("producer")
    market.run(lambda: shops.open_shop(db.session.get(User, owner_id), shops.ShopDetails(
        name="Toko Foto Besar", story="", district_code="64.02.06",
        village_code=regions.children("64.02.06")[0][0], whatsapp="0812 3456 7890", shipping_fee_idr=10000,
        pickup_allowed=True)))
    return _email(market, owner_id)


@pytest.mark.slow
def test_buyers_never_wait_for_a_producer_uploading_photos(market):
    from tests.orders.test_views import CHECKOUT_FORM

    product_id = market.make_product(stock=BUYERS * 2)
    producer = _logged_in(market, _producer_with_shop(market), "10.1.0.1")
    buyers = [_logged_in(market, _email(market, market.make_user()), f"10.2.0.{n}") for n in range(BUYERS)]
    photos = [(io.BytesIO(budget_photo(n)), f"besar-{n}.png") for n in range(PHOTOS)]
    from marketplace.catalogue.models import Category
    from marketplace.extensions import db
    from sqlalchemy import select

    category_id = market.run(lambda: db.session.scalar(select(Category.id).where(Category.slug == "madu")))
    boundary, body = multipart({
        "title": "Madu dengan foto besar", "description": "", "category_id": str(category_id),
        "price_idr": "50.000", "stock": "5", "unit": "250 ml", "weight_g": "300", "pirt_number": "",
        "bpom_number": "", "halal_number": "", "halal_expires_on": "", "photo_alt": "", "photo": photos,
        "csrf_token": _token(producer, "/dashboard/products/new")})
    upload = {}
    buyer_times, failures = [], []

    def upload_photos():
        started = time.monotonic()
        response = producer.post("/dashboard/products/new", data=body,
                                 content_type=f"multipart/form-data; boundary={boundary}")
        upload.update(status=response.status_code, started=started, finished=time.monotonic())

    def buy(client):
        started = time.monotonic()
        try:
            added = client.post("/cart/add", data={"product_id": product_id, "quantity": 1,
                                                   "csrf_token": _token(client, "/")})
            placed = client.post("/checkout", data={**CHECKOUT_FORM, "csrf_token": _token(client, "/checkout")})
            if added.status_code != 302 or placed.status_code != 302:
                failures.append((added.status_code, placed.status_code, placed.get_data(as_text=True)[:300]))
        except Exception as error:  # noqa: BLE001 - every failure is reported below
            failures.append(repr(error))
        buyer_times.append((started, time.monotonic()))

    uploader = threading.Thread(target=upload_photos)
    uploader.start()
    time.sleep(1.0)  # the upload has begun its work
    threads = [threading.Thread(target=buy, args=(client,)) for client in buyers]
    for thread in threads:
        thread.start()
    for thread in threads + [uploader]:
        thread.join(300)
    assert upload["status"] == 302, upload
    assert failures == []
    assert len(buyer_times) == BUYERS
    # Buyers were served while the photos were still being processed. Were the photos decoded inside the upload's
    # transaction, SQLite's one write lock would hold every buyer's cart and checkout until the upload committed,
    # and none could finish before it. (How many finish first depends on the machine's cores and load.)
    first = min(finished for _started, finished in buyer_times)
    assert first < upload["finished"], (
        f"upload took {upload['finished'] - upload['started']:.1f} s; the first buyer finished "
        f"{first - upload['started']:.1f} s after it started")
