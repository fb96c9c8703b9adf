"""Benchmark: buyers' add-to-cart + checkout latency while a producer uploads the largest photo batch a request
may carry, against the same buyers with no upload. Not a test.

    python bench/uploads.py [--buyers 20] [--rounds 3]

A throw-away SQLite database (WAL, file) and the WSGI app driven by Flask test clients, one thread each: the
producer POSTs a new listing with 8 PNGs that together reach REQUEST_PIXEL_BUDGET (decoded whole, small on the
wire); one second later every buyer adds a listing to the cart and checks out (two POSTs). Reported per round:
the upload's time, and the buyers' p50/p95/max of the two POSTs together, with and without the upload, plus any
failed request. Photos are decoded with no transaction open, so buyers should not queue behind them.
"""
import argparse
import io
import os
import re
import statistics
import sys
import tempfile
import threading
import time
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)  # run as a script from anywhere

from PIL import Image  # noqa: E402
from werkzeug.datastructures import FileStorage, MultiDict  # noqa: E402
from werkzeug.test import encode_multipart  # noqa: E402

from marketplace import create_app, regions  # noqa: E402
from marketplace.extensions import db  # noqa: E402
from marketplace.media.intake import REQUEST_PIXEL_BUDGET  # noqa: E402

PASSWORD = "bench-password-123"
VILLAGE = regions.children("64.02.06")[0][0]
PHOTOS = 8
CHECKOUT = {"recipient_name": "Rina", "phone": "0812 3456 7890", "street": "Jl. Poros No. 12",
            "province_code": "64", "regency_code": "64.02", "district_code": "64.02.06", "village_code": VILLAGE,
            "postal_code": "75572", "note": "", "action": "place"}


def _app(files):
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{files}/bench.db", "SECRET_KEY": "bench",
                      "MEDIA_ROOT": os.path.join(files, "media"), "SEARCH_INDEX_DIR": os.path.join(files, "index"),
                      "MAIL_OUTBOX_DIR": os.path.join(files, "mail"), "ARGON2_MEMORY_KIB": 1024,
                      "ARGON2_TIME_COST": 1, "RATELIMIT_ENABLED": False, "SERVER_NAME": "bench.example.com",
                      # Each buyer checks out once per round and never pays: the unpaid-order cap would refuse
                      # every round after the second, and a refusal is fast.
                      "MAX_UNPAID_ORDERS": 100_000})
    with app.app_context():
        from marketplace.catalogue.categories import ensure_categories

        db.create_all()
        ensure_categories()
        db.session.commit()
    return app


def _seed(app, buyers):
    """(producer email, buyer emails, product id, category id)."""
    from sqlalchemy import select

    from marketplace.accounts import service as accounts
    from marketplace.catalogue import service as catalogue
    from marketplace.catalogue.models import Category
    from marketplace.moderation import service as moderation
    from marketplace.shops import service as shops

    def user(role):
        return accounts.register_user(email=f"{role}-{uuid.uuid4().hex[:8]}@bench.example", name="Bench",
                                      phone="0812 3456 7890", password=PASSWORD, role=role, verified=True)

    with app.app_context():
        admin, producer = user("admin"), user("producer")
        shop = shops.open_shop(producer, shops.ShopDetails(
            name="Toko Bench", story="", district_code="64.02.06", village_code=VILLAGE,
            whatsapp="0812 3456 7890", shipping_fee_idr=10000, pickup_allowed=True))
        category_id = db.session.scalar(select(Category.id).where(Category.slug == "madu"))
        product = catalogue.create_product(shop, catalogue.ProductDetails(
            title="Madu bench", description="", category_id=category_id, price_idr=50000, stock=100_000,
            unit="250 ml", weight_g=300))
        catalogue.submit_product(product)
        moderation.approve_product(product, admin)
        emails = [user("buyer").email for _ in range(buyers)]
        db.session.commit()
        return producer.email, emails, product.id, category_id


def _token(client, path):
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get(path).get_data(as_text=True)).group(1)


def _client(app, email, address):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": _token(client, "/login")})
    return client


def _photo(seed):
    side = int((REQUEST_PIXEL_BUDGET // PHOTOS) ** 0.5)
    gradient = Image.linear_gradient("L").resize((side, side))
    image = Image.merge("RGB", (gradient, gradient.rotate(90), Image.new("L", (side, side), seed * 30)))
    buffer = io.BytesIO()
    image.save(buffer, "PNG", compress_level=1)
    return buffer.getvalue()


def _upload_body(client, category_id, photos):
    fields = MultiDict({"title": f"Madu {uuid.uuid4().hex[:6]}", "description": "", "category_id": str(category_id),
                        "price_idr": "50.000", "stock": "5", "unit": "250 ml", "weight_g": "300",
                        "photo_alt": "", "csrf_token": _token(client, "/dashboard/products/new")})
    for n, data in enumerate(photos):
        fields.add("photo", FileStorage(stream=io.BytesIO(data), filename=f"besar-{n}.png", content_type="image/png"))
    return encode_multipart(fields)


def _round(app, producer, buyers, product_id, category_id, photos, with_upload):
    timings, failures, upload = [], [], {}

    def buy(client):
        started = time.perf_counter()
        added = client.post("/cart/add", data={"product_id": product_id, "quantity": 1,
                                               "csrf_token": _token(client, "/")})
        placed = client.post("/checkout", data={**CHECKOUT, "csrf_token": _token(client, "/checkout")})
        timings.append(time.perf_counter() - started)
        if added.status_code != 302 or placed.status_code != 302:
            failures.append((added.status_code, placed.status_code))

    def post_photos():
        boundary, body = _upload_body(producer, category_id, photos)
        started = time.perf_counter()
        response = producer.post("/dashboard/products/new", data=body,
                                 content_type=f"multipart/form-data; boundary={boundary}")
        upload.update(seconds=time.perf_counter() - started, status=response.status_code)

    uploader = threading.Thread(target=post_photos)
    if with_upload:
        uploader.start()
        time.sleep(1.0)
    threads = [threading.Thread(target=buy, args=(client,)) for client in buyers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if with_upload:
        uploader.join()
    return timings, failures, upload


def _line(label, timings, failures):
    ordered = sorted(timings)
    p95 = ordered[max(0, int(round(0.95 * len(ordered))) - 1)]
    return (f"{label:>16}: p50 {statistics.median(ordered):6.3f} s  p95 {p95:6.3f} s  max {ordered[-1]:6.3f} s  "
            f"failed {len(failures)}"), p95


def main():
    """Run the rounds and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--buyers", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as files:
        app = _app(files)
        producer_email, buyer_emails, product_id, category_id = _seed(app, args.buyers)
        photos = [_photo(n) for n in range(PHOTOS)]
        print(f"{PHOTOS} PNGs, {REQUEST_PIXEL_BUDGET // PHOTOS / 1e6:.1f} MP each, "
              f"{sum(map(len, photos)) / 1e6:.1f} MB on the wire; {args.buyers} buyers; SQLite WAL")
        producer = _client(app, producer_email, "10.1.0.1")
        buyers = [_client(app, email, f"10.2.0.{n}") for n, email in enumerate(buyer_emails)]
        for number in range(1, args.rounds + 1):
            alone = _round(app, producer, buyers, product_id, category_id, photos, with_upload=False)
            during = _round(app, producer, buyers, product_id, category_id, photos, with_upload=True)
            text_alone, p95_alone = _line("buyers alone", *alone[:2])
            text_during, p95_during = _line("during upload", *during[:2])
            print(f"round {number}: upload {during[2]['seconds']:.1f} s (HTTP {during[2]['status']})")
            print(text_alone)
            print(text_during)
            print(f"{'p95 ratio':>16}: {p95_during / p95_alone:.2f}x")
        with app.app_context():
            db.engine.dispose()


if __name__ == "__main__":
    main()
