"""Keeping the index true to the database: draining the outbox, rebuilding, checking for drift.

The drain protocol, safe with any number of processes:
  1. while the outbox has rows: try the index lock without waiting; if another process holds it,
     stop: that process checks the outbox again after releasing the lock, so it sees our rows;
  2. under the lock: read a batch of rows and the current state of their listings, write the
     documents, commit the index;
  3. only then delete the rows (a process killed before this re-applies them next time; applying
     the current state twice is harmless).
"""
import logging
import os
import time
from dataclasses import dataclass

from sqlalchemy import delete, insert, select

from ..catalogue.models import Product
from ..database import side_session
from .backend import IndexBusy, backend_for
from .documents import documents, fingerprint, listing_rows
from .bulk import BulkWriter
from .index import live_writer, new_generation, remove_old_generations, switch_to
from .models import SearchOutbox
from .outbox import DRAIN_SESSION

log = logging.getLogger(__name__)

# Operational knobs (environment): rows per index commit, and a pause after each document that lets
# a test kill a drain half-way through.
DRAIN_BATCH = int(os.environ.get("SEARCH_DRAIN_BATCH", "500"))
DRAIN_PAUSE = float(os.environ.get("SEARCH_DRAIN_PAUSE", "0"))
ID_CHUNK = 500                  # product ids per database query
REBUILD_CHUNK = 2000            # listings per read transaction during a rebuild
REBUILD_LOCK_WAIT = 60.0        # seconds a rebuild waits for a running drain to finish


def db_session(bind):
    """A short-lived session of its own on `bind`, never watched by the outbox listener."""
    return side_session(bind, {DRAIN_SESSION: True})


def _has_rows(bind):
    with db_session(bind) as session:
        return session.scalar(select(SearchOutbox.id).limit(1)) is not None


def _product_ids(session, rows):
    ids = {object_id for kind, object_id in rows if kind == "product"}
    for kind, column in (("shop", Product.shop_id), ("category", Product.category_id)):
        owners = sorted({object_id for k, object_id in rows if k == kind})
        for start in range(0, len(owners), ID_CHUNK):
            ids.update(session.scalars(select(Product.id).where(column.in_(owners[start:start + ID_CHUNK]))))
    return ids


def _read_batch(bind):
    """(outbox row ids, documents to write, product ids to remove) of the oldest batch."""
    with db_session(bind) as session:
        rows = session.execute(select(SearchOutbox.id, SearchOutbox.kind, SearchOutbox.object_id)
                               .order_by(SearchOutbox.id).limit(DRAIN_BATCH)).all()
        product_ids = sorted(_product_ids(session, [(r.kind, r.object_id) for r in rows]))
        docs = []
        for start in range(0, len(product_ids), ID_CHUNK):
            docs += documents(session, product_ids[start:start + ID_CHUNK])
    public = {doc["pid"] for doc in docs}
    return [r.id for r in rows], docs, [pid for pid in product_ids if pid not in public]


def _drain_batch(backend, bind):
    with backend.writing() as writer:
        row_ids, docs, removed = _read_batch(bind)
        for doc in docs:
            writer.upsert(doc)
            if DRAIN_PAUSE:
                time.sleep(DRAIN_PAUSE)
        for product_id in removed:
            writer.remove(product_id)
        writer.commit()
    with db_session(bind) as session:
        session.execute(delete(SearchOutbox).where(SearchOutbox.id.in_(row_ids)))
    return len(row_ids)


def drain(app, bind):
    """Apply the outbox to the index; returns the rows applied. Leaves the rows to the lock holder
    when another process is writing the index (never raises for a busy lock)."""
    backend, applied = backend_for(app), 0
    while _has_rows(bind):
        try:
            applied += _drain_batch(backend, bind)
        except IndexBusy:
            log.debug("search: index busy; the lock holder drains the rest")
            break
    return applied


def _public_rows_in_chunks(bind):
    last = 0
    while True:
        with db_session(bind) as session:
            rows = session.execute(listing_rows().where(Product.id > last).limit(REBUILD_CHUNK)).all()
        if not rows:
            return
        yield rows
        last = rows[-1].id


def rebuild(app, bind, progress=None):
    """Rebuild the index from the database into a new directory and switch to it atomically.

    Holds the live index's lock meanwhile: drains leave their rows in the outbox, and the rebuild
    applies them after switching, so no change made during the rebuild is lost. Searches keep using
    the old index until the switch. Returns the number of listings indexed.
    """
    from .documents import document

    root, indexed = app.config["SEARCH_INDEX_DIR"], 0
    with live_writer(root, timeout=REBUILD_LOCK_WAIT):
        name, ix = new_generation(root)
        writer = BulkWriter(ix)
        try:
            for rows in _public_rows_in_chunks(bind):
                for row in rows:
                    writer.add_document(document(row))
                indexed += len(rows)
                if progress:
                    progress(len(rows))
            writer.commit()
        except BaseException:
            writer.cancel()
            raise
        switch_to(root, name)
    remove_old_generations(root)
    drain(app, bind)
    return indexed


@dataclass
class Drift:
    """How the index differs from the database."""

    missing: list   # public listings absent from the index
    extra: list     # indexed listings that are not public
    stale: list     # indexed listings whose content changed

    @property
    def total(self):
        """How many listings differ."""
        return len(self.missing) + len(self.extra) + len(self.stale)


def check(app, bind, fix=False):
    """Compare the index with the database; with fix=True, queue and apply the differences."""
    expected = {}
    for rows in _public_rows_in_chunks(bind):
        expected.update((row.id, fingerprint(row)) for row in rows)
    with backend_for(app).session() as session:
        indexed = session.fingerprints()
    drift = Drift(missing=sorted(set(expected) - set(indexed)), extra=sorted(set(indexed) - set(expected)),
                  stale=sorted(pid for pid in set(expected) & set(indexed) if expected[pid] != indexed[pid]))
    if fix and drift.total:
        with db_session(bind) as session:
            session.execute(insert(SearchOutbox.__table__), [
                {"kind": "product", "object_id": pid} for pid in drift.missing + drift.extra + drift.stale])
        drain(app, bind)
    return drift
