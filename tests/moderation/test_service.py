"""Moderation rules: every state change of a listing or shop, and every refusal, through the real services."""
from dataclasses import fields

import pytest
from sqlalchemy import func, select, update

from marketplace.catalogue import service as catalogue
from marketplace.catalogue.models import Category, Product
from marketplace.errors import InvalidInput, InvalidState, NotAllowed
from marketplace.extensions import db
from marketplace.moderation import queries, service
from marketplace.moderation.models import ModerationDecision, ProductSnapshot


def decisions(**where):
    """The audit rows matching the filters, oldest first."""
    query = select(ModerationDecision).order_by(ModerationDecision.id)
    for name, value in where.items():
        query = query.where(getattr(ModerationDecision, name) == value)
    return db.session.scalars(query).all()


def edit(product, **changes):
    """Edit a listing through the catalogue service, as its producer would."""
    current = {field.name: getattr(product, field.name) for field in fields(catalogue.ProductDetails)}
    catalogue.update_product(product, catalogue.ProductDetails(**{**current, **changes}))
    db.session.commit()


def category_id(slug):
    return db.session.scalar(select(Category.id).where(Category.slug == slug))


# ---- review queue: draft -> pending -> approved / rejected -> resubmitted -> approved


def test_approve_pending_publishes_and_records_who_and_what(make_product, admin, add_photo):
    product = make_product(status="draft")
    photo = add_photo(product)
    catalogue.submit_product(product)
    decision = service.approve_product(product, admin)
    assert product.status == "approved" and product.is_public
    assert product.approved_at is not None and not product.changed_since_approval
    assert (decision.action, decision.actor, decision.product, decision.shop, decision.automatic) == (
        "approve", admin, product, product.shop, False)
    snapshot = queries.latest_snapshot(product)
    assert (snapshot.title, snapshot.description, snapshot.category_id, snapshot.photo_hashes) == (
        product.title, product.description, product.category_id, [photo])
    assert snapshot.decision is decision


def test_reject_pending_sends_it_back_with_the_reason(make_product, admin):
    product = make_product(status="pending")
    service.reject_product(product, admin, service.compose_reason("missing_permit", "Nomor P-IRT belum ada."))
    assert product.status == "rejected" and not product.is_public
    assert product.rejection_reason == "Nomor P-IRT/halal belum dicantumkan: Nomor P-IRT belum ada."
    [decision] = decisions(product_id=product.id, action="reject")
    assert decision.reason == product.rejection_reason and decision.actor is admin


def test_rejected_listing_is_fixed_resubmitted_and_approved(make_product, admin):
    product = make_product(status="rejected")
    edit(product, title="Madu kelulut dengan foto baru")
    catalogue.submit_product(product)
    assert product.status == "pending"
    service.approve_product(product, admin)
    assert product.status == "approved" and product.rejection_reason == ""
    assert [d.action for d in decisions(product_id=product.id)] == ["reject", "approve"]


@pytest.mark.parametrize("status, words", [
    ("draft", "masih draf"), ("approved", "sudah disetujui"), ("rejected", "sudah ditolak"),
    ("archived", "sudah diarsipkan")])
def test_approve_refuses_anything_but_pending(make_product, admin, status, words):
    product = make_product(status=status)
    before = len(decisions())
    with pytest.raises(InvalidState, match="tidak dapat disetujui") as refused:
        service.approve_product(product, admin)
    assert words in refused.value.message
    assert product.status == status and len(decisions()) == before


def test_approving_twice_is_refused(make_product, admin):
    product = make_product(status="pending")
    service.approve_product(product, admin)
    with pytest.raises(InvalidState, match="sudah disetujui"):
        service.approve_product(product, admin)
    assert len(decisions(product_id=product.id, action="approve")) == 1


@pytest.mark.parametrize("status", ["draft", "approved", "rejected", "archived"])
def test_reject_refuses_anything_but_pending(make_product, admin, status):
    product = make_product(status=status)
    with pytest.raises(InvalidState, match="tidak dapat ditolak"):
        service.reject_product(product, admin, "Foto kurang jelas")
    assert product.status == status


@pytest.mark.parametrize("reason", ["", "   ", "\x00\x01", "x" * 2001])
def test_reject_needs_a_sensible_reason(make_product, admin, reason):
    product = make_product(status="pending")
    with pytest.raises(InvalidInput):
        service.reject_product(product, admin, reason)
    assert product.status == "pending" and decisions(product_id=product.id) == []


def test_a_decision_lost_to_a_faster_admin_is_refused(make_product, admin):
    """Another admin approved it after we loaded it: our copy still says pending, the database does not."""
    product = make_product(status="pending")
    db.session.execute(update(Product).where(Product.id == product.id).values(status="approved"),
                       execution_options={"synchronize_session": False})
    assert product.status == "pending"
    with pytest.raises(InvalidState, match="sudah disetujui"):
        service.approve_product(product, admin)
    assert decisions(product_id=product.id) == []


@pytest.mark.parametrize("role", ["buyer", "producer", None])
def test_only_admins_decide(make_product, make_user, role):
    product = make_product(status="pending")
    actor = make_user(role) if role else None
    for decide in (lambda: service.approve_product(product, actor),
                   lambda: service.reject_product(product, actor, "Foto kurang jelas"),
                   lambda: service.suspend_shop(product.shop, actor, "Penipuan"),
                   lambda: service.set_trusted(product.shop, actor, True)):
        with pytest.raises(NotAllowed):
            decide()
    assert product.status == "pending" and product.shop.status == "active" and not product.shop.trusted


def test_bulk_approval_approves_what_it_can_and_names_the_rest(make_product, admin):
    first, second = make_product(status="pending"), make_product(status="pending")
    already, draft = make_product(status="approved"), make_product(status="draft")
    approved, refused = service.approve_products([first.id, already.id, second.id, draft.id, 10**9, first.id],
                                                 admin)
    assert approved == [first, second]
    assert [product_id for product_id, _why in refused] == [already.id, draft.id, 10**9]
    assert "sudah disetujui" in refused[0][1] and "masih draf" in refused[1][1]
    assert "tidak ditemukan" in refused[2][1]
    assert first.status == second.status == "approved" and draft.status == "draft"


@pytest.mark.parametrize("ids", [[], list(range(1, 202))])
def test_bulk_approval_needs_a_sensible_selection(admin, ids):
    with pytest.raises(InvalidInput):
        service.approve_products(ids, admin)


# ---- reasons


def test_compose_reason():
    assert service.compose_reason("unclear_photo") == "Foto kurang jelas"
    assert service.compose_reason("wrong_category", "  Ini kopi, bukan madu. ") == \
        "Kategori tidak sesuai: Ini kopi, bukan madu."
    assert service.compose_reason("other", "Judul\x00 berisi\r\nnomor HP") == "Judul berisi\nnomor HP"
    with pytest.raises(InvalidInput, match="Tuliskan"):
        service.compose_reason("other", "  ")
    for code in ("", "unknown", "<script>", None):
        with pytest.raises(InvalidInput, match="Pilih alasan"):
            service.compose_reason(code, "x")


# ---- trusted shops


def test_trusted_shop_listing_is_approved_on_submission_and_logged_as_automatic(make_shop, make_product, admin):
    shop = make_shop()
    service.set_trusted(shop, admin, True)
    product = make_product(shop=shop, status="pending")
    assert product.status == "approved" and product.is_public
    [decision] = decisions(product_id=product.id)
    assert (decision.action, decision.automatic, decision.actor) == ("approve", True, None)
    assert queries.latest_snapshot(product).title == product.title
    assert [d.action for d in decisions(shop_id=shop.id, product_id=None)] == ["trust_shop"]


def test_trust_can_be_taken_away_and_new_listings_wait_again(make_shop, make_product, admin):
    shop = make_shop()
    service.set_trusted(shop, admin, True)
    service.set_trusted(shop, admin, False)
    assert make_product(shop=shop, status="pending").status == "pending"
    assert [d.action for d in decisions(shop_id=shop.id)] == ["trust_shop", "untrust_shop"]


def test_trust_refusals(make_shop, admin):
    shop = make_shop()
    with pytest.raises(InvalidState, match="memang tidak"):
        service.set_trusted(shop, admin, False)
    service.set_trusted(shop, admin, True)
    with pytest.raises(InvalidState, match="sudah ditandai"):
        service.set_trusted(shop, admin, True)
    other = make_shop()
    service.suspend_shop(other, admin, "Penipuan")
    with pytest.raises(InvalidState, match="dibekukan"):
        service.set_trusted(other, admin, True)
    assert not other.trusted


# ---- changed since approval: approved -> changed -> confirmed / unpublished


def test_edited_listing_shows_what_changed(make_product, add_photo):
    product = make_product()
    old_photo = add_photo(product)  # a photo added after approval is itself a change
    assert product.changed_since_approval
    snapshot_title = product.title
    edit(product, title="Madu kelulut hutan", description="Baru.", category_id=category_id("kopi"))
    summary = queries.change_summary(product)
    assert (summary.title.old, summary.title.new, summary.title.changed) == (snapshot_title, "Madu kelulut hutan",
                                                                             True)
    assert (summary.description.old, summary.description.new) == ("Madu asli.", "Baru.")
    assert (summary.category.old.slug, summary.category.new.slug) == ("madu", "kopi")
    assert (summary.old_photos, summary.new_photos, summary.added_photos) == ([], [old_photo], [old_photo])
    assert summary.photos_changed and summary.removed_photos == []


def test_regulation_numbers_are_kept_with_the_approval_and_compared(make_product, admin):
    product = make_product(status="pending", pirt_number="206640201012345")
    service.approve_product(product, admin)
    edit(product, pirt_number="206640201099999", halal_number="ID64110000123450224")
    changes = {change.name: change for change in queries.change_summary(product).regulations}
    assert product.changed_since_approval
    assert (changes["pirt_number"].old, changes["pirt_number"].new) == ("206640201012345", "206640201099999")
    assert changes["halal_number"].changed and not changes["bpom_number"].changed
    service.confirm_change(product, admin)
    assert not any(change.changed for change in queries.change_summary(product).regulations)


def test_price_and_stock_edits_are_not_changes_to_review(make_product):
    product = make_product()
    edit(product, price_idr=65000, stock=3)
    assert not product.changed_since_approval


def test_confirming_a_change_makes_it_the_approved_version(make_product, admin):
    product = make_product()
    edit(product, title="Madu kelulut hutan")
    decision = service.confirm_change(product, admin)
    assert product.status == "approved" and not product.changed_since_approval and product.is_public
    assert decision.action == "confirm_change" and decision.actor is admin
    assert queries.latest_snapshot(product).title == "Madu kelulut hutan"
    assert not queries.change_summary(product).title.changed
    with pytest.raises(InvalidState, match="tidak berubah"):
        service.confirm_change(product, admin)


@pytest.mark.parametrize("status", ["draft", "pending", "rejected", "archived"])
def test_confirming_needs_an_approved_listing(make_product, admin, status):
    product = make_product(status=status)
    with pytest.raises(InvalidState, match="tidak dapat dikonfirmasi"):
        service.confirm_change(product, admin)


def test_unpublishing_a_change_sends_it_back_to_the_producer(make_product, admin):
    product = make_product()
    edit(product, title="Madu kelulut obat segala penyakit")
    service.unpublish_product(product, admin, service.compose_reason("misleading_price", "Klaim berlebihan."))
    assert product.status == "rejected" and not product.is_public and not product.changed_since_approval
    assert product.rejection_reason == "Harga menyesatkan: Klaim berlebihan."
    assert decisions(product_id=product.id)[-1].action == "unpublish"
    edit(product, title="Madu kelulut")
    catalogue.submit_product(product)
    assert product.status == "pending"


@pytest.mark.parametrize("status", ["draft", "pending", "rejected", "archived"])
def test_unpublishing_needs_an_approved_listing(make_product, admin, status):
    product = make_product(status=status)
    with pytest.raises(InvalidState, match="tidak dapat diturunkan"):
        service.unpublish_product(product, admin, "Barang terlarang")
    assert product.status == status


def test_listing_approved_before_snapshots_has_no_summary(make_product):
    product = make_product()
    db.session.execute(ProductSnapshot.__table__.delete().where(ProductSnapshot.product_id == product.id))
    assert queries.change_summary(product) is None


# ---- shops: active -> suspended -> active


def test_suspending_takes_every_listing_out_at_once_and_reinstating_brings_them_back(make_shop, make_product,
                                                                                      admin):
    shop = make_shop()
    listings = [make_product(shop=shop), make_product(shop=shop)]
    public = lambda: set(db.session.scalars(catalogue.public_products().where(Product.shop_id == shop.id)))  # noqa
    assert public() == set(listings)
    decision = service.suspend_shop(shop, admin, "  Banyak laporan penipuan.\x00 ")
    assert shop.status == "suspended" and shop.suspension_reason == "Banyak laporan penipuan."
    assert decision.action == "suspend_shop" and decision.reason == shop.suspension_reason
    assert public() == set() and not any(product.is_public for product in listings)
    assert all(product.status == "approved" for product in listings)  # nothing to resubmit after reinstatement
    service.reinstate_shop(shop, admin, "Sudah diklarifikasi.")
    assert shop.status == "active" and shop.suspension_reason == ""
    assert public() == set(listings)
    assert [d.action for d in decisions(shop_id=shop.id, product_id=None)] == ["suspend_shop", "reinstate_shop"]


def test_suspending_twice_and_reinstating_an_active_shop_are_refused(make_shop, admin):
    shop = make_shop()
    with pytest.raises(InvalidState, match="tidak sedang dibekukan"):
        service.reinstate_shop(shop, admin)
    service.suspend_shop(shop, admin, "Penipuan")
    with pytest.raises(InvalidState, match="sudah dibekukan"):
        service.suspend_shop(shop, admin, "Lagi")
    assert shop.suspension_reason == "Penipuan"
    assert len(decisions(shop_id=shop.id)) == 1


@pytest.mark.parametrize("reason", ["", "   ", "x" * 2001])
def test_suspension_needs_a_reason(make_shop, admin, reason):
    shop = make_shop()
    with pytest.raises(InvalidInput):
        service.suspend_shop(shop, admin, reason)
    assert shop.status == "active"


def test_suspension_also_takes_trust_away(make_shop, admin):
    shop = make_shop()
    service.set_trusted(shop, admin, True)
    service.suspend_shop(shop, admin, "Penipuan")
    assert not shop.trusted
    assert [d.action for d in decisions(shop_id=shop.id)] == ["trust_shop", "suspend_shop", "untrust_shop"]


# ---- the audit trail itself


def test_decisions_cannot_be_edited_or_deleted(make_product):
    product = make_product()
    [decision] = decisions(product_id=product.id)
    decision.reason = "rewritten history"
    with pytest.raises(InvalidState, match="tidak dapat diubah"):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.get(ModerationDecision, decision.id))
    with pytest.raises(InvalidState, match="tidak dapat diubah"):
        db.session.flush()
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(ModerationDecision)
                             .where(ModerationDecision.product_id == product.id)) == 1
