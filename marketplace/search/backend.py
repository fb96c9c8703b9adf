"""The search backend: what the marketplace asks of a search engine, and its Whoosh implementation.

A class only because a second backend (PostgreSQL full-text search) will implement the same methods.
"""
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field

from .engine import (Leaf, apply_filters, facets, idf, intersect, match_unit, top_by_column,
                     top_by_relevance)
from .index import TEXT_FIELDS, LockError, holder_for, live_writer, merge_tiers
from .postings import SegmentData
from .spelling import Vocabulary, correct

PREFIX_SCAN_LIMIT = 2000    # lexicon entries read per field and segment when expanding a prefix
PREFIX_CANDIDATES = 50      # most frequent completions considered


class IndexBusy(Exception):
    """Another process is writing the index; the caller leaves its work for that process."""


@dataclass
class SearchQuery:
    """A query in the backend's terms: units to match (all of them), filters, order and page."""

    units: list = field(default_factory=list)     # each unit: a tuple of engine.Alternative
    category_ids: frozenset | None = None
    district_codes: frozenset | None = None       # district numbers (64.02.06 -> 640206)
    min_price: int | None = None
    max_price: int | None = None
    in_stock: bool = False
    sort: str = "relevance"
    offset: int = 0
    limit: int = 20


@dataclass
class Hits:
    """What a query found: the total, the stored documents of the page, and facet counts."""

    total: int
    docs: list
    facets: dict


class SearchBackend:
    """The interface every backend implements."""

    def session(self):
        """A context manager yielding a read session (search, frequency, completions, correct)."""
        raise NotImplementedError

    def writing(self, timeout=0.0):
        """A context manager yielding a writer (upsert, remove, commit); raises IndexBusy."""
        raise NotImplementedError


class WhooshBackend(SearchBackend):
    """The embedded backend: a Whoosh index under SEARCH_INDEX_DIR."""

    def __init__(self, app):
        self.holder = holder_for(app)
        self.root = self.holder.root

    @contextmanager
    def session(self):
        """A read session on the newest generation of the index (exclusive within this process)."""
        with self.holder.snapshot() as snapshot:
            yield WhooshSession(snapshot, self.holder)

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


class WhooshSession:
    """Queries against one generation of the index."""

    def __init__(self, snapshot, holder):
        self.leaves, self.holder, self.doc_count = [], holder, snapshot.doc_count
        for leaf in snapshot.leaves:
            data = holder.segments.get(leaf.segment_id)
            if data is None:
                data = holder.segments[leaf.segment_id] = SegmentData(leaf.reader)
            self.leaves.append(Leaf(leaf, data))

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
            docs = intersect([unit[0] for unit in units]) if units else leaf.live()
            docs = apply_filters(leaf, docs, query)
            total += len(docs)
            categories, districts = facets(leaf, docs)
            category_counts.update(categories)
            district_counts.update(districts)
            candidates += [(key, leaf, d) for key, d in self._top(leaf, docs, units, weights, query, count)]
        candidates.sort(key=lambda item: item[0])
        page = candidates[query.offset:count]
        docs = [leaf.reader.stored_fields(d)["doc"] for _, leaf, d in page]
        return Hits(total, docs, {"category": category_counts, "district": district_counts})

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
        """Up to `limit` indexed words (titles and names) starting with prefix: the most frequent, or,
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
        ranked = sorted(counts, key=lambda word: (-counts[word], word))[:PREFIX_CANDIDATES]
        if context:
            together = self._together(ranked, context)
            ranked = sorted((word for word in ranked if together[word]), key=lambda word: -together[word])
        return ranked[:limit]

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
        """The likeliest intended indexed word for a misspelt one, or None."""
        vocabularies = [self._vocabulary(leaf) for leaf in self.leaves]
        if extra_words:
            vocabularies.append(Vocabulary({w: 0 for w in extra_words}))
        return correct(word, vocabularies)

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


def backend_for(app):
    """The app's search backend in this process (created on first use)."""
    state = app.extensions.setdefault("pasar_search", {})
    backend = state.get("backend")
    if backend is None or backend.root != app.config["SEARCH_INDEX_DIR"]:
        backend = state["backend"] = WhooshBackend(app)
    return backend
