"""Review rules: a buyer rates what they received once, the producer answers once, an admin hides what breaks
the rules (recorded in the moderation audit log). Public figures count visible reviews only."""
import re
from decimal import ROUND_HALF_UP, Decimal
from functools import cache

from flask_babel import gettext as _
from sqlalchemy import bindparam, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from ..driver_reads import driver_rows
from ..errors import InvalidInput, InvalidState, NotAllowed
from ..extensions import db
from ..models_base import utcnow
from ..notifications import service as notify
from ..moderation.models import ModerationDecision
from ..moderation.service import MAX_REASON
from ..text import plain_text
from .models import MAX_BODY, Review
from .queries import review_of

MAX_REPLY = 2000
RATINGS = (1, 2, 3, 4, 5)
PUBLIC_LIMIT = 20
_NO_SYNC = {"synchronize_session": False}
_BLANK_LINES = re.compile(r"\n{3,}")


def normalise_text(text):
    """Typed text with each line's runs of blanks made one space, at most one empty line in a row,
    no control characters and no outer blanks (paragraphs stay)."""
    lines = (" ".join(line.split()) for line in plain_text(str(text or "")).split("\n"))
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def _rating(value):
    # bool is an int to Python, but True stars mean nothing; strings are the form's job to convert.
    if isinstance(value, bool) or not isinstance(value, int) or value not in RATINGS:
        raise InvalidInput(_("Pilih 1 sampai 5 bintang."), field="rating")
    return value


def check_reviewable(buyer, order_item):
    """Raise the reason the buyer may not review this item now (not theirs, not completed, already reviewed)."""
    part = order_item.shop_order
    if buyer is None or part.order.buyer_id != buyer.id:
        raise NotAllowed(_("Anda hanya dapat mengulas barang yang Anda beli sendiri."))
    if part.shop.owner_id == buyer.id:  # orders from one's own shop are refused; older ones may exist
        raise NotAllowed(_("Pemilik toko tidak dapat mengulas produk tokonya sendiri."))
    if part.state != "completed":
        raise InvalidState(_("Ulasan dapat ditulis setelah pesanan selesai, yaitu setelah barang Anda terima."))
    if review_of(buyer, order_item.product_id) is not None:
        raise InvalidState(_("Anda sudah mengulas produk ini. Setiap produk hanya dapat diulas sekali."))


def write_review(buyer, order_item, rating, body=""):
    """The buyer's 1 to 5 stars (and optional words) for an item of a completed order; once per product."""
    check_reviewable(buyer, order_item)
    rating = _rating(rating)
    body = normalise_text(body)
    if len(body) > MAX_BODY:
        raise InvalidInput(_("Ulasan paling panjang 2.000 karakter."), field="body")
    review = Review(product_id=order_item.product_id, shop_id=order_item.shop_order.shop_id, buyer_id=buyer.id,
                    order_item_id=order_item.id, rating=rating, body=body)
    # Two submissions at once both pass the check above; the unique constraint lets only one in, and the
    # savepoint keeps the loser's transaction usable so it can be told why.
    try:
        with db.session.begin_nested():
            db.session.add(review)
    except IntegrityError:
        raise InvalidState(_("Anda sudah mengulas produk ini. Setiap produk hanya dapat diulas sekali.")) from None
    notify.review_written(review)
    return review


def reply(producer, review, text):
    """The shop owner's one public answer to a review."""
    if producer is None or review.shop.owner_id != producer.id:
        raise NotAllowed(_("Hanya pemilik toko yang dapat membalas ulasan ini."))
    if review.hidden:
        raise InvalidState(_("Ulasan ini disembunyikan oleh admin dan tidak dapat dibalas."))
    text = normalise_text(text)
    if not text:
        raise InvalidInput(_("Tuliskan balasan Anda."), field="text")
    if len(text) > MAX_REPLY:
        raise InvalidInput(_("Balasan paling panjang 2.000 karakter."), field="text")
    now = utcnow()
    # Only the first of two answers (two tabs, two phones) gets in.
    result = db.session.execute(update(Review).where(Review.id == review.id, Review.replied_at.is_(None))
                                .values(reply=text, replied_at=now), execution_options=_NO_SYNC)
    if result.rowcount != 1:
        db.session.refresh(review)
        raise InvalidState(_("Ulasan ini sudah Anda balas. Balasan hanya dapat dikirim sekali."))
    db.session.refresh(review)
    notify.review_replied(review)
    return review


def hide_review(admin, review, reason):
    """Take a review off the public pages, with the reason, recorded in the moderation audit log."""
    if admin is None or not admin.is_admin:
        raise NotAllowed(_("Hanya admin yang dapat menyembunyikan ulasan."))
    reason = plain_text(reason)
    if not reason:
        raise InvalidInput(_("Tuliskan alasannya."), field="reason")
    if len(reason) > MAX_REASON:
        raise InvalidInput(_("Alasan paling panjang 2.000 karakter."), field="reason")
    result = db.session.execute(update(Review).where(Review.id == review.id, Review.hidden.is_(False))
                                .values(hidden=True, hidden_reason=reason, hidden_at=utcnow()),
                                execution_options=_NO_SYNC)
    if result.rowcount != 1:
        db.session.refresh(review)
        raise InvalidState(_("Ulasan ini sudah disembunyikan."))
    decision = ModerationDecision(review_id=review.id, product_id=review.product_id, shop_id=review.shop_id,
                                  action="review_hidden", reason=reason, actor=admin)
    db.session.add(decision)
    db.session.flush()
    db.session.refresh(review)
    return decision


def _summary(statement, owner_id):
    ((total, count),) = driver_rows(db.session, statement, {"id": owner_id})
    return summary_of(total, count)


def summary_of(total, count):
    """(average stars rounded to one decimal or None, count) from the sum of the stars and their count."""
    if not count:
        return None, 0
    # Exact decimal arithmetic: 4.25 shows as 4.3, as people round, not 4.2 as binary floats would.
    average = (Decimal(int(total)) / Decimal(count)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return float(average), count


def rating_summary(product_id):
    """(average stars rounded to one decimal or None, number of visible reviews) of a listing."""
    return _summary(_summary_select("product"), product_id)


def shop_rating_summary(shop_id):
    """(average stars rounded to one decimal or None, number of visible reviews) over a shop's listings."""
    return _summary(_summary_select("shop"), shop_id)


def shop_rating_columns(shop_id_column):
    """The sum and count of a shop's visible stars as two scalar subqueries correlated to `shop_id_column`, for
    a select of shops that wants its rating in the same statement (summary_of makes the summary)."""
    visible = _visible_stars(Review.shop_id, shop_id_column)
    return (select(func.sum(Review.rating)).where(visible).scalar_subquery(),
            select(func.count(Review.id)).where(visible).scalar_subquery())


def visible_reviews(product_id, limit=PUBLIC_LIMIT):
    """A listing's reviews that are not hidden, newest first, with their writers (one query)."""
    return db.session.scalars(_visible_select(), {"product_id": product_id, "limit": limit}).all()


# The public product and shop pages run these on every view: each select is built once per process, with
# bind parameters (building it cost more than running it), as catalogue/queries.py does for listings.
@cache
def _visible_select():
    return (select(Review).where(Review.product_id == bindparam("product_id"), Review.hidden.is_(False))
            .options(joinedload(Review.buyer)).order_by(Review.created_at.desc(), Review.id.desc())
            .limit(bindparam("limit")))


@cache
def _summary_select(of):
    column = Review.product_id if of == "product" else Review.shop_id
    return select(func.sum(Review.rating), func.count(Review.id)).where(_visible_stars(column, bindparam("id")))


def _visible_stars(column, owner):
    """The reviews whose stars a rating counts: those of the owner (a listing or a shop) not hidden."""
    return (column == owner) & Review.hidden.is_(False)


def reviewable_items(buyer, order):
    """The items of the buyer's order that can still be reviewed: in a completed part, product not yet
    reviewed by them (each product once, even when several orders held it)."""
    if buyer is None or order.buyer_id != buyer.id:
        return []
    items = [item for part in order.shop_orders if part.state == "completed" and part.shop.owner_id != buyer.id
             for item in part.items]
    if not items:
        return []
    reviewed = set(db.session.scalars(select(Review.product_id).where(
        Review.buyer_id == buyer.id, Review.product_id.in_({item.product_id for item in items}))))
    reviewable = []
    for item in items:
        if item.product_id not in reviewed:
            reviewed.add(item.product_id)
            reviewable.append(item)
    return reviewable


def public_name(name):
    """How a reviewer is shown to everyone: first name and the initial of the last ('Rina W.')."""
    words = str(name or "").split()
    if not words:
        return _("Pembeli")
    return f"{words[0]} {words[-1][0]}." if len(words) > 1 else words[0]
