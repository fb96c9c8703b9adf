"""flask seed-demo: a believable marketplace, in one place, only into an empty database."""
import io
import itertools

import pytest
from PIL import Image, ImageChops, ImageStat
from sqlalchemy import func, select

from marketplace import regions
from marketplace.accounts.models import User
from marketplace.catalogue import service as catalogue
from marketplace.catalogue.demo_photos import demo_photo
from marketplace.catalogue.models import Product, ProductImage
from marketplace.demo import PRODUCERS
from marketplace.extensions import db
from marketplace.media.service import variant_key
from marketplace.media.storage import get_storage
from marketplace.moderation.demo import PENDING
from marketplace.ledger import payouts
from marketplace.ledger import service as ledger
from marketplace.ledger.check import problems as ledger_problems
from marketplace.orders.models import BuyerAddress, Order, ShopOrder
from marketplace.payments import proofs, qris, transfer
from marketplace.payments.demo import statement_path
from marketplace.payments.models import Payment, StatementLine
from marketplace.payments.proofs import PaymentProof
from marketplace.shops.models import Shop
from marketplace.text import normalise_mobile
from tests.payments.test_qris import decode

DISTRICTS = {code for code, _ in regions.children("64.02")}
# Every listing of the demo, approved or sent for review: (title, category slug).
DEMO_LISTINGS = [(item[0], item[1]) for shop in PRODUCERS for item in shop[7]] + [(row[0], row[1]) for row in PENDING]


@pytest.fixture
def empty(app):
    """The suite's database holds only categories; seed-demo wants no users at all."""
    assert db.session.scalar(select(func.count(User.id))) == 0
    return app


def test_seed_demo_fills_an_empty_marketplace(demo):
    # demo_market ran `flask seed-demo` into an empty database and checked that it succeeded.
    assert "admin@pasardesa.test" in demo.output and "pasardesa-demo" in demo.output
    assert len(DISTRICTS) == 20
    shops = db.session.scalars(select(Shop)).all()
    assert len(shops) == 20
    assert {shop.district_code for shop in shops} == DISTRICTS
    public = db.session.scalars(catalogue.public_products()).all()
    assert len(public) >= 30
    # Every kecamatan of Kutai Kartanegara has something to buy.
    assert {product.shop.district_code for product in public} == DISTRICTS
    roles = dict(db.session.execute(select(User.role, func.count()).group_by(User.role)).all())
    assert roles == {"admin": 1, "buyer": 3, "producer": 20}
    assert db.session.scalar(select(func.count(User.id)).where(User.email_verified_at.is_(None))) == 0
    states = db.session.scalars(select(ShopOrder.state).order_by(ShopOrder.id)).all()
    assert states[:6] == ["paid", "preparing", "ready_for_pickup", "shipped", "completed", "cancelled"]
    cancelled = db.session.scalar(select(ShopOrder).where(ShopOrder.state == "cancelled"))
    assert cancelled.stripe_refund_id is not None  # refunded at the stand-in
    _every_listing_has_its_own_photo(public)
    _every_person_has_their_own_details()
    _every_payment_method_is_there()
    _every_order_goes_to_its_buyers_own_address()
    assert ledger_problems() == []


def _every_payment_method_is_there():
    """Cards, a transfer paid by a statement, one awaited with its proof, QRIS received, cash at pickup collected
    and one waiting; the methods offered, the account and the demo's own QRIS set."""
    rows = db.session.execute(select(Payment.method, Payment.state, ShopOrder.state, Order.id)
                              .join(Order, Order.id == Payment.order_id)
                              .join(ShopOrder, ShopOrder.order_id == Order.id).order_by(Payment.id)).all()
    assert [row[:3] for row in rows[6:]] == [
        ("bank_transfer", "paid", "paid"), ("bank_transfer", "pending", "awaiting_payment"),
        ("qris", "paid", "paid"), ("cash_on_pickup", "paid", "completed"),
        ("cash_on_pickup", "pending", "awaiting_payment")]
    assert {row[0] for row in rows[:6]} == {"stripe"}
    [line] = db.session.scalars(select(StatementLine)).all()
    assert line.outcome == "settled" and line.payment_id == db.session.scalar(
        select(Payment.id).where(Payment.order_id == rows[6][3]))
    waiting = db.session.scalar(select(Payment).where(Payment.order_id == rows[7][3]))
    [proof] = db.session.scalars(select(PaymentProof).where(PaymentProof.payment_id == waiting.id)).all()
    assert proof.state == "waiting" and proof.content_type == "image/webp"
    assert proofs.private_storage().exists(proof.storage_key)
    assert all(transfer.method_enabled(method) for method in ("stripe", "bank_transfer", "qris", "cash_on_pickup"))
    assert qris.validate_static(transfer.qris_payload()) == "PASAR DESA KUKAR"
    assert decode(transfer.qris_payload())["59"] == "PASAR DESA KUKAR"  # read back by the tests' own decoder


def _every_order_goes_to_its_buyers_own_address():
    delivered = [order for order in db.session.scalars(select(Order))
                 if any(part.fulfilment == "delivery" for part in order.shop_orders)]
    assert len(delivered) == 8
    for order in delivered:
        home = db.session.get(BuyerAddress, order.buyer_id)
        assert (order.street, order.village_code, order.phone) == (home.street, home.village_code, home.phone)
    assert len({order.street for order in delivered}) == 3


def _every_listing_has_its_own_photo(public):
    storage = get_storage()
    pending = db.session.scalars(select(Product).where(Product.status == "pending")).all()
    assert len(pending) == 2
    listings = db.session.scalars(select(Product)).all()
    assert len(listings) == len(DEMO_LISTINGS)
    for product in [*public, *pending]:
        assert product.images, product.title
        assert storage.exists(variant_key(product.images[0].content_hash, 640)), product.title
    hashes = db.session.scalars(select(ProductImage.content_hash)).all()
    assert len(hashes) == len(listings) and len(set(hashes)) == len(hashes)


def _every_person_has_their_own_details():
    people = db.session.scalars(select(User)).all()
    phones = [normalise_mobile(person.phone) for person in people]
    assert None not in phones and len(set(phones)) == len(people)
    assert len({person.name for person in people}) == len(people)
    buyers = [person for person in people if person.role == "buyer"]
    homes = [db.session.get(BuyerAddress, buyer.id) for buyer in buyers]
    assert None not in homes
    assert len({home.phone for home in homes}) == len({home.street for home in homes}) == len(buyers)
    assert len({home.village_code for home in homes}) == len(buyers)
    assert {home.phone for home in homes} <= set(phones)  # each buyer's own number, not a made-up one
    # A producer's address is the shop's village; no two shops share one.
    villages = db.session.scalars(select(Shop.village_code)).all()
    assert len(set(villages)) == len(villages)
    assert not {home.village_code for home in homes} & set(villages)


def test_the_demo_statement_settles_the_awaited_transfer_once(demo):
    runner = demo.app.test_cli_runner()
    waiting = db.session.scalar(select(Payment).where(Payment.method == "bank_transfer", Payment.state == "pending"))
    with open(statement_path(), encoding="utf-8") as statement:
        assert str(waiting.amount_idr) in statement.read()
    account_id = transfer.active_accounts()[0].id
    first = runner.invoke(args=["payments", "import-statement", statement_path(), "--account", str(account_id)])
    assert first.exit_code == 0, first.output
    assert first.output.startswith("1 settled, 0 owed back, 0 unmatched")
    db.session.expire_all()
    assert db.session.get(Payment, waiting.id).state == "paid"
    assert {part.state for part in db.session.get(Order, waiting.order_id).shop_orders} == {"paid"}
    again = runner.invoke(args=["payments", "import-statement", statement_path(), "--account", str(account_id)])
    assert again.exit_code == 0, again.output
    assert again.output.startswith("0 settled, 0 owed back, 0 unmatched, 1 already")
    paid = select(func.count()).select_from(Payment).where(Payment.state == "paid", Payment.order_id == waiting.order_id)
    assert db.session.scalar(paid) == 1
    assert ledger_problems() == []


def test_the_demo_ledger_adds_up_and_has_a_payout_ready(demo):
    """The demo's money adds up, and a producer has a balance ready to pay out. It reads the demo here, beside the
    other demo tests: in a module of its own another test process would seed a demo of its own for it (seconds)."""
    assert ledger_problems() == []
    ready = payouts.payable()
    assert len(ready) == 1 and ready[0][2] > 0
    assert ledger.balance("held:stripe") > 0


def test_seed_demo_only_into_an_empty_database(empty, runner, make_user):
    make_user()
    refused = runner.invoke(args=["seed-demo"])
    assert refused.exit_code != 0 and "not empty" in refused.output
    skipped = runner.invoke(args=["seed-demo", "--if-empty"])
    assert skipped.exit_code == 0 and "demo data not added" in skipped.output
    assert db.session.scalar(select(func.count(Product.id))) == 0
    assert db.session.scalar(select(func.count(ProductImage.id))) == 0


def _thumbnail(photo):
    return Image.open(io.BytesIO(photo)).convert("RGB").resize((24, 24), Image.Resampling.BOX)


def _difference(one, other):
    """Mean absolute difference of two thumbnails, 0..255 (0 for the same picture)."""
    return sum(ImageStat.Stat(ImageChops.difference(one, other)).mean) / 3


def test_demo_photos_of_one_category_look_unlike_every_other_category():
    # Drawn small for speed: the drawing is the same at any size.
    thumbnails = [(slug, title, _thumbnail(demo_photo(title, slug, size=192))) for title, slug in DEMO_LISTINGS]
    assert len({slug for slug, _, _ in thumbnails}) == 12
    across = []
    for (slug, title, one), (other_slug, other_title, other) in itertools.combinations(thumbnails, 2):
        difference = _difference(one, other)
        assert difference > 6, (title, other_title)  # not the same picture, even within a category
        if slug != other_slug:
            across.append(difference)
    # The demo's former single jar in six colours measured 0 for 29% of pairs of categories and 9.7 for the
    # median pair; different subjects measure at least 10, and 29 for the median pair.
    assert sorted(across)[len(across) // 2] > 20


def test_a_demo_photo_is_the_same_for_a_title_and_as_heavy_as_a_photo():
    photo = demo_photo("Kayu Manis Batang", "hasil-hutan-kebun")
    assert photo == demo_photo("Kayu Manis Batang", "hasil-hutan-kebun")
    assert photo != demo_photo("Kayu Manis Batang", "bumbu-rempah")
    image = Image.open(io.BytesIO(photo))
    assert image.format == "JPEG" and image.size == (800, 800)
    # Shading and grain: a flat drawing of the same size is 20-30 KB; a phone photo is well over 100 KB.
    assert len(photo) > 100_000
    # Unknown categories still get a picture (a plain packet), never an error.
    assert Image.open(io.BytesIO(demo_photo("Sesuatu", "tidak-ada"))).size == (800, 800)
