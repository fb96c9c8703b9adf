"""What a producer's phone sends when the signal returns: listings created once per key with their photos in
order, edits that never silently overwrite a listing changed meanwhile, and order steps acted once and still
checked by the order's state machine."""
import pytest
from sqlalchemy import func, select

from marketplace.catalogue.models import Product
from marketplace.extensions import db
from marketplace.idempotency import IdempotencyKey
from marketplace.media.uploads import PhotoUpload
from marketplace.moderation import service as moderation
from marketplace.orders import service as orders
from marketplace.orders.models import OrderEvent, ShopOrder
from tests.offline_helpers import fresh_token, new_key, photo_bytes, upload


def listing(client, category, key, uploads=(), **changes):
    """The listing form's fields as the phone posts them, with a fresh CSRF token and the key."""
    data = {"title": "Madu Kelulut Loa Kulu", "description": "Madu asli dari hutan.", "category_id": category,
            "price_idr": "85.000", "stock": "12", "unit": "250 ml", "weight_g": "350",
            "csrf_token": fresh_token(client), "idempotency_key": key, "upload": list(uploads)}
    data.update(changes)
    return data


@pytest.fixture
def category(app):
    from marketplace.catalogue.models import Category

    return db.session.scalar(select(Category.id).where(Category.slug == "madu"))


def products_of(shop):
    db.session.expire_all()
    return db.session.scalars(select(Product).where(Product.shop_id == shop.id)).all()


def test_a_draft_becomes_one_pending_listing_with_its_photos_in_order(client, logged_in, shop, category):
    colours = [(200, 30, 30), (30, 200, 30), (30, 30, 200)]
    tokens = [upload(client, photo_bytes(colour=colour))[0] for colour in colours]
    key = new_key()
    first = client.post("/dashboard/api/listings", data=listing(client, category, key, tokens))
    assert first.status_code == 201, first.get_data(as_text=True)
    # The answer was lost: the phone sends the same draft again, with the same key.
    again = client.post("/dashboard/api/listings", data=listing(client, category, key, tokens))
    assert again.status_code == 200 and again.get_json()["id"] == first.get_json()["id"]
    assert not again.get_json()["created"]
    [product] = products_of(shop)
    assert product.status == "pending" and product.price_idr == 85000
    uploaded = db.session.scalars(select(PhotoUpload.id)).all()
    assert uploaded == [] and len(product.images) == 3
    # In the order the phone sent them: each colour where it was.
    from marketplace.media.service import master_key
    from marketplace.media.storage import get_storage
    from PIL import Image
    import io

    for image, colour in zip(product.images, colours):
        with Image.open(io.BytesIO(get_storage().open(master_key(image.content_hash)))) as img:
            assert max(abs(a - b) for a, b in zip(img.convert("RGB").getpixel((5, 5)), colour)) < 12


def test_a_refused_draft_changes_nothing_and_keeps_its_photos_for_the_retry(client, logged_in, shop, category):
    token, _answer = upload(client, photo_bytes())
    key = new_key()
    refused = client.post("/dashboard/api/listings", data=listing(client, category, key, [token], price_idr="12,5"))
    assert refused.status_code == 422 and "price_idr" in refused.get_json()["fields"]
    assert products_of(shop) == [] and db.session.scalar(select(func.count()).select_from(IdempotencyKey)) == 0
    fixed = client.post("/dashboard/api/listings", data=listing(client, category, key, [token]))
    assert fixed.status_code == 201 and len(products_of(shop)[0].images) == 1


def test_photos_not_finished_or_someone_elses_are_refused(client, logged_in, shop, category):
    data = photo_bytes()
    unfinished = upload(client, data[:1])[0]  # a one-byte "photo" is refused and discarded
    answer = client.post("/dashboard/api/listings", data=listing(client, category, new_key(), [unfinished]))
    assert answer.status_code == 422 and products_of(shop) == []
    answer = client.post("/dashboard/api/listings", data=listing(client, category, new_key(), ["x" * 32]))
    assert answer.status_code == 422 and products_of(shop) == []


@pytest.mark.parametrize("key", ["", "short", "a" * 65, "bad key with spaces!"])
def test_a_missing_or_malformed_key_is_refused(client, logged_in, shop, category, key):
    answer = client.post("/dashboard/api/listings", data=listing(client, category, key))
    assert answer.status_code == 422 and products_of(shop) == []


def test_without_csrf_or_session_nothing_is_created(client, producer, shop, category, auth):
    expired = client.post("/dashboard/api/listings", data={"title": "x", "idempotency_key": new_key()})
    assert expired.status_code in (400, 401)
    assert client.get("/api/csrf-token").status_code == 401
    auth.login(producer.email)
    no_token = client.post("/dashboard/api/listings", data={"title": "Madu", "idempotency_key": new_key()})
    assert no_token.status_code == 400 and products_of(shop) == []


def test_an_edit_of_a_listing_changed_meanwhile_returns_both(client, logged_in, shop, category, make_user,
                                                             make_product):
    product = make_product(shop=shop, status="pending")
    version = client.get(f"/dashboard/products/{product.id}/edit").get_data(as_text=True).split(
        'data-version="')[1].split('"')[0]
    moderation.reject_product(db.session.get(Product, product.id), make_user("admin"), "Foto kurang jelas")
    db.session.commit()
    key = new_key()
    clash = client.post(f"/dashboard/api/listings/{product.id}",
                        data=listing(client, category, key, title="Madu judul dari ponsel", version=version))
    assert clash.status_code == 409
    body = clash.get_json()
    assert body["conflict"] and body["server"]["status"] == "rejected" and body["server"]["title"] == product.title
    assert products_of(shop)[0].title == product.title
    # The producer chose their own version: sent again against the server's version, it applies once.
    chosen = client.post(f"/dashboard/api/listings/{product.id}",
                         data=listing(client, category, key, title="Madu judul dari ponsel",
                                      version=body["server"]["version"]))
    assert chosen.status_code == 200 and products_of(shop)[0].title == "Madu judul dari ponsel"


@pytest.fixture
def paid_part(shop, make_product, make_order):
    product = make_product(shop=shop, stock=10, price_idr=50000)
    return make_order(lines=[(product, 2)]).shop_orders[0]


def step(client, part, action, key, **fields):
    return client.post(f"/dashboard/api/orders/{part.id}/{action}",
                       data={"csrf_token": fresh_token(client), "idempotency_key": key, **fields})


def events(part):
    return db.session.scalar(select(func.count()).select_from(OrderEvent).where(OrderEvent.shop_order_id == part.id))


def test_queued_accept_and_ship_act_once_each(client, logged_in, paid_part):
    accept, ship = new_key(), new_key()
    for _attempt in range(2):
        assert step(client, paid_part, "accept", accept).status_code == 200
    for _attempt in range(2):
        answer = step(client, paid_part, "ship", ship, courier="jne", tracking_number="jp1234567")
        assert answer.status_code == 200 and answer.get_json()["state"] == "shipped"
    db.session.expire_all()
    part = db.session.get(ShopOrder, paid_part.id)
    assert (part.state, part.tracking_number) == ("shipped", "JP1234567") and events(part) == 2


def test_a_queued_step_on_an_order_cancelled_meanwhile_is_reported(client, logged_in, paid_part, make_user):
    orders.cancel_shop_order(paid_part, make_user("admin"), "admin", "Pembeli minta batal")
    db.session.commit()
    before = events(paid_part)
    answer = step(client, paid_part, "accept", new_key())
    assert answer.status_code == 409 and answer.get_json()["state"] == "cancelled"
    assert "dibatalkan" in answer.get_json()["error"] and events(paid_part) == before


def test_a_key_reused_for_another_step_is_refused(client, logged_in, paid_part):
    key = new_key()
    step(client, paid_part, "accept", key)
    answer = step(client, paid_part, "ship", key, courier="jne", tracking_number="JP1234567")
    assert answer.status_code == 422
    db.session.expire_all()
    assert db.session.get(ShopOrder, paid_part.id).state == "preparing"


def test_bad_ship_details_are_refused_and_change_nothing(client, logged_in, paid_part):
    step(client, paid_part, "accept", new_key())
    answer = step(client, paid_part, "ship", new_key(), courier="kapal", tracking_number="JP1234567")
    assert answer.status_code == 422
    db.session.expire_all()
    assert db.session.get(ShopOrder, paid_part.id).state == "preparing"


def test_someone_elses_order_is_not_found(client, make_user, auth, paid_part):
    auth.login(make_user("producer").email)
    assert step(client, paid_part, "accept", new_key()).status_code == 404
    assert step(client, paid_part, "explode", new_key()).status_code == 404
