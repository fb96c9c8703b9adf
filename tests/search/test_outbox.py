"""Every change that matters to search writes an outbox row in its own transaction, and reaches the
index after the commit: approving, editing, unpublishing, archiving, stock, photos, shops, categories."""
import logging
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from marketplace.catalogue import service as catalogue
from marketplace.catalogue.models import Category
from marketplace.extensions import db
from marketplace.moderation import service as moderation
from marketplace.search import sync
from marketplace.search.models import SearchOutbox
from marketplace.shops import service as shops

from .conftest import ON_EVERY_BACKEND, run_search, titles


def outbox_rows():
    """(kind, object id) of the outbox rows visible in the test's transaction."""
    return sorted(db.session.execute(select(SearchOutbox.kind, SearchOutbox.object_id)).all())


def details_of(product, **changes):
    """The product's details, some changed."""
    fields = {name: getattr(product, name) for name in ("title", "description", "category_id", "price_idr",
                                                        "stock", "unit", "weight_g")}
    return catalogue.ProductDetails(**{**fields, **changes})


@pytest.fixture
def honey(search_backend, make_product):
    """An approved, indexed listing."""
    return make_product(title="Madu Kelulut Sungai", description="Madu asli dari Loa Kulu.", stock=7)


@pytest.fixture
def admin(make_user):
    return make_user("admin")


def test_a_change_writes_its_row_in_the_same_transaction(honey):
    assert outbox_rows() == []                          # drained after the factory's commit
    catalogue.set_stock(honey, 3)
    assert outbox_rows() == [("product", honey.id)]     # flushed, not committed: same transaction
    db.session.commit()
    assert outbox_rows() == []                          # drained after the commit
    assert run_search("kelulut sungai").items[0]["id"] == honey.id


def test_a_rolled_back_change_leaves_no_row_and_no_trace_in_the_index(honey):
    catalogue.set_stock(honey, 0)
    assert outbox_rows() == [("product", honey.id)]
    db.session.rollback()
    assert outbox_rows() == []
    assert run_search("kelulut sungai", in_stock=1).total == 1


def test_drafts_and_unrelated_columns_write_nothing(make_product, honey):
    draft = make_product(status="draft", title="Madu Draf")
    catalogue.set_stock(draft, 2)
    honey.changed_since_approval = True             # not shown or searched
    db.session.flush()
    assert outbox_rows() == []
    db.session.rollback()


def test_rows_wait_when_sync_on_commit_is_off_and_a_drain_applies_them(app, honey, admin):
    app.config["SEARCH_SYNC_ON_COMMIT"] = False
    catalogue.update_product(honey, details_of(honey, title="Madu Bunga Akasia"))
    moderation.confirm_change(honey, admin)
    db.session.commit()
    assert outbox_rows() == [("product", honey.id)]
    assert run_search("akasia").total == 0                   # not applied yet
    assert sync.drain(app, db.session.get_bind()) == 1
    assert outbox_rows() == []
    assert titles(run_search("akasia")) == ["Madu Bunga Akasia"]
    assert run_search("kelulut sungai").total == 0


@dataclass
class Change:
    name: str
    found_before: bool
    found_after: bool


@ON_EVERY_BACKEND
def test_approving_publishes(search_backend, make_product, admin):
    product = make_product(status="pending", title="Amplang Baru Diajukan")
    assert run_search("amplang diajukan").total == 0
    moderation.approve_product(product, admin)
    db.session.commit()
    assert titles(run_search("amplang diajukan")) == ["Amplang Baru Diajukan"]


@ON_EVERY_BACKEND
def test_editing_the_title_changes_what_is_found_once_confirmed(honey, admin):
    catalogue.update_product(honey, details_of(honey, title="Madu Hutan Tabang"))
    db.session.commit()
    assert run_search("hutan tabang").total == 0
    assert titles(run_search("kelulut sungai")) == ["Madu Kelulut Sungai"]
    moderation.confirm_change(honey, admin)
    db.session.commit()
    assert titles(run_search("hutan tabang")) == ["Madu Hutan Tabang"]
    assert run_search("kelulut sungai").total == 0


@ON_EVERY_BACKEND
def test_unpublishing_removes(honey, admin):
    moderation.unpublish_product(honey, admin, "Label tidak sesuai.")
    db.session.commit()
    assert run_search("kelulut sungai").total == 0


@ON_EVERY_BACKEND
def test_archiving_removes(honey):
    catalogue.archive_product(honey)
    db.session.commit()
    assert run_search("kelulut sungai").total == 0


@ON_EVERY_BACKEND
def test_stock_changes_are_reflected(honey):
    catalogue.set_stock(honey, 0)
    db.session.commit()
    assert run_search("kelulut sungai").items[0]["in_stock"] is False
    assert run_search("kelulut sungai", in_stock=1).total == 0
    catalogue.set_stock(honey, 12)
    db.session.commit()
    assert run_search("kelulut sungai", in_stock=1).total == 1


@ON_EVERY_BACKEND
def test_price_changes_are_reflected(honey):
    catalogue.update_product(honey, details_of(honey, price_idr=99000))
    db.session.commit()
    assert run_search("kelulut sungai").items[0]["price_idr"] == 99000
    assert run_search("kelulut sungai", max_price=90000).total == 0


@ON_EVERY_BACKEND
def test_suspending_the_shop_removes_its_listings_and_reinstating_restores_them(honey, make_product, admin):
    other = make_product(shop=honey.shop, title="Madu Sungai Kedua")
    moderation.suspend_shop(honey.shop, admin, "Menjual barang palsu.")
    db.session.commit()
    assert run_search("madu sungai").total == 0
    moderation.reinstate_shop(honey.shop, admin)
    db.session.commit()
    assert {item["id"] for item in run_search("madu sungai").items} == {honey.id, other.id}


@ON_EVERY_BACKEND
def test_renaming_the_shop_is_reflected(honey):
    shop = honey.shop
    shops.update_shop(shop, shops.ShopDetails(
        name="Lebah Kelulut Pak Darmo", story=shop.story, district_code=shop.district_code,
        village_code=shop.village_code, whatsapp=shop.whatsapp, shipping_fee_idr=shop.shipping_fee_idr,
        pickup_allowed=shop.pickup_allowed, slug=shop.slug))
    db.session.commit()
    result = run_search("darmo")
    assert titles(result) == ["Madu Kelulut Sungai"]
    assert result.items[0]["shop"]["name"] == "Lebah Kelulut Pak Darmo"


@ON_EVERY_BACKEND
def test_renaming_a_category_is_reflected(honey):
    category = db.session.get(Category, honey.category_id)
    category.name_id = "Madu dan Propolis"
    db.session.commit()
    assert titles(run_search("propolis")) == ["Madu Kelulut Sungai"]


@dataclass
class FakeStoredImage:
    """What catalogue.add_photo reads of a processed photo."""

    content_hash: str
    width: int = 800
    height: int = 800


@ON_EVERY_BACKEND
def test_photos_change_the_result_image_once_confirmed(honey, admin):
    catalogue.add_photo(honey, FakeStoredImage("a" * 64))
    db.session.commit()
    assert run_search("kelulut sungai").items[0]["image"] is None
    moderation.confirm_change(honey, admin)
    db.session.commit()
    assert run_search("kelulut sungai").items[0]["image"] == "a" * 64
    catalogue.remove_photo(honey, honey.images[0].id)
    moderation.confirm_change(honey, admin)
    db.session.commit()
    assert run_search("kelulut sungai").items[0]["image"] is None


def test_a_failing_drain_never_fails_the_commit(app, honey, tmp_path, caplog):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("x")
    app.config["SEARCH_INDEX_DIR"] = str(blocker / "index")
    catalogue.set_stock(honey, 1)
    with caplog.at_level(logging.ERROR):
        db.session.commit()                             # no exception
    assert "draining the outbox after commit failed" in caplog.text
    assert outbox_rows() == [("product", honey.id)]    # kept for the next drain


def test_a_slow_drain_never_deletes_the_row_of_a_newer_change(app, honey, admin):
    """A drain that read a row, then stalled while another process applied and deleted it, deletes by
    id when it finishes: the next change's row must not have that id."""
    app.config["SEARCH_SYNC_ON_COMMIT"] = False
    bind = db.session.get_bind()
    catalogue.set_stock(honey, 3)
    db.session.commit()
    slow = sync.read_batch(bind)
    assert sync.drain(app, bind) == 1                       # another process applies the same row
    catalogue.update_product(honey, details_of(honey, title="Madu Bunga Akasia"))
    moderation.confirm_change(honey, admin)
    db.session.commit()
    sync.delete_rows(bind, slow.row_ids)                    # the slow drain ends, late
    assert outbox_rows() == [("product", honey.id)]         # the newer change still waits
    assert sync.drain(app, bind) == 1
    assert titles(run_search("akasia")) == ["Madu Bunga Akasia"]
