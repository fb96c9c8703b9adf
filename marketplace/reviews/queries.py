"""What the review screens list: the buyer's item to review, a shop's reviews, the admins' list. Read-only."""
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..orders.models import Order, OrderItem, ShopOrder
from ..orders.queries import plausible_code
from ..shops.models import Shop
from .models import Review

PER_PAGE = 25
MAX_ID = 2**31 - 1


def _valid_id(value):
    return not isinstance(value, bool) and isinstance(value, int) and 0 < value <= MAX_ID


def buyer_item(buyer, code, item_id):
    """An item of the buyer's own order with that code, or None (anybody else's is None too)."""
    if not _valid_id(item_id) or not plausible_code(code):
        return None
    return db.session.scalar(
        select(OrderItem).join(OrderItem.shop_order).join(ShopOrder.order)
        .where(OrderItem.id == item_id, Order.code == code, Order.buyer_id == buyer.id)
        .options(joinedload(OrderItem.product), joinedload(OrderItem.shop_order)))


def review_of(buyer, product_id):
    """The buyer's review of a listing, or None."""
    return db.session.scalar(select(Review).where(Review.buyer_id == buyer.id, Review.product_id == product_id))


def producer_review(producer, review_id):
    """A review of the producer's own shop, or None (another shop's is None too)."""
    if not _valid_id(review_id):
        return None
    return db.session.scalar(select(Review).join(Shop, Shop.id == Review.shop_id)
                             .where(Review.id == review_id, Shop.owner_id == producer.id))


def _listing():
    return select(Review).options(joinedload(Review.buyer), joinedload(Review.product), joinedload(Review.shop))


def _paginate(query, page):
    return db.paginate(query.order_by(Review.created_at.desc(), Review.id.desc()), page=max(1, page),
                       per_page=PER_PAGE, error_out=False, count=True)


def shop_reviews(shop, page=1):
    """Every review of a shop's listings, hidden ones included (the producer is told why), newest first."""
    return _paginate(_listing().where(Review.shop_id == shop.id), page)


def all_reviews(status="", page=1):
    """Reviews for the admins, newest first; status 'hidden' or 'visible' narrows them."""
    query = _listing()
    if status == "hidden":
        query = query.where(Review.hidden.is_(True))
    elif status == "visible":
        query = query.where(Review.hidden.is_(False))
    return _paginate(query, page)


def get_review(review_id):
    """The review with that id, or None (also for ids no column could hold)."""
    return db.session.get(Review, review_id) if _valid_id(review_id) else None
