"""Producers are emailed when an admin approves or rejects their listing (with the reason), in their language."""
from sqlalchemy import select

from marketplace.accounts.models import User
from marketplace.extensions import db
from marketplace.moderation import service
from marketplace.notifications.models import Notification


def emails(kind):
    return db.session.scalars(select(Notification).where(Notification.kind == kind)).all()


def test_approval_is_emailed_to_the_producer(make_product, make_user):
    product = make_product(status="pending", title="Madu Kelulut Jembayan")
    service.approve_product(product, make_user("admin"))
    db.session.commit()
    [told] = emails("producer_listing_approved")
    assert told.to_email == product.shop.owner.email
    assert "Madu Kelulut Jembayan" in told.subject and f"/dashboard/products/{product.id}/edit" in told.body


def test_rejection_is_emailed_with_the_reason_in_the_producers_language(make_product, make_user):
    product = make_product(status="pending", title="Amplang Muara")
    db.session.get(User, product.shop.owner_id).locale = "en"
    service.reject_product(product, make_user("admin"), "Foto buram, tolong foto ulang di tempat terang.")
    db.session.commit()
    [told] = emails("producer_listing_rejected")
    assert told.subject == "Your listing needs changes: Amplang Muara"
    assert "Foto buram, tolong foto ulang di tempat terang." in told.body


def test_an_automatic_approval_sends_nothing(make_product):
    product = make_product(status="pending")
    service.approve_product(product, None, automatic=True)
    db.session.commit()
    assert product.status == "approved" and emails("producer_listing_approved") == []
