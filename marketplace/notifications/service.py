"""Writing notifications: who hears about which order event, rendered in their language, written once.

Rows are written in the caller's transaction (the state change and its message commit or vanish together);
sending happens after the commit (marketplace/notifications/mail.py) or from `flask notifications send`.
"""
import hashlib

from flask import current_app, has_request_context, render_template, url_for
from flask_babel import force_locale
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
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


def order_flagged(order, reason, admins):
    """Tell every admin that an order was put in front of them, with the reason (once per order and reason)."""
    tag = hashlib.sha256(reason.encode()).hexdigest()[:16]
    for admin in admins:
        _write("flagged", "admin", admin, order, None, tag=tag, reason=reason)


def _write(kind, audience, recipient, order, part, tag="", **context):
    """Render one message in the recipient's language and insert it unless it was written before."""
    key = f"{kind}:{audience}:{order.id}:{part.id if part is not None else 0}:{recipient.id}{':' + tag if tag else ''}"
    if db.session.scalar(select(Notification.id).where(Notification.dedupe_key == key)) is not None:
        return
    locale = recipient.locale if recipient.locale in current_app.config["LANGUAGES"] else \
        current_app.config["BABEL_DEFAULT_LOCALE"]
    subject, body = render(f"notifications/{audience}_{kind}.txt", locale, order=order, part=part,
                           recipient=recipient, order_url=_link(audience, order, part), **context)
    values = dict(dedupe_key=key, kind=f"{audience}_{kind}", recipient_id=recipient.id, to_email=recipient.email,
                  locale=locale, subject=subject[:200], body=body, created_at=utcnow(), attempts=0, last_error="")
    # A concurrent writer of the same event makes this insert fail on the unique key: the savepoint keeps
    # the caller's transaction alive, and one copy exists either way.
    savepoint = db.session.begin_nested()
    try:
        row_id = db.session.execute(insert(Notification).values(**values).returning(Notification.id)).scalar_one()
    except IntegrityError:
        savepoint.rollback()
        return
    savepoint.commit()
    db.session.info.setdefault(PENDING, []).append(row_id)  # sent right after the commit (sending.py)


def render(template, locale, **context):
    """(subject, body) of a plain-text message template whose first line is 'Subject: ...'."""
    with force_locale(locale):
        text = render_template(template, **context)
    first, _sep, rest = text.lstrip().partition("\n")
    return first.removeprefix("Subject:").strip(), rest.strip() + "\n"


def _link(audience, order, part):
    """The page the recipient acts on: the buyer's order page, or the producer's view of their part."""
    endpoint, values = {"buyer": ("orders.order_page", {"code": order.code}),
                        "admin": ("orders_admin.flagged_orders", {"_anchor": f"pesanan-{order.code}"}),
                        }.get(audience) or ("shops.shop_order", {"shop_order_id": part.id})
    if has_request_context():
        return url_for(endpoint, _external=True, **values)
    base = current_app.config.get("SITE_URL") or "http://localhost"
    with current_app.test_request_context(base_url=base):
        return url_for(endpoint, _external=True, **values)
