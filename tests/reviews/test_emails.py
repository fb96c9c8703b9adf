"""The producer hears about a new review of their listing, the buyer about the producer's answer."""
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.notifications.models import Notification
from marketplace.reviews import service


def emails(kind):
    return db.session.scalars(select(Notification).where(Notification.kind == kind)).all()


def test_a_review_and_its_reply_are_each_emailed_once(completed_item):
    item = completed_item()
    buyer, producer = item.shop_order.order.buyer, item.shop_order.shop.owner
    review = service.write_review(buyer, item, 4, "Madunya asli.")
    db.session.commit()
    [told] = emails("producer_reviewed")
    assert told.to_email == producer.email and "4 bintang" in told.body and "Madunya asli." in told.body
    assert "/dashboard/reviews" in told.body
    service.reply(producer, review, "Terima kasih, Bu!")
    db.session.commit()
    [answered] = emails("buyer_review_replied")
    assert answered.to_email == buyer.email and "Terima kasih, Bu!" in answered.body
    assert f"/toko/{review.shop.slug}/{review.product.slug}" in answered.body
    assert len(emails("producer_reviewed")) == 1


def test_a_refused_review_writes_no_email(completed_item):
    item = completed_item()
    try:
        service.write_review(item.shop_order.order.buyer, item, 9, "")
    except Exception:
        db.session.rollback()
    assert emails("producer_reviewed") == []
