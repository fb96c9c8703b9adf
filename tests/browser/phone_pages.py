"""A small marketplace seeded through the real services, and every page type of it by role, for the phone checks."""
import functools
import io
import uuid
from dataclasses import dataclass, field

from PIL import Image, ImageDraw, ImageFilter

from marketplace.extensions import db
from tests.conftest import TEST_PASSWORD


@functools.lru_cache(maxsize=None)
def _noise(size):
    """The noise of the photos of one size, drawn once per test process (drawing it was half of a photo's cost): the
    background's three channels and the grain. Photos of different seeds still differ, in colour and subject."""
    return [Image.effect_noise(size, 40 + 10 * i) for i in range(3)], Image.effect_noise(size, 18).convert("RGB")


def photo_bytes(size=(1200, 1600), seed=0):
    """A real-looking photo: a lit subject on a grainy, blurred background (compresses like a camera photo)."""
    width, height = size
    channels, grain = _noise(size)
    base = Image.merge("RGB", [channel.point(lambda v, i=i, s=seed: (v + 50 * i + 30 * s) % 256)
                               for i, channel in enumerate(channels)]).filter(ImageFilter.GaussianBlur(3))
    draw = ImageDraw.Draw(base)
    draw.ellipse((width // 5, height // 4, width * 4 // 5, height * 3 // 4), fill=(200, 140 - 20 * seed % 100, 40))
    photo = Image.blend(base, grain, 0.15)
    buffer = io.BytesIO()
    photo.save(buffer, "JPEG", quality=88)
    return buffer.getvalue()


@dataclass
class Seeded:
    """Who can log in, and the addresses of every page type, by who sees them."""

    token: str
    buyer: str = ""
    producer: str = ""
    admin: str = ""
    pages: dict = field(default_factory=dict)  # role -> [(name, path)]


def _approved_product(shop, title, admin, photo_seed, category="madu", photo_size=(1200, 1600)):
    from sqlalchemy import select

    from marketplace.catalogue import service as catalogue
    from marketplace.catalogue.models import Category
    from marketplace.media.storage import get_storage
    from marketplace.moderation import service as moderation

    category_id = db.session.scalar(select(Category.id).where(Category.slug == category))
    product = catalogue.create_product(shop, catalogue.ProductDetails(
        title=title, description="Dipanen dari kebun karet di tepi Mahakam.\n\nTanpa campuran.",
        category_id=category_id, price_idr=125000, stock=10, unit="1 botol 250 ml", weight_g=350))
    photos = catalogue.process_photos([photo_bytes(photo_size, photo_seed)], get_storage()).images
    catalogue.add_photo(product, photos[0], f"{title} di atas meja kayu")
    catalogue.submit_product(product)
    if admin is not None:
        moderation.approve_product(product, admin)
    return product


def seed(live_server):
    """Admin, producer with a logo, approved and pending listings, a buyer with a paid order and a reviewable one."""
    from marketplace import regions
    from marketplace.accounts import service as accounts
    from marketplace.orders import cart, service as orders
    from marketplace.payments import service as payments, standin, webhooks
    from marketplace.payments.settle import latest_attempt
    from marketplace.shops import service as shops
    from tests.orders.helpers import address, signed

    token = uuid.uuid4().hex[:6]
    found = Seeded(token=token)

    def build():
        admin = accounts.register_user(email=f"admin-{token}@example.com", name="Admin Desa", phone="",
                                       password=TEST_PASSWORD, role="admin")
        owner = accounts.register_user(email=f"produsen-{token}@example.com", name="Ibu Sumiati",
                                       phone="081255010001", password=TEST_PASSWORD, role="producer")
        buyer = accounts.register_user(email=f"pembeli-{token}@example.com", name="Ibu Rina Wulandari",
                                       phone="081234567890", password=TEST_PASSWORD, role="buyer")
        shop = shops.open_shop(owner, shops.ShopDetails(
            name=f"Madu Kelulut Loa Kulu Sejahtera {token}", story="Kami memelihara kelulut sejak 2010.",
            district_code="64.02.02", village_code=regions.children("64.02.02")[0][0], whatsapp="0812 5501 0001",
            shipping_fee_idr=15000, pickup_allowed=True))
        products = [_approved_product(shop, f"Madu Kelulut Asli Hutan Tropis Kalimantan 250 ml {token}", admin, n)
                    for n in range(3)]
        pending = _approved_product(shop, f"Madu Kelulut Menunggu {token}", None, 5)
        db.session.flush()
        found.buyer, found.producer, found.admin = buyer.email, owner.email, admin.email
        return shop.slug, [p.slug for p in products], pending.id, products[0].id, buyer.id, shop.id

    shop_slug, product_slugs, pending_id, product_id, buyer_id, shop_id = live_server.run(build)

    def order(paid):
        from marketplace.accounts.models import User
        from marketplace.catalogue.models import Product

        buyer = db.session.get(User, buyer_id)
        basket = cart.AccountCart(buyer)
        cart.add_to_cart(basket, str(product_id), "2")
        placed = orders.place_order(buyer, address(), {db.session.get(Product, product_id).shop_id: "delivery"})
        db.session.commit()
        if paid:
            with live_server.app.test_request_context():
                request = payments.checkout_request(placed, "http://localhost/ok", "http://localhost/cancel")
                db.session.commit()
                payments.remember_session(request.order_id, payments.open_checkout(request))
                db.session.commit()
                session = db.session.get(standin.StandinCheckoutSession, latest_attempt(placed).stripe_session_id)
                for event in standin.finish_session(session, paid=True):
                    webhooks.handle(*signed(event, secret=live_server.app.config["STRIPE_WEBHOOK_SECRET"]))
                db.session.commit()
        return placed.code, placed.shop_orders[0].id

    code, shop_order_id = live_server.run(order, True)
    shop_path = f"/toko/{shop_slug}"
    found.pages = {
        "visitor": [("home", "/"), ("category", "/kategori/madu"), ("district", "/kecamatan/64.02.02"),
                    ("search", f"/search?q=madu+{token}"), ("search-empty", "/search?q=zzzqqq"),
                    ("shop", shop_path), ("product", f"{shop_path}/{product_slugs[0]}"),
                    ("login", "/login"), ("register", "/register"), ("cart-empty", "/cart"),
                    ("not-found", "/toko/tidak-ada-toko-ini")],
        "buyer": [("cart", "/cart"), ("checkout", "/checkout"), ("orders", "/orders"), ("order", f"/orders/{code}"),
                  ("password", "/account/password"), ("report", f"/lapor/toko/{shop_slug}")],
        "producer": [("dashboard", "/dashboard"), ("shop-form", "/dashboard/shop"),
                     ("new-product", "/dashboard/products/new"),
                     ("edit-product", f"/dashboard/products/{pending_id}/edit"),
                     ("shop-orders", "/dashboard/orders"), ("shop-order", f"/dashboard/orders/{shop_order_id}"),
                     ("packing-slip", f"/dashboard/orders/{shop_order_id}/slip"), ("sales", "/dashboard/sales"),
                     ("producer-reviews", "/dashboard/reviews")],
        "admin": [("admin", "/admin"), ("queue", "/admin/antrean"), ("admin-product", f"/admin/produk/{pending_id}"),
                  ("changed", "/admin/berubah"), ("admin-shops", "/admin/toko"), ("admin-shop", f"/admin/toko/{shop_id}"), ("reports", "/admin/laporan"),
                  ("audit", "/admin/audit"), ("admin-reviews", "/admin/reviews")],
    }
    found.product_id = product_id
    return found


def log_in(page, email):
    """Log in through the real form."""
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Kata sandi").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    page.wait_for_load_state()
