"""Writing notifications: who hears about which order event, rendered in their language, written once.

Rows are written in the caller's transaction (the state change and its message commit or vanish together);
sending happens after the commit (marketplace/notifications/mail.py) or from `flask notifications send`.
"""
import hashlib
from functools import cache

from flask import current_app, render_template
from flask_babel import force_locale
from sqlalchemy.dialects import postgresql, sqlite

from ..extensions import db
from ..links import site_url_for
from ..models_base import utcnow
from .models import Notification

PENDING = "pasardesa_notifications_pending"  # session.info key: ids of the rows this transaction wrote
# Which order events each side hears about: the buyer about their order, the producer about their shop's part.
BUYER_KINDS = ("placed", "paid", "shipped", "ready_for_pickup", "cancelled")
PRODUCER_KINDS = ("paid", "cancelled")


def order_event(kind, order, part=None):
    """Write the notifications an order event owes: to the buyer, and to the producer of each part concerned."""
    parts = [part] if part is not None else list(order.shop_orders)
    if kind in BUYER_KINDS:
        _write(kind, "buyer", order.buyer, order, part)
    if kind in PRODUCER_KINDS:
        for each in parts:
            _write(kind, "producer", each.shop.owner, order, each)


def listing_decided(kind, product, decision):
    """Tell the producer their listing was approved or rejected ("approved" | "rejected"; the reason is told)."""
    write(f"listing_{kind}:{decision.id}", f"producer_listing_{kind}", product.shop.owner, product=product,
          reason=decision.reason, page_url=site_url_for("shops.edit_product", product_id=product.id))


def review_written(review):
    """Tell the producer a buyer reviewed one of their listings."""
    write(f"reviewed:{review.id}", "producer_reviewed", review.shop.owner, review=review,
          page_url=site_url_for("reviews.producer_reviews"))


def review_replied(review):
    """Tell the buyer the producer answered their review."""
    write(f"review_replied:{review.id}", "buyer_review_replied", review.buyer, review=review,
          page_url=site_url_for("catalogue.product", shop_slug=review.shop.slug, product_slug=review.product.slug))


def order_flagged(order, reason, admins):
    """Tell every admin that an order was put in front of them, with the reason (once per order and reason)."""
    tag = hashlib.sha256(reason.encode()).hexdigest()[:16]
    for admin in admins:
        _write("flagged", "admin", admin, order, None, tag=tag, reason=reason)


def _write(kind, audience, recipient, order, part, tag="", **context):
    """One message about an order event, unless it was written before; an address not verified yet gets
    nothing (the marketplace must not relay mail to addresses nobody proved theirs)."""
    key = f"{kind}:{audience}:{order.id}:{part.id if part is not None else 0}:{recipient.id}"
    key += f":{tag}" if tag else ""
    write(key, f"{audience}_{kind}", recipient, order=order, part=part, order_url=_link(audience, order, part),
          **context)


def write(dedupe_key, kind, recipient, **context):
    """Write notifications/<kind>.txt to a verified address once per dedupe_key, in the caller's transaction
    (sent after the commit); an address not verified yet gets nothing."""
    if recipient.email_verified_at is None:
        return
    _insert_message(dedupe_key, kind, recipient, **context)


def account_message(kind, recipient, dedupe_key, **context):
    """Write an email about the account itself (verify_email, already_registered, password_reset): the only
    messages an address gets before it is verified. A repeated dedupe_key writes nothing."""
    _insert_message(f"account:{dedupe_key}", f"account_{kind}", recipient, **context)


def _insert_message(key, kind, recipient, **context):
    """Render notifications/<kind>.txt in the recipient's language and insert it once under key.

    No query looks for the key first: a repeated event (rare: replays stop before they write) costs a rendering
    and an INSERT that does nothing, every first one a round trip fewer."""
    locale = recipient.locale if recipient.locale in current_app.config["LANGUAGES"] else \
        current_app.config["BABEL_DEFAULT_LOCALE"]
    subject, body = render(f"notifications/{kind}.txt", locale, recipient=recipient, **context)
    values = dict(dedupe_key=key, kind=kind, recipient_id=recipient.id, to_email=recipient.email,
                  locale=locale, subject=subject[:200], body=body, created_at=utcnow(), attempts=0, last_error="")
    # A key written before, or by a concurrent writer, meets the unique key: ON CONFLICT DO NOTHING returns no
    # row and the caller's transaction goes on, one copy existing either way, without a savepoint's round trips.
    row_id = db.session.execute(_insert_once(db.session.get_bind().dialect.name), values).scalar_one_or_none()
    if row_id is not None:
        db.session.info.setdefault(PENDING, []).append(row_id)  # sent right after the commit (sending.py)


@cache
def _insert_once(dialect):
    """INSERT ... ON CONFLICT (dedupe_key) DO NOTHING RETURNING id in the database's dialect, built once, on the
    table (a plain Core statement: the ORM's bulk-insert path costs more than the round trip)."""
    table = Notification.__table__
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(table).on_conflict_do_nothing(index_elements=[table.c.dedupe_key]).returning(table.c.id)


def render(template, locale, **context):
    """(subject, body) of a plain-text message template whose first line is 'Subject: ...'."""
    with force_locale(locale):
        text = render_template(template, **context)
    first, _sep, rest = text.lstrip().partition("\n")
    return first.removeprefix("Subject:").strip(), rest.strip() + "\n"


def _link(audience, order, part):
    """The page the recipient acts on: the buyer's order page, or the producer's view of their part."""
    if audience == "admin":
        return site_url_for("orders_admin.flagged_orders") + f"#pesanan-{order.code}"
    endpoint, values = ("orders.order_page", {"code": order.code}) if audience == "buyer" else \
        ("shops.shop_order", {"shop_order_id": part.id})
    return site_url_for(endpoint, **values)
