"""The Whoosh implementation of the search backend (SEARCH_BACKEND=whoosh, the default)."""
import logging
import time
from collections import Counter
from contextlib import contextmanager

from ...catalogue.models import Product
from ...database import side_session
from ..backend import Hits, IndexBusy, SearchBackend, SearchReader
from ..documents import document, documents, listing_rows
from ..outbox import DRAIN_SESSION
from ..spelling import Vocabulary, correct
from .bulk import BulkWriter
from .engine import (Leaf, apply_filters, facets, idf, intersect, match_unit, top_by_column,
                     top_by_relevance)
from .index import (TEXT_FIELDS, LockError, holder_for, live_writer, merge_tiers, new_generation,
                    remove_old_generations, switch_to)
from .postings import SegmentData

log = logging.getLogger(__name__)

PREFIX_SCAN_LIMIT = 2000    # lexicon entries read per field and segment when expanding a prefix
PREFIX_CANDIDATES = 50      # most frequent completions considered
REBUILD_CHUNK = 2000        # listings per read transaction during a rebuild
REBUILD_LOCK_WAIT = 60.0    # seconds a rebuild waits for a running drain to finish
ID_CHUNK = 500              # product ids per database query


class WhooshBackend(SearchBackend):
    """The embedded backend: a Whoosh index under SEARCH_INDEX_DIR, fed by the search outbox."""

    transactional = False
    pause = 0.0     # seconds after each document written (lets a test kill a drain half-way)

    def __init__(self, app):
        self.holder = holder_for(app)
        self.root = self.holder.root

    @contextmanager
    def reading(self):
        """A reader on the newest generation of the index (exclusive within this process)."""
        with self.holder.snapshot() as snapshot:
            yield WhooshReader(snapshot, self.holder)

    def apply(self, connection, product_ids):
        """Write the current state of the listings under the index lock (IndexBusy when it is held).

        The rows are read once the lock is held, so a drain that started earlier cannot overwrite
        them with an older state afterwards."""
        with self.writing() as writer:
            docs = []
            with side_session(connection, {DRAIN_SESSION: True}) as session:
                ids = sorted(product_ids)
                for start in range(0, len(ids), ID_CHUNK):
                    docs += documents(session, ids[start:start + ID_CHUNK])
            public = {doc["pid"] for doc in docs}
            for doc in docs:
                writer.upsert(doc)
                if self.pause:
                    time.sleep(self.pause)
            for product_id in set(product_ids) - public:
                writer.remove(product_id)
            writer.commit()

    def rebuild(self, bind, progress=None):
        """Write a new index from the database into a new directory and switch to it atomically.

        Holds the live index's lock meanwhile: drains leave their rows in the outbox for the caller
        to apply after the switch. Searches keep using the old index until the switch."""
        indexed = 0
        with live_writer(self.root, timeout=REBUILD_LOCK_WAIT):
            name, ix = new_generation(self.root)
            writer = BulkWriter(ix)
            try:
                for rows in public_rows_in_chunks(bind):
                    for row in rows:
                        writer.add_document(document(row))
                    indexed += len(rows)
                    if progress:
                        progress(len(rows))
                writer.commit()
            except BaseException:
                writer.cancel()
                raise
            switch_to(self.root, name)
        remove_old_generations(self.root)
        return indexed

    @contextmanager
    def writing(self, timeout=0.0):
        """A writer on the live index, or IndexBusy when another process holds it."""
        try:
            with live_writer(self.root, timeout=timeout) as writer:
                yield WhooshWriter(writer)
        except LockError as error:
            raise IndexBusy() from error


class WhooshWriter:
    """Changes to the live index, applied together by commit()."""

    def __init__(self, writer):
        self.writer = writer

    def upsert(self, fields):
        """Add or replace a listing's document."""
        self.writer.update_document(**fields)

    def remove(self, product_id):
        """Take a listing out of the index (nothing happens when it is not there)."""
        self.writer.delete_by_term("id", str(product_id))

    def commit(self):
        """Make the changes durable and visible to new searchers."""
        self.writer.commit(mergetype=merge_tiers)


class WhooshReader(SearchReader):
    """Queries against one generation of the index."""

    def __init__(self, snapshot, holder):
        self.leaves, self.holder, self.doc_count = [], holder, snapshot.doc_count
        self.snapshot = snapshot
        for leaf in snapshot.leaves:
            data = holder.segments.get(leaf.segment_id)
            if data is None:
                data = holder.segments[leaf.segment_id] = SegmentData(leaf.reader)
            self.leaves.append(Leaf(leaf, data))

    def kept_answers(self):
        """The answers kept with this generation of the index: a generation never changes."""
        return self.snapshot.answers

    def search(self, query):
        """Run a SearchQuery; returns Hits."""
        matched = []
        for leaf in self.leaves:
            units = [match_unit(leaf, unit) for unit in query.units]
            matched.append(units)
        weights = self._unit_weights(matched)
        count = query.offset + query.limit
        total, candidates = 0, []
        category_counts, district_counts = Counter(), Counter()
        for leaf, units in zip(self.leaves, matched):
            if not units:
                docs = leaf.live()
            elif query.match_any:
                docs = set().union(*(unit[0] for unit in units))
            else:
                docs = intersect([unit[0] for unit in units])
            docs = apply_filters(leaf, docs, query)
            total += len(docs)
            categories, districts = facets(leaf, docs)
            category_counts.update(categories)
            district_counts.update(districts)
            candidates += [(key, leaf, d) for key, d in self._top(leaf, docs, units, weights, query, count)]
        candidates.sort(key=lambda item: item[0])
        page = candidates[query.offset:count]
        ids = [leaf.data.columns["pid"][d] for _, leaf, d in page]
        return Hits(total, ids, {"category": category_counts, "district": district_counts})

    def _unit_weights(self, matched):
        sizes = [0] * (len(matched[0]) if matched else 0)
        for units in matched:
            for i, (docs, _, _) in enumerate(units):
                sizes[i] += len(docs)
        return [idf(self.doc_count, size) for size in sizes]

    def _top(self, leaf, docs, units, weights, query, count):
        if query.sort == "price_asc":
            return top_by_column(leaf, docs, "price", False, count)
        if query.sort == "price_desc":
            return top_by_column(leaf, docs, "price", True, count)
        if query.sort == "newest" or not units:
            return top_by_column(leaf, docs, "approved", True, count)
        scoring = [(weighted, slots, weights[i]) for i, (_, weighted, slots) in enumerate(units)]
        return top_by_relevance(leaf, docs, scoring, count)

    def frequency(self, word):
        """In how many live listings the exact word occurs (title, names or description)."""
        return sum(len(set().union(*(leaf.term(name, word) for name in TEXT_FIELDS))) for leaf in self.leaves)

    def completions(self, prefix, limit, context=()):
        """Up to `limit` words of live titles and names starting with prefix: the most frequent, or,
        with context words, those most often found in listings that also have the context words."""
        counts = Counter()
        bprefix = prefix.encode("utf-8")
        for leaf in self.leaves:
            for name in ("title", "meta"):
                for scanned, (word, info) in enumerate(leaf.reader.iter_prefix(name, bprefix)):
                    if scanned >= PREFIX_SCAN_LIMIT:
                        break
                    counts[word.decode("utf-8")] += info.doc_frequency()
        counts.pop(prefix, None)
        # The lexicon still counts deleted listings: recount the likeliest words among live ones.
        likely = sorted(counts, key=lambda word: (-counts[word], word))[:2 * PREFIX_CANDIDATES]
        live = {word: self._named_frequency(word) for word in likely}
        ranked = sorted((word for word in likely if live[word]), key=lambda word: (-live[word], word))
        ranked = ranked[:PREFIX_CANDIDATES]
        if context:
            together = self._together(ranked, context)
            ranked = sorted((word for word in ranked if together[word]), key=lambda word: -together[word])
        return ranked[:limit]

    def _named_frequency(self, word):
        return sum(len(leaf.term("title", word) | leaf.term("meta", word)) for leaf in self.leaves)

    def _together(self, words, context):
        found = Counter()
        for leaf in self.leaves:
            listings = intersect([set().union(*(leaf.word(name, word)[0] for name in TEXT_FIELDS))
                                  for word in context])
            if listings:
                for word in words:
                    found[word] += len(listings & (leaf.term("title", word) | leaf.term("meta", word)))
        return found

    def correct(self, word, extra_words=()):
        """The likeliest intended word of live listings (or of extra_words) for a misspelt one, or None."""
        vocabularies = [self._vocabulary(leaf) for leaf in self.leaves]
        extra = frozenset(extra_words)
        if extra:
            vocabularies.append(Vocabulary({w: 0 for w in extra}))

        def live(candidate):        # the cached lexicons keep deleted listings' words
            frequency = self.frequency(candidate)
            return frequency if frequency or candidate in extra else None

        return correct(word, vocabularies, live)

    def _vocabulary(self, leaf):
        segment_id = leaf.reader.segment().segment_id()   # the lexicon ignores deletions: cached per segment
        vocabulary = self.holder.vocabularies.get(segment_id)
        if vocabulary is None:
            counts = Counter()
            for name in TEXT_FIELDS:
                for word, info in leaf.reader.iter_field(name):
                    counts[word.decode("utf-8")] += info.doc_frequency()
            vocabulary = self.holder.vocabularies[segment_id] = Vocabulary(counts)
        return vocabulary

    def fingerprints(self):
        """{product id: fingerprint} of every live document (for `flask search check`)."""
        found = {}
        for leaf in self.leaves:
            pids, prints = leaf.data.columns["pid"], leaf.data.columns["fingerprint"]
            for d in leaf.live():
                found[pids[d]] = prints[d]
        return found


def public_rows_in_chunks(bind):
    """The public listings' rows, read in chunks of REBUILD_CHUNK, each in a short transaction."""
    last = 0
    while True:
        with side_session(bind, {DRAIN_SESSION: True}) as session:
            rows = session.execute(listing_rows().where(Product.id > last).limit(REBUILD_CHUNK)).all()
        if not rows:
            return
        yield rows
        last = rows[-1].id
