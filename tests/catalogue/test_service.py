"""Listing rules of catalogue/service.py: validation, the status flow, photos, and who may see what."""
import io
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from flask_login import AnonymousUserMixin
from sqlalchemy import func, select, update
from werkzeug.datastructures import FileStorage

from marketplace.catalogue import service
from marketplace.catalogue.models import Category, Product, ProductEdit, ProductImage
from marketplace.errors import InvalidInput, InvalidState, NotAllowed
from marketplace.extensions import db
from marketplace.media.storage import get_storage
from marketplace.moderation import service as moderation
from marketplace.moderation.models import ModerationDecision
from tests.shops.images import distinct_jpegs, gif_bytes, jpeg_bytes, media_files


def category_id(slug="madu"):
    return db.session.scalar(select(Category.id).where(Category.slug == slug))


@pytest.fixture
def details(app):
    """A valid listing to vary."""
    return service.ProductDetails(title="Madu Kelulut Asli", description="Madu trigona.", category_id=category_id(),
                                  price_idr=125000, stock=30, unit="1 botol 250 ml", weight_g=350)


@pytest.fixture
def admin(make_user):
    return make_user("admin")


def stored(data):
    """A photo through the real media pipeline into the test's MEDIA_ROOT."""
    return service.process_photos([data], get_storage()).images[0]


# --- validation -------------------------------------------------------------------------------------------

def test_validate_cleans_what_was_typed(details):
    typed = replace(details, title="  Madu \t kelulut\x00  asli ", description="Baris satu.\r\n\r\nParagraf dua.\x07",
                    unit="  1   botol ", pirt_number="2066402010123-25", bpom_number="md 1234.5678.9012",
                    halal_number=" id 3511 0000 1234 ", halal_expires_on=date(2027, 1, 31))
    clean = service.validate_details(typed)
    assert clean.title == "Madu kelulut asli"
    assert clean.description == "Baris satu.\n\nParagraf dua."
    assert clean.unit == "1 botol"
    assert (clean.pirt_number, clean.bpom_number, clean.halal_number) == ("206640201012325", "MD123456789012",
                                                                           "ID351100001234")
    assert clean.halal_expires_on == date(2027, 1, 31)


@pytest.mark.parametrize("field, value", [
    ("price_idr", 1_000), ("price_idr", 100_000_000), ("stock", 0), ("stock", 100_000), ("weight_g", 0),
    ("weight_g", 1_000_000), ("title", "abc"), ("title", "x" * 120), ("description", "d" * 5000), ("unit", "u" * 60),
    ("description", ""), ("bpom_number", "ML987654321098"), ("halal_number", "LPPOM-00150012345678"),
])
def test_validate_accepts_the_boundaries(details, field, value):
    assert getattr(service.validate_details(replace(details, **{field: value})), field) == value


@pytest.mark.parametrize("field, value, refused_field", [
    ("title", "ab", "title"), ("title", "   \t  ", "title"), ("title", "x" * 121, "title"),
    ("title", "\x00\x01\x02", "title"), ("title", "x" * 1_000_000, "title"),
    ("description", "d" * 5001, "description"), ("description", "<p>" * 2_000_000, "description"),
    ("category_id", None, "category_id"), ("category_id", 0, "category_id"), ("category_id", 987654, "category_id"),
    ("price_idr", 999, "price_idr"), ("price_idr", 100_000_001, "price_idr"), ("price_idr", -15000, "price_idr"),
    ("price_idr", 10 ** 30, "price_idr"), ("price_idr", 15000.5, "price_idr"), ("price_idr", "15000", "price_idr"),
    ("price_idr", True, "price_idr"), ("price_idr", None, "price_idr"),
    ("stock", -1, "stock"), ("stock", 100_001, "stock"), ("stock", 2.5, "stock"),
    ("unit", "u" * 61, "unit"), ("weight_g", -1, "weight_g"), ("weight_g", 1_000_001, "weight_g"),
    ("pirt_number", "12345678901234", "pirt_number"), ("pirt_number", "1234567890123456", "pirt_number"),
    ("pirt_number", "P-IRT 12345678901234x", "pirt_number"), ("bpom_number", "MX123456789012", "bpom_number"),
    ("bpom_number", "MD12345678901", "bpom_number"), ("halal_number", "<script>", "halal_number"),
    ("halal_number", "ab1", "halal_number"), ("halal_number", "H" * 41, "halal_number"),
])
def test_validate_refuses_naming_the_field(details, field, value, refused_field):
    with pytest.raises(InvalidInput) as refused:
        service.validate_details(replace(details, **{field: value}))
    assert refused.value.field == refused_field
    assert refused.value.message


def test_halal_expiry_needs_a_number(details):
    with pytest.raises(InvalidInput) as refused:
        service.validate_details(replace(details, halal_expires_on=date(2027, 1, 1)))
    assert refused.value.field == "halal_number"


def test_html_is_kept_as_text_never_interpreted(make_shop, details):
    hostile = "<script>alert('x')</script>\n\n<b>bold</b>"
    product = service.create_product(make_shop(), replace(details, title="<img src=x onerror=alert(1)>",
                                                          description=hostile))
    assert product.title == "<img src=x onerror=alert(1)>"
    assert product.description == hostile


# --- creating and editing ---------------------------------------------------------------------------------

def test_create_makes_a_draft_with_a_unique_slug_per_shop(make_shop, details):
    shop, other = make_shop(), make_shop()
    first = service.create_product(shop, details)
    second = service.create_product(shop, details)
    elsewhere = service.create_product(other, details)
    assert first.status == "draft" and not first.is_public
    assert (first.slug, second.slug, elsewhere.slug) == ("madu-kelulut-asli", "madu-kelulut-asli-2",
                                                         "madu-kelulut-asli")


def test_create_refused_leaves_no_row(make_shop, details):
    shop = make_shop()
    with pytest.raises(InvalidInput):
        service.create_product(shop, replace(details, price_idr=10))
    assert db.session.scalar(select(func.count(Product.id)).where(Product.shop_id == shop.id)) == 0


def test_update_renames_the_slug_but_keeps_it_unique(make_shop, details):
    shop = make_shop()
    service.create_product(shop, replace(details, title="Gula aren"))
    product = service.create_product(shop, details)
    service.update_product(product, replace(details, title="Gula aren"))
    assert product.slug == "gula-aren-2"


# --- the status flow --------------------------------------------------------------------------------------

def test_draft_pending_approved(make_product, admin):
    product = make_product(status="draft")
    service.submit_product(product)
    assert product.status == "pending" and product.submitted_at is not None and not product.is_public
    moderation.approve_product(product, admin)
    assert product.status == "approved" and product.is_public and product.approved_at is not None


def test_rejected_is_edited_and_resubmitted(make_product, admin, details):
    product = make_product(status="pending")
    moderation.reject_product(product, admin, "Foto buram, judul kurang jelas")
    assert product.status == "rejected" and product.rejection_reason == "Foto buram, judul kurang jelas"
    service.update_product(product, replace(details, title="Madu kelulut 250 ml, foto baru"))
    assert product.status == "rejected"  # an edit alone does not resubmit
    service.submit_product(product)
    assert product.status == "pending"
    moderation.approve_product(product, admin)
    assert product.status == "approved" and product.rejection_reason == ""


@pytest.mark.parametrize("status", ["pending", "approved", "archived"])
def test_only_drafts_and_rejected_are_submitted(make_product, status):
    product = make_product(status=status)
    with pytest.raises(InvalidState):
        service.submit_product(product)
    assert product.status == status


def test_trusted_shop_is_approved_automatically_and_logged(make_shop, make_product):
    shop = make_shop()
    shop.trusted = True
    product = make_product(shop=shop, status="draft")
    service.submit_product(product)
    assert product.status == "approved" and product.is_public
    decision = db.session.scalar(select(ModerationDecision).where(ModerationDecision.product_id == product.id))
    assert (decision.action, decision.automatic, decision.actor_id) == ("approve", True, None)


def test_untrusted_shop_waits_and_nothing_is_logged(make_product):
    product = make_product(status="draft")
    service.submit_product(product)
    assert product.status == "pending"
    assert db.session.scalar(select(func.count(ModerationDecision.id))
                             .where(ModerationDecision.product_id == product.id)) == 0


@pytest.mark.parametrize("status", ["draft", "pending", "approved", "rejected"])
def test_archive_takes_it_out_for_good(make_product, status, details):
    product = make_product(status=status)
    service.archive_product(product)
    assert product.status == "archived" and not product.is_public and not product.changed_since_approval
    for change in (lambda: service.archive_product(product), lambda: service.update_product(product, details),
                   lambda: service.set_stock(product, 3), lambda: service.submit_product(product)):
        with pytest.raises(InvalidState):
            change()
    assert product.status == "archived" and product.stock == 10


# --- changed since approval -------------------------------------------------------------------------------

@pytest.mark.parametrize("change", [{"title": "Madu Kelulut Super"}, {"description": "Baru."},
                                    {"category_id": "gula-pemanis"}, {"pirt_number": "206330201012324"},
                                    {"bpom_number": "MD 224510001234"}])
def test_content_edit_of_approved_is_held_for_review_and_flagged(make_product, change):
    product = make_product(status="approved", title="Madu Kelulut Asli")
    details = service.ProductDetails(title=product.title, description=product.description,
                                     category_id=product.category_id, price_idr=product.price_idr, stock=product.stock,
                                     unit=product.unit, weight_g=product.weight_g)
    if "category_id" in change:
        change = {"category_id": category_id(change["category_id"])}
    approved = {name: getattr(product, name) for name in service.REVIEWED_FIELDS} | {"slug": product.slug}
    service.update_product(product, replace(details, **change))
    db.session.commit()
    db.session.expire_all()
    assert product.status == "approved" and product.is_public and product.changed_since_approval
    # The public row is still the approved version; the change waits apart.
    assert {name: getattr(product, name) for name in approved} == approved
    [(name, value)] = change.items()
    assert getattr(product.pending_edit, name) == getattr(service.validate_details(replace(details, **change)), name)


def test_price_stock_and_unit_edits_apply_at_once_unflagged(make_product):
    product = make_product(status="approved")
    details = service.ProductDetails(title=product.title, description=product.description,
                                     category_id=product.category_id, price_idr=99000, stock=2, unit="500 ml",
                                     weight_g=600)
    service.update_product(product, details)
    service.set_stock(product, 7)
    assert (product.price_idr, product.stock, product.unit) == (99000, 7, "500 ml")
    assert product.is_public and not product.changed_since_approval


def test_content_edit_of_a_draft_is_not_flagged(make_product, details):
    product = make_product(status="draft")
    service.update_product(product, replace(details, title="Judul lain sama sekali"))
    assert not product.changed_since_approval


def test_photo_changes_of_approved_wait_apart_and_undoing_them_drops_the_edit(make_product, admin):
    first = stored(jpeg_bytes())
    product = make_product(status="approved", photos=[first])
    image = service.add_photo(product, stored(jpeg_bytes(colour=(1, 200, 1))))
    assert product.changed_since_approval and len(product.images) == 1 and len(product.pending_edit.images) == 2
    service.set_photo_alt(product, image.id, "Botol madu")
    service.move_photo(product, image.id, -1)
    db.session.commit()
    assert [i.alt_text for i in product.pending_edit.images] == ["Botol madu", product.title]
    assert [i.content_hash for i in product.images] == [first.content_hash]
    service.remove_photo(product, product.pending_edit.images[0].id)
    db.session.commit()
    # Back to exactly the approved gallery: nothing is left to review.
    assert product.pending_edit is None and not product.changed_since_approval and product.is_public
    assert db.session.scalar(select(func.count()).select_from(ProductEdit)) == 0


@pytest.mark.parametrize("stock", [-1, 100_001, "5", None])
def test_set_stock_refuses_out_of_range(make_product, stock):
    product = make_product()
    with pytest.raises(InvalidInput) as refused:
        service.set_stock(product, stock)
    assert refused.value.field == "stock" and product.stock == 10


# --- photos -----------------------------------------------------------------------------------------------

def test_photos_at_most_eight_in_order(make_product):
    product = make_product(status="draft")
    for data in distinct_jpegs(8):
        service.add_photo(product, stored(data), "")
    assert [image.position for image in product.images] == list(range(8))
    assert product.images[0].alt_text == product.title  # no description given: the title stands in
    assert service.photo_room(product) == 0
    with pytest.raises(InvalidInput) as refused:
        service.add_photo(product, stored(jpeg_bytes(colour=(1, 2, 3))))
    assert refused.value.field == "photo" and len(product.images) == 8


def test_the_same_photo_twice_is_kept_once(make_product):
    product = make_product(status="draft")
    photo = stored(jpeg_bytes())
    first = service.add_photo(product, photo)
    assert service.add_photo(product, photo) is first and len(product.images) == 1


def test_move_and_remove_renumber(make_product):
    product = make_product(status="draft")
    a, b, c = (service.add_photo(product, stored(data)) for data in distinct_jpegs(3))
    service.move_photo(product, c.id, -1)
    assert [image.id for image in product.images] == [a.id, c.id, b.id]
    service.move_photo(product, a.id, -1)  # already first: nothing moves
    service.move_photo(product, b.id, +1)  # already last
    assert [image.id for image in product.images] == [a.id, c.id, b.id]
    service.remove_photo(product, a.id)
    db.session.expire(product)
    assert [(image.id, image.position) for image in product.images] == [(c.id, 0), (b.id, 1)]
    assert product.cover.id == c.id
    assert db.session.get(ProductImage, a.id) is None


def test_another_listings_photo_is_not_found(make_product):
    mine, theirs = make_product(status="draft"), make_product(status="draft")
    image = service.add_photo(theirs, stored(jpeg_bytes()))
    assert service.photo_of(mine, image.id) is None
    for change in (lambda: service.move_photo(mine, image.id, 1), lambda: service.remove_photo(mine, image.id),
                   lambda: service.set_photo_alt(mine, image.id, "x")):
        with pytest.raises(InvalidInput):
            change()
    assert image.product_id == theirs.id and len(theirs.images) == 1


def test_alt_text_is_plain_and_bounded(make_product):
    product = make_product(status="draft")
    image = service.add_photo(product, stored(jpeg_bytes()), "  Botol\x00 madu\r\n di meja  ")
    assert image.alt_text == "Botol madu di meja"
    service.set_photo_alt(product, image.id, "a" * 5000)
    assert image.alt_text == "a" * 200
    service.set_photo_alt(product, image.id, "   ")
    assert image.alt_text == product.title


def test_process_photos_stores_variants(app):
    batch = service.process_photos([jpeg_bytes((1600, 1200))], get_storage())
    photo = batch.images[0]
    root = Path(app.config["MEDIA_ROOT"])
    assert (root / photo.master_key).is_file()
    assert all((root / key).is_file() for key in photo.variant_keys.values())
    assert sorted(batch.written) == sorted([photo.master_key, *photo.variant_keys.values()])


def test_one_bad_photo_leaves_no_file_of_the_others(app):
    root = Path(app.config["MEDIA_ROOT"])
    uploads = [FileStorage(stream=io.BytesIO(jpeg_bytes()), filename="bagus.jpg"),
               FileStorage(stream=io.BytesIO(gif_bytes()), filename="kucing.jpg")]
    with pytest.raises(InvalidInput) as refused:
        service.process_photos(uploads, get_storage())
    assert refused.value.field == "photo"
    assert "kucing.jpg" in refused.value.message and "JPEG, PNG, WebP atau HEIC" in refused.value.message
    assert media_files(root) == []


def test_too_many_photos_are_refused_before_any_work(app):
    with pytest.raises(InvalidInput) as refused:
        service.process_photos(distinct_jpegs(3), get_storage(), room=2)
    assert refused.value.field == "photo"
    assert media_files(Path(app.config["MEDIA_ROOT"])) == []


def test_discard_spares_files_that_existed_before(app):
    root = Path(app.config["MEDIA_ROOT"])
    kept = service.process_photos([jpeg_bytes()], get_storage())
    before = media_files(root)
    again = service.process_photos([jpeg_bytes()], get_storage())
    assert again.written == [] and again.images[0].content_hash == kept.images[0].content_hash
    again.discard()
    assert media_files(root) == before


# --- who sees what ----------------------------------------------------------------------------------------

VIEWERS = ["anonymous", "buyer", "other producer", "owner", "admin"]


def viewer(kind, product, make_user):
    if kind == "anonymous":
        return AnonymousUserMixin()
    if kind == "owner":
        return product.shop.owner
    return make_user({"buyer": "buyer", "other producer": "producer", "admin": "admin"}[kind])


@pytest.mark.parametrize("status", ["draft", "pending", "approved", "rejected", "archived"])
@pytest.mark.parametrize("kind", VIEWERS)
def test_can_view(make_product, make_user, status, kind):
    product = make_product(status=status)
    expected = status == "approved" or kind in ("owner", "admin")
    assert service.can_view(product, viewer(kind, product, make_user)) is expected


@pytest.mark.parametrize("kind", VIEWERS)
def test_suspended_shop_hides_approved_listings(make_product, make_user, kind):
    product = make_product(status="approved")
    product.shop.status = "suspended"
    assert service.can_view(product, viewer(kind, product, make_user)) is (kind in ("owner", "admin"))
    assert service.can_view(product, None) is False


def test_public_products_are_approved_of_active_shops(make_product):
    shown = make_product(status="approved")
    hidden = [make_product(status=status) for status in ("draft", "pending", "rejected", "archived")]
    suspended = make_product(status="approved")
    suspended.shop.status = "suspended"
    db.session.flush()
    ids = set(db.session.scalars(service.public_products().with_only_columns(Product.id)))
    assert shown.id in ids
    assert ids.isdisjoint({product.id for product in hidden} | {suspended.id})


def test_owned_product_is_the_owners_only(make_product, make_user):
    product = make_product(status="draft")
    assert service.owned_product(product.shop.owner, product.id) is product
    for user, product_id in ((make_user("producer"), product.id), (product.shop.owner, 987654321),
                             (product.shop.owner, 0), (product.shop.owner, 2**31), (product.shop.owner, 10**30)):
        with pytest.raises(NotAllowed):
            service.owned_product(user, product_id)


def test_products_of_lists_archived_last(make_shop, make_product):
    shop = make_shop()
    archived = make_product(shop=shop, status="archived")
    draft = make_product(shop=shop, status="draft")
    approved = make_product(shop=shop, status="approved")
    listed = service.products_of(shop)
    assert listed[-1] is archived and set(listed[:2]) == {draft, approved}
    assert service.count_by_status(shop) == {"archived": 1, "draft": 1, "approved": 1}


def test_categories_tree_is_the_seeded_tree(app):
    tree = service.categories_tree()
    tops = [top.slug for top, _children in tree]
    assert tops[:3] == ["makanan-olahan", "minuman", "madu"]
    children = dict((top.slug, [child.slug for child in kids]) for top, kids in tree)
    assert "keripik" in children["makanan-olahan"] and children["madu"] == []
    madu_parent = db.session.scalar(select(Category).where(Category.slug == "makanan-olahan"))
    assert len(service.category_and_children_ids(madu_parent)) == 1 + len(children["makanan-olahan"])


# --- stock edits never undo orders placed while the producer's form was open -------------------------

def test_stock_edit_applies_only_the_producers_change(make_product):
    product = make_product(stock=10)
    seen = product.stock
    db.session.execute(update(Product).where(Product.id == product.id).values(stock=Product.stock - 3))  # 3 sold
    db.session.expire(product)
    service.set_stock(product, 15, stock_seen=seen)  # the producer added 5 to what they saw
    db.session.commit()
    assert db.session.scalar(select(Product.stock).where(Product.id == product.id)) == 12


def test_product_edit_with_unchanged_stock_keeps_the_live_count(make_product, details):
    product = make_product(stock=10)
    db.session.execute(update(Product).where(Product.id == product.id).values(stock=4))  # six sold meanwhile
    db.session.expire(product)
    edited = replace(details, title=product.title, stock=10, price_idr=70000)
    service.update_product(product, edited, stock_seen=10)
    db.session.commit()
    assert (product.price_idr, product.stock) == (70000, 4)


def test_decrease_made_impossible_by_orders_is_refused(make_product):
    product = make_product(stock=5)
    db.session.execute(update(Product).where(Product.id == product.id).values(stock=1))
    db.session.expire(product)
    with pytest.raises(InvalidInput) as refused:
        service.set_stock(product, 0, stock_seen=5)  # remove 5 of the 5 seen, but only 1 is left
    assert refused.value.field == "stock"
    assert db.session.scalar(select(Product.stock).where(Product.id == product.id)) == 1


def test_without_seen_the_count_is_set_as_given(make_product):
    product = make_product(stock=5)
    service.set_stock(product, 9)
    db.session.commit()
    assert db.session.scalar(select(Product.stock).where(Product.id == product.id)) == 9
