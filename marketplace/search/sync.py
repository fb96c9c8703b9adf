"""Keeping the search data true to the database: draining the outbox, rebuilding, checking for drift.

The drain protocol (for a backend fed by the outbox, such as Whoosh), safe with any number of processes:
  1. while the outbox has rows: read a batch of rows; apply their listings' current state to the
     backend, which takes the index lock without waiting; if another process holds it, stop: that
     process checks the outbox again after releasing the lock, so it sees our rows;
  2. only then delete the rows (a process killed before this re-applies them next time; applying
     the current state twice is harmless).
A transactional backend (PostgreSQL) writes its documents in the listing's own transaction and leaves
no rows; a drain then only applies rows left from before a switch of backend.
"""
import logging
import os
from dataclasses import dataclass

from sqlalchemy import delete, insert, select

from ..catalogue.models import Product
from ..database import side_session
from .backend import IndexBusy, backend_for
from .documents import fingerprint, listing_rows
from .models import SearchOutbox
from .outbox import DRAIN_SESSION

log = logging.getLogger(__name__)

# Operational knobs (environment): rows per index commit, and a pause after each document that lets
# a test kill a drain half-way through.
DRAIN_BATCH = int(os.environ.get("SEARCH_DRAIN_BATCH", "500"))
DRAIN_PAUSE = float(os.environ.get("SEARCH_DRAIN_PAUSE", "0"))
ID_CHUNK = 500                  # product ids per database query
CHECK_CHUNK = 2000              # listings per read transaction during a check


def db_session(bind):
    """A short-lived session of its own on `bind`, never watched by the outbox listener."""
    return side_session(bind, {DRAIN_SESSION: True})


def _has_rows(bind):
    with db_session(bind) as session:
        return session.scalar(select(SearchOutbox.id).limit(1)) is not None


def product_ids(connection, pairs):
    """The product ids that (kind, id) pairs ask to revisit: products, and those of shops and categories."""
    ids = {object_id for kind, object_id in pairs if kind == "product"}
    for kind, column in (("shop", Product.shop_id), ("category", Product.category_id)):
        owners = sorted({object_id for k, object_id in pairs if k == kind})
        for start in range(0, len(owners), ID_CHUNK):
            ids.update(connection.scalars(select(Product.id).where(column.in_(owners[start:start + ID_CHUNK]))))
    return ids


@dataclass(frozen=True)
class Batch:
    """Outbox rows read for one index commit, and the listings they ask to revisit."""

    row_ids: list
    product_ids: set


def read_batch(bind):
    """The oldest outbox rows, up to DRAIN_BATCH, and the product ids they name."""
    with db_session(bind) as session:
        rows = session.execute(select(SearchOutbox.id, SearchOutbox.kind, SearchOutbox.object_id)
                               .order_by(SearchOutbox.id).limit(DRAIN_BATCH)).all()
        return Batch([r.id for r in rows], product_ids(session, [(r.kind, r.object_id) for r in rows]))


def delete_rows(bind, row_ids):
    """Forget rows whose listings the index has committed. Safe however late it runs, because an
    outbox id is never given twice (AUTOINCREMENT on SQLite, a sequence on PostgreSQL): a slow
    drain cannot delete a newer change's row that happened to get the same id."""
    with db_session(bind) as session:
        session.execute(delete(SearchOutbox).where(SearchOutbox.id.in_(row_ids)))


def _drain_batch(backend, bind):
    batch = read_batch(bind)
    backend.pause = DRAIN_PAUSE
    backend.apply(bind, batch.product_ids)
    delete_rows(bind, batch.row_ids)
    return len(batch.row_ids)


def drain(app, bind):
    """Apply the outbox to the search backend; returns the rows applied. Leaves the rows to the lock
    holder when another process is writing the index (never raises for a busy lock)."""
    backend, applied = backend_for(app), 0
    while _has_rows(bind):
        try:
            applied += _drain_batch(backend, bind)
        except IndexBusy:
            log.debug("search: index busy; the lock holder drains the rest")
            break
    return applied


def rebuild(app, bind, progress=None):
    """Rebuild the search data from the database, then apply what the outbox gathered meanwhile.
    Returns the number of listings indexed."""
    indexed = backend_for(app).rebuild(bind, progress)
    drain(app, bind)
    return indexed


def _public_rows_in_chunks(bind):
    last = 0
    while True:
        with db_session(bind) as session:
            rows = session.execute(listing_rows().where(Product.id > last).limit(CHECK_CHUNK)).all()
        if not rows:
            return
        yield rows
        last = rows[-1].id


@dataclass
class Drift:
    """How the search data differs from the database."""

    missing: list   # public listings absent from the index
    extra: list     # indexed listings that are not public
    stale: list     # indexed listings whose content changed

    @property
    def total(self):
        """How many listings differ."""
        return len(self.missing) + len(self.extra) + len(self.stale)


def check(app, bind, fix=False):
    """Compare the search data with the database; with fix=True, queue and apply the differences."""
    expected = {}
    for rows in _public_rows_in_chunks(bind):
        expected.update((row.id, fingerprint(row)) for row in rows)
    backend = backend_for(app)
    with backend.reading() as reader:
        indexed = reader.fingerprints()
    drift = Drift(missing=sorted(set(expected) - set(indexed)), extra=sorted(set(indexed) - set(expected)),
                  stale=sorted(pid for pid in set(expected) & set(indexed) if expected[pid] != indexed[pid]))
    if fix and drift.total:
        with db_session(bind) as session:
            session.execute(insert(SearchOutbox.__table__), [
                {"kind": "product", "object_id": pid} for pid in drift.missing + drift.extra + drift.stale])
        drain(app, bind)
    return drift
