"""Capturing changes for the index: an outbox row in the same transaction as the change.

Changes are gathered after each flush (warehouse's pattern: after_flush sees every flushed object,
autoflushed ones included) and written at once through the flushing connection, so they commit or
roll back with the change itself. After the commit, the outbox is drained into the index
(sync.drain); a rollback takes the rows with it and leaves nothing to forget.
"""
import logging

from flask import current_app, has_app_context
from sqlalchemy import event, inspect, insert
from sqlalchemy.orm import Session

from ..catalogue.models import Category, Product, ProductImage
from ..models_base import utcnow
from ..shops.models import Shop
from .models import SearchOutbox

log = logging.getLogger(__name__)

PRODUCT_FIELDS = ("title", "description", "unit", "price_idr", "stock", "status", "category_id", "shop_id",
                  "slug", "approved_at")
SHOP_FIELDS = ("name", "slug", "district_code", "status")
CATEGORY_FIELDS = ("slug", "name_id", "name_en", "parent_id")
DRAIN_SESSION = "search_drain"      # session.info key: the drain's own sessions are not watched
COMMITTED = "search_outbox_committed"  # session.info key: committed rows wait for the connection to go back
PENDING = "search_outbox_pending"   # session.info key: this transaction wrote outbox rows


def _changed(obj, names):
    attrs = inspect(obj).attrs
    return any(attrs[name].history.has_changes() for name in names)


def _maybe_public(product):
    # Only a listing that is or was approved can be (or have been) in the index; drafts are skipped.
    deleted = inspect(product).attrs.status.history.deleted or ()
    return product.status == "approved" or "approved" in deleted


def _image_product_ids(image):
    attrs = inspect(image).attrs
    ids = {image.product_id} | set(attrs.product_id.history.deleted or ())
    ids |= {product.id for product in attrs.product.history.deleted or () if product is not None}
    return {pid for pid in ids if pid is not None}


def changes(session):
    """The (kind, id) pairs the flushed objects of the session ask the index to revisit."""
    found = set()
    for obj in list(session.new) + list(session.dirty) + list(session.deleted):
        new_or_gone = obj in session.new or obj in session.deleted
        if isinstance(obj, Product):
            if _maybe_public(obj) and (new_or_gone or _changed(obj, PRODUCT_FIELDS)):
                found.add(("product", obj.id))
        elif isinstance(obj, ProductImage):
            found |= {("product", pid) for pid in _image_product_ids(obj)}
        elif isinstance(obj, Shop) and not new_or_gone and _changed(obj, SHOP_FIELDS):
            found.add(("shop", obj.id))
        elif isinstance(obj, Category) and not new_or_gone and _changed(obj, CATEGORY_FIELDS):
            found.add(("category", obj.id))
    return found


def record_changes(session, flush_context):
    """after_flush: write the outbox rows on the flushing connection, inside the same transaction."""
    if session.info.get(DRAIN_SESSION):
        return
    found = changes(session)
    if not found:
        return
    if _apply_in_transaction(session, found):
        return
    now = utcnow()
    rows = [{"kind": kind, "object_id": object_id, "created_at": now} for kind, object_id in sorted(found)]
    session.connection().execute(insert(SearchOutbox.__table__), rows)
    session.info[PENDING] = True


def _apply_in_transaction(session, pairs):
    """With a transactional backend, write the search data now, on the flushing connection: it commits
    or rolls back with the change. Returns False when the outbox must carry the change instead."""
    if not has_app_context():
        return False
    from .backend import backend_for
    from .sync import product_ids

    backend = backend_for(current_app._get_current_object())
    if not backend.transactional:
        return False
    connection = session.connection()
    backend.apply(connection, product_ids(connection, pairs))
    return True


def enqueue(session, kind, object_ids):
    """Ask the index to revisit objects changed by a bulk UPDATE, which the flush listener never sees
    (stock reserved and given back by orders); the rows go in the same transaction as the change.

    They wait for the next drain (the next listing change, or `flask search sync` from cron) rather than
    draining after this commit: a checkout must not wait for an index commit while buyers queue."""
    if session.info.get(DRAIN_SESSION) or not object_ids:
        return
    if _apply_in_transaction(session, {(kind, object_id) for object_id in object_ids}):
        return
    rows = [{"kind": kind, "object_id": object_id, "created_at": utcnow()} for object_id in sorted(set(object_ids))]
    if rows:
        session.connection().execute(insert(SearchOutbox.__table__), rows)


def forget(session, previous_transaction):
    """after_soft_rollback: the rows went with the transaction; nothing is pending any more. A savepoint
    rolled back inside it (a refused line of an import, a duplicate caught) leaves the outer rows pending."""
    if previous_transaction.parent is None:
        session.info.pop(PENDING, None)
        session.info.pop(COMMITTED, None)


def mark_committed(session):
    """after_commit: the outbox rows are committed; they are applied once the transaction let go of its connection."""
    if session.in_nested_transaction():  # SQLAlchemy fires after_commit for a savepoint too: wait for the real one
        return
    if session.info.pop(PENDING, False) and not session.info.get(DRAIN_SESSION):
        session.info[COMMITTED] = True


def drain_after_commit(session, transaction):
    """after_transaction_end: apply the outbox to the index now, without ever failing the committed request.

    The connection is back in the pool by then, so the drain's own connection is not a second one held."""
    if transaction.parent is not None or not session.info.pop(COMMITTED, False) or not has_app_context():
        return
    app = current_app._get_current_object()
    if not app.config.get("SEARCH_SYNC_ON_COMMIT", True):
        return
    try:
        from .sync import drain

        drain(app, session.get_bind())
    except Exception:  # noqa: BLE001 - the change is committed; `flask search sync` will catch up
        log.exception("search: draining the outbox after commit failed; rows stay for the next drain")


def install():
    """Listen to every SQLAlchemy session (idempotent)."""
    for name, listener in (("after_flush", record_changes), ("after_soft_rollback", forget),
                           ("after_commit", mark_committed), ("after_transaction_end", drain_after_commit)):
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)
