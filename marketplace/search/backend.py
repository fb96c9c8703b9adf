"""What the marketplace asks of a search engine, whichever engine answers (SEARCH_BACKEND).

The rest of the app speaks only these terms: a SearchQuery in, Hits (total, product ids, facet counts)
out; completions and spelling from the words of live listings; a batch of changed listings applied;
a rebuild from every row; fingerprints for `flask search check`. Engines live in their own
subpackages: whoosh_engine (embedded, the default) and postgres (the database's own full-text search).
"""
import math
from dataclasses import dataclass, field

BACKENDS = ("whoosh", "postgres")
# (exact word, same stem only) weight per field; a word counts its best field. Stems of shop and
# category names weigh less than an exact word of a description: category names are generic
# ("Makanan olahan" would otherwise match every "olah..." query as strongly as a description does).
FIELD_WEIGHTS = {"title": (10.0, 6.0), "meta": (4.0, 1.5), "body": (2.0, 1.2)}


def idf(total_docs, matching):
    """How much a match on a word is worth given how many listings it matches."""
    return math.log(1.0 + total_docs / (1.0 + matching))


class IndexBusy(Exception):
    """Another process is writing the index; the caller leaves its work for that process."""


@dataclass(frozen=True)
class Alternative:
    """One way to match a part of the query: words, a weight, and whether they must share a field."""

    words: tuple
    weight: float = 1.0
    same_field: bool = False


@dataclass
class SearchQuery:
    """A query in engine-neutral terms: units to match (all of them), filters, order and page."""

    units: list = field(default_factory=list)     # each unit: a tuple of Alternative
    match_any: bool = False                       # True: a listing needs one unit, not all (ranked by how many)
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
    """What a query found: the total, the product ids of the page in order, and facet counts
    ({"category": Counter(category id -> n), "district": Counter(district number -> n)})."""

    total: int
    ids: list
    facets: dict


class SearchReader:
    """Reads from one consistent view of the search data (a context manager's value)."""

    def search(self, query):
        """Run a SearchQuery; returns Hits."""
        raise NotImplementedError

    def frequency(self, word):
        """In how many live listings the exact word occurs (title, names or description)."""
        raise NotImplementedError

    def completions(self, prefix, limit, context=()):
        """Up to `limit` words of live listings' titles and names starting with prefix, most frequent
        first, or with context words, those most often found together with them."""
        raise NotImplementedError

    def correct(self, word, extra_words=()):
        """The likeliest intended word of live listings (or of extra_words) for a misspelt one, or None."""
        raise NotImplementedError

    def fingerprints(self):
        """{product id: fingerprint} of every searchable listing (for `flask search check`)."""
        raise NotImplementedError

    def kept_answers(self):
        """A dict that lives as long as this view of the search data stays the newest, for answers that
        depend on nothing else; None when the data may change under the reader (a transactional backend)."""
        return None


class SearchBackend:
    """The interface every backend implements."""

    # True: apply() runs on the connection of the listing's own transaction, so there is no outbox to
    # drain. False: changes wait in the search outbox and a drain applies them after the commit.
    transactional = False

    def reading(self):
        """A context manager yielding a SearchReader."""
        raise NotImplementedError

    def apply(self, connection, product_ids):
        """Bring the given listings up to date from the database (added, changed or removed);
        raises IndexBusy when another process is writing (never for a transactional backend)."""
        raise NotImplementedError

    def rebuild(self, bind, progress=None):
        """Rebuild everything from the database; returns the number of listings indexed."""
        raise NotImplementedError


def backend_for(app):
    """The app's search backend in this process (created on first use, per SEARCH_BACKEND)."""
    state = app.extensions.setdefault("pasar_search", {})
    name = app.config.get("SEARCH_BACKEND", "whoosh")
    key = (name, app.config["SEARCH_INDEX_DIR"])
    backend = state.get("backend")
    if backend is None or state.get("backend_key") != key:
        if name == "postgres":
            from .postgres.backend import PostgresBackend

            backend = PostgresBackend(app)
        elif name == "whoosh":
            from .whoosh_engine.backend import WhooshBackend

            backend = WhooshBackend(app)
        else:
            raise ValueError(f"SEARCH_BACKEND must be one of {', '.join(BACKENDS)}, not {name!r}")
        state["backend"], state["backend_key"] = backend, key
    return backend
