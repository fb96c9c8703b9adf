"""Reading a segment's postings and columns whole, at C speed where Whoosh allows it.

Whoosh's matchers hand out one document at a time through several Python calls; the query engine
needs whole posting lists as sets, so it reads the blocks directly (a posting list of 25,000 documents:
~6 ms instead of ~40 ms). The fast paths use internals of Whoosh-Reloaded 2.7's W3 codec (pinned in
setup.cfg); anything else falls back to the public API, and a test checks that both agree.
"""
import sys
from array import array
from itertools import accumulate

from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.columns import NumericColumn
from whoosh.matching.mcore import ListMatcher

from .index import TEXT_FIELDS

TERM_CACHE = 2048           # posting sets remembered per segment (SegmentData.term)
COLUMNS = ("pid", "category", "district", "price", "stock", "approved", "title_words", "fingerprint")


def _matcher(reader, fieldname, btext):
    """The raw matcher of a term, deleted documents included (callers subtract them as a set)."""
    return reader._terms.matcher(fieldname, btext, reader.schema[fieldname].format)


def term_docs(reader, fieldname, text, deleted=frozenset()):
    """The segment-local document numbers containing the term, `deleted` documents excluded."""
    btext = text.encode("utf-8")
    if (fieldname, btext) not in reader:
        return frozenset()
    matcher = _matcher(reader, fieldname, btext)
    if type(matcher) is W3LeafMatcher:
        ids = _block_ids(matcher)
    elif type(matcher) is ListMatcher:
        ids = matcher._ids
    else:
        ids = list(matcher.all_ids())
    # A frozenset: the set is memoised for the whole query and must not be narrowed by a caller.
    docs = frozenset(ids)
    return docs - deleted if deleted else docs


def term_docs_public(reader, fieldname, text):
    """term_docs(reader, fieldname, text, the reader's deletions) through Whoosh's public matcher API
    (the reference for tests)."""
    if (fieldname, text.encode("utf-8")) not in reader:
        return frozenset()
    return set(reader.postings(fieldname, text).all_ids())


def _block_ids(matcher):
    ids = []
    while matcher.is_active():
        if matcher._data is None:
            matcher._read_data()
        ids.extend(accumulate(matcher._data[0]))     # blocks hold delta-encoded ids
        matcher._next_block()
    return ids


def load_column(reader, name):
    """All values of a numeric column of the segment, as an array indexed by document number."""
    column = reader.column_reader(name, translate=False)
    count = reader.doc_count_all()
    if type(column) is not NumericColumn.Reader:   # e.g. a segment without the column: all defaults
        return list(column)
    values = array(column._typecode)
    values.frombytes(column._dbfile.get(column._basepos, column._count * column._fixedlen))
    if sys.byteorder == "little":
        values.byteswap()                          # Whoosh packs big-endian ("!")
    if len(values) < count:                        # trailing defaults are not written
        values.extend([column._default] * (count - len(values)))
    return values


def load_column_public(reader, name):
    """The same as load_column through the public API (the reference for tests)."""
    return list(reader.column_reader(name, translate=False))


class SegmentData:
    """What the engine keeps per segment: columns, and sets for the filters and facets.

    A segment's documents never change (only its deletions do), so this is built once per segment
    and per process and shared by every later searcher generation that still contains the segment.
    Every set it hands out is a frozenset: a caller's `docs &= ...` then makes a new set instead of
    narrowing the cache for every later query.
    """

    def __init__(self, reader):
        self.size = reader.doc_count_all()
        self.columns = {name: load_column(reader, name) for name in COLUMNS}
        self.tie = self._tie_breaker()
        self._sets = {}
        self._terms = {}

    def term(self, reader, fieldname, text):
        """term_docs of the segment with no deletions, remembered: a segment's postings never change, so a
        word searched again (the same query from the next buyer) is not read and decoded again. Callers
        subtract the deletions of their generation. Up to TERM_CACHE terms per segment are kept."""
        key = (fieldname, text)
        docs = self._terms.get(key)
        if docs is None:
            if len(self._terms) >= TERM_CACHE:
                self._terms.clear()
            docs = self._terms[key] = term_docs(reader, fieldname, text)
        return docs

    def _tie_breaker(self):
        # Equal scores: fewer title words first (a closer match), then the newest listing.
        words, approved = self.columns["title_words"], self.columns["approved"]
        return [words[d] * (1 << 44) - approved[d] for d in range(self.size)]   # approved: ms since 1970

    def docs_where(self, column, value):
        """The documents whose column equals value (built on first use per column)."""
        index = self._sets.get(column)
        if index is None:
            building = {}
            for doc, key in enumerate(self.columns[column]):
                building.setdefault(key, []).append(doc)
            index = self._sets[column] = {key: frozenset(docs) for key, docs in building.items()}
        return index.get(value, frozenset())

    def values_of(self, column):
        """The distinct values of a column in this segment."""
        self.docs_where(column, None)
        return [value for value in self._sets[column] if value is not None]

    def in_stock(self):
        """The documents with stock left."""
        cached = self._sets.get("in_stock")
        if cached is None:
            stock = self.columns["stock"]
            cached = self._sets["in_stock"] = frozenset(d for d in range(self.size) if stock[d] > 0)
        return cached

    def everything(self):
        """Every document of the segment, deleted ones included."""
        cached = self._sets.get("all")
        if cached is None:
            cached = self._sets["all"] = frozenset(range(self.size))
        return cached


__all__ = ["TEXT_FIELDS", "SegmentData", "load_column", "load_column_public", "term_docs", "term_docs_public"]
