"""Review rules through the real service functions, on orders completed through the real fulfilment flow."""
import pytest
from sqlalchemy import func, select

from marketplace.errors import InvalidInput, InvalidState, NotAllowed
from marketplace.extensions import db
from marketplace.moderation import queries as moderation_queries
from marketplace.moderation.models import ModerationDecision
from marketplace.orders import service as orders
from marketplace.reviews import service
from marketplace.reviews.models import Review
from tests.reviews.conftest import build_world, reviews_of
from tests.worlds import module_world

# A completed item, a review and an admin built once for the module, each test rolled back to them.
world_built, app, world = module_world(build_world)


def test_buyer_reviews_an_item_of_a_completed_order(world):
    item = world["item"]
    review = service.write_review(item.shop_order.order.buyer, item, 4, "  Madunya   asli,\r\n\r\n\r\n manis.  ")
    db.session.commit()
    assert (review.rating, review.product_id, review.shop_id) == (4, item.product_id, item.shop_order.shop_id)
    assert review.order_item_id == item.id and review.buyer_id == item.shop_order.order.buyer_id
    assert review.body == "Madunya asli,\n\nmanis."
    assert not review.hidden and not review.has_reply


def test_body_is_optional(world):
    item = world["item"]
    assert service.write_review(item.shop_order.order.buyer, item, 5, None).body == ""


@pytest.mark.parametrize("stage", ["paid", "preparing", "shipped"])
def test_review_before_completion_is_refused(make_order, stage):
    order = make_order()
    part = order.shop_orders[0]
    if stage != "paid":
        orders.accept_shop_order(part, part.shop.owner)
    if stage == "shipped":
        orders.ship_shop_order(part, part.shop.owner, "jne", "JP123456")
    db.session.commit()
    with pytest.raises(InvalidState, match="setelah pesanan selesai"):
        service.write_review(order.buyer, part.items[0], 5, "")
    assert reviews_of(part.items[0].product_id) == 0


def test_unpaid_order_cannot_be_reviewed(make_order):
    order = make_order(paid=False)
    with pytest.raises(InvalidState):
        service.write_review(order.buyer, order.shop_orders[0].items[0], 5, "")


def test_someone_elses_item_is_refused(world, make_user):
    item = world["item"]
    for stranger in (make_user("buyer"), item.shop_order.shop.owner, world["admin"], None):
        with pytest.raises(NotAllowed):
            service.write_review(stranger, item, 5, "")
    assert reviews_of(item.product_id) == 0


def test_second_review_of_the_same_product_is_refused_even_from_another_order(completed_item, make_product):
    product = make_product()
    first = completed_item(product=product)
    buyer = first.shop_order.order.buyer
    service.write_review(buyer, first, 5, "")
    db.session.commit()
    with pytest.raises(InvalidState, match="sudah mengulas"):
        service.write_review(buyer, first, 1, "lagi")
    second = completed_item(buyer=buyer, product=product)
    with pytest.raises(InvalidState, match="sudah mengulas"):
        service.write_review(buyer, second, 1, "lagi")
    assert reviews_of(product.id) == 1


@pytest.mark.parametrize("rating", [0, 6, -1, "5", 5.0, 10**30, None, True, "", [5]])
def test_rating_must_be_an_int_from_1_to_5(world, rating):
    item = world["item"]
    with pytest.raises(InvalidInput) as refused:
        service.write_review(item.shop_order.order.buyer, item, rating, "")
    assert refused.value.field == "rating"
    assert reviews_of(item.product_id) == 0


def test_body_longer_than_2000_characters_is_refused(world):
    item = world["item"]
    buyer = item.shop_order.order.buyer
    with pytest.raises(InvalidInput, match="2.000") as refused:
        service.write_review(buyer, item, 5, "a" * 2001)
    assert refused.value.field == "body"
    assert service.write_review(buyer, item, 5, "a" * 2000 + "   \n\n ").body == "a" * 2000


def test_control_characters_and_nul_never_reach_the_database(world):
    item = world["item"]
    review = service.write_review(item.shop_order.order.buyer, item, 5, "enak\x00\x07 sekali\t\tpokoknya")
    db.session.commit()
    assert review.body == "enak sekali pokoknya"


def test_producer_replies_once(make_review):
    review = make_review(body="Mantap")
    owner = review.shop.owner
    service.reply(owner, review, "  Terima kasih,\r\n  Bu!  ")
    db.session.commit()
    assert review.reply == "Terima kasih,\nBu!" and review.has_reply
    with pytest.raises(InvalidState, match="sudah Anda balas"):
        service.reply(owner, review, "Balasan kedua")
    db.session.rollback()
    db.session.refresh(review)
    assert review.reply == "Terima kasih,\nBu!"


def test_a_stale_review_object_still_cannot_be_answered_twice(world):
    """Two tabs: both loaded the review unanswered; the conditional UPDATE lets one answer in."""
    review = world["review"]
    db.session.execute(Review.__table__.update().where(Review.id == review.id)
                       .values(reply="dari tab lain", replied_at=review.created_at))
    with pytest.raises(InvalidState):
        service.reply(review.shop.owner, review, "dari tab ini")
    assert review.reply == "dari tab lain"


def test_reply_by_another_producer_buyer_or_admin_is_refused(world, make_shop):
    review = world["review"]
    other_producer = make_shop().owner
    for stranger in (other_producer, review.buyer, world["admin"], None):
        with pytest.raises(NotAllowed):
            service.reply(stranger, review, "Bukan toko saya")
    db.session.refresh(review)
    assert not review.has_reply


@pytest.mark.parametrize("text", ["", "   \n\t ", "\x00", "a" * 2001])
def test_reply_must_be_1_to_2000_characters(world, text):
    review = world["review"]
    with pytest.raises(InvalidInput) as refused:
        service.reply(review.shop.owner, review, text)
    assert refused.value.field == "text"
    db.session.refresh(review)
    assert not review.has_reply


def test_hide_logs_a_decision_in_the_audit_and_takes_the_review_off_the_figures(make_review, make_user,
                                                                                 make_product):
    product = make_product()
    kept = make_review(rating=5, product=product)
    review = make_review(rating=1, body="Kata kasar", product=product)
    admin = make_user("admin")
    decision = service.hide_review(admin, review, "  Bahasa kasar  ")
    db.session.commit()
    assert review.hidden and review.hidden_reason == "Bahasa kasar" and review.hidden_at is not None
    assert (decision.action, decision.review_id, decision.product_id, decision.shop_id, decision.actor_id,
            decision.reason) == ("review_hidden", review.id, product.id, product.shop_id, admin.id, "Bahasa kasar")
    logged = moderation_queries.audit_log(action="review_hidden").items
    assert logged == [decision]
    assert service.rating_summary(product.id) == (5.0, 1)
    assert service.shop_rating_summary(product.shop_id) == (5.0, 1)
    assert service.visible_reviews(product.id) == [kept]


def test_hiding_twice_is_refused_and_logs_once(make_review, make_user):
    review = make_review()
    admin = make_user("admin")
    service.hide_review(admin, review, "Spam")
    db.session.commit()
    with pytest.raises(InvalidState, match="sudah disembunyikan"):
        service.hide_review(make_user("admin"), review, "Lagi")
    db.session.rollback()
    assert db.session.scalar(select(func.count()).where(ModerationDecision.review_id == review.id)) == 1
    assert review.hidden_reason == "Spam"


@pytest.mark.parametrize("reason", ["", "  ", "x" * 2001])
def test_hide_needs_a_reason(world, reason):
    review = world["review"]
    with pytest.raises(InvalidInput):
        service.hide_review(world["admin"], review, reason)
    assert not review.hidden


def test_only_admins_hide(world, make_user):
    review = world["review"]
    for actor in (review.buyer, review.shop.owner, make_user("producer"), None):
        with pytest.raises(NotAllowed):
            service.hide_review(actor, review, "Tidak suka")
    db.session.refresh(review)
    assert not review.hidden


def test_hidden_review_can_no_longer_be_answered(world):
    review = world["review"]
    service.hide_review(world["admin"], review, "Spam")
    with pytest.raises(InvalidState):
        service.reply(review.shop.owner, review, "Terima kasih")


def test_summaries_round_to_one_decimal_half_up(make_review, make_product, make_shop):
    shop = make_shop()
    product, other = make_product(shop=shop), make_product(shop=shop)
    assert service.rating_summary(product.id) == (None, 0)
    assert service.shop_rating_summary(shop.id) == (None, 0)
    for rating in (5, 4, 4, 4):  # 4.25
        make_review(rating=rating, product=product)
    make_review(rating=1, product=other)
    assert service.rating_summary(product.id) == (4.3, 4)
    assert service.rating_summary(other.id) == (1.0, 1)
    assert service.shop_rating_summary(shop.id) == (3.6, 5)  # 18 / 5


def test_visible_reviews_newest_first_with_a_limit(make_review, make_product):
    product = make_product()
    made = [make_review(rating=r, product=product) for r in (1, 2, 3)]
    assert service.visible_reviews(product.id) == made[::-1]
    assert service.visible_reviews(product.id, limit=2) == made[:0:-1]


def test_reviewable_items(make_order, make_product, complete, make_user):
    first, second = make_product(), make_product()
    order = make_order(lines=[(first, 1), (second, 1)])
    buyer = order.buyer
    assert service.reviewable_items(buyer, order) == []
    complete(order)
    items = [part.items[0] for part in order.shop_orders]
    assert service.reviewable_items(buyer, order) == items
    assert service.reviewable_items(make_user("buyer"), order) == []
    assert service.reviewable_items(None, order) == []
    service.write_review(buyer, items[0], 5, "")
    db.session.commit()
    assert service.reviewable_items(buyer, order) == items[1:]


def test_reviewable_items_only_from_completed_parts(make_order, make_product):
    first, second = make_product(), make_product()
    order = make_order(lines=[(first, 1), (second, 1)], fulfilment="pickup")
    done = order.shop_orders[0]
    orders.accept_shop_order(done, done.shop.owner)
    orders.mark_ready_for_pickup(done, done.shop.owner)
    orders.hand_over(done, done.shop.owner)
    db.session.commit()
    assert service.reviewable_items(order.buyer, order) == list(done.items)


@pytest.mark.parametrize("name, shown", [("Rina Wulandari", "Rina W."), ("Budi", "Budi"),
                                         ("  Siti  Nur  Aisyah ", "Siti A."), ("", "Pembeli")])
def test_public_name(app, name, shown):
    with app.test_request_context():
        assert service.public_name(name) == shown
