"""The PostgreSQL implementation of the search backend (SEARCH_BACKEND=postgres).

Every app server reads and writes the same tables, and a listing's document is written on the
connection of the transaction that changed the listing: it commits or rolls back with it, with no
lag and no outbox to drain.
"""
from collections import Counter
from contextlib import contextmanager

from sqlalchemy import delete, text as sql
from sqlalchemy.engine import Connection
from sqlalchemy.dialects.postgresql import insert

from ...catalogue.models import Product
from ...extensions import db
from ..backend import Hits, SearchBackend, SearchReader, idf
from ..documents import listing_rows
from ..spelling import Vocabulary, correct, max_edits
from . import query as q, text, writing
from .models import SearchDocument, SearchWord

ID_CHUNK = 500
REBUILD_CHUNK = 2000
PREFIX_CANDIDATES = 50      # most frequent completions considered (as the Whoosh engine)
TYPO_CANDIDATES = 200       # nearest words by trigram distance checked for a correction
# (search_word's row of the empty word counts the documents: ranking weights need the number of live
# listings, one row read instead of counting 100,000; see writing.EVERYTHING)
# (`~<=~ ''`, true of the empty word only, is read from the btree; the trigram index would read every row)
EVERYTHING_SQL = ("COALESCE((SELECT docs FROM search_word WHERE word ~<=~ ''), "
                  "(SELECT count(*) FROM search_document))")
EVERYTHING_ROW, UNIT_ROW = 2, 3     # kinds of the counts statement's rows (0 and 1: the facets)
# Planner settings while a search reads. Search rows are read from memory: index pages cost hardly more
# than sequential ones. With the server's default (4) the planner scans every document rather than follow
# the GIN index to a few thousand. And one search uses one core: parallel workers would take the other
# requests' cores.
SEARCH_SETTINGS = {"random_page_cost": "1.1", "max_parallel_workers_per_gather": "0"}


class PostgresBackend(SearchBackend):
    """Search documents in the application's PostgreSQL database."""

    transactional = True
    pause = 0.0

    def __init__(self, app):
        if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
            raise RuntimeError("SEARCH_BACKEND=postgres needs DATABASE_URL to name a PostgreSQL database.")
        self.root = None

    @contextmanager
    def reading(self):
        """A reader on the request's own database session (it sees the request's own changes), with
        the search planner settings for as long as it reads; the rest of the request's transaction
        keeps the server's."""
        connection = db.session.connection()
        names = list(SEARCH_SETTINGS)
        previous = connection.execute(sql(
            "SELECT " + ", ".join(f"current_setting('{name}'), set_config('{name}', :{name}, true)"
                                  for name in names)), SEARCH_SETTINGS).one()
        yield PostgresReader(connection)
        # (after an error the request's transaction is rolled back, which undoes the settings too)
        connection.execute(sql("SELECT " + ", ".join(f"set_config('{name}', :{name}, true)" for name in names)),
                           {name: previous[2 * i] for i, name in enumerate(names)})

    def apply(self, connection, product_ids):
        """Write the listings' documents and word counts in the caller's transaction (or in a
        transaction of their own when given an engine, as a drain does)."""
        if not isinstance(connection, Connection):
            with connection.begin() as own:
                return self.apply(own, product_ids)
        ids = sorted(product_ids)
        for start in range(0, len(ids), ID_CHUNK):
            writing.apply_chunk(connection, ids[start:start + ID_CHUNK])
        return None

    def rebuild(self, bind, progress=None):
        """Rewrite every document and word count in one transaction. Listing changes wait for it
        (the table lock); searches keep reading the old rows until it commits."""
        if isinstance(bind, Connection):
            with bind.begin_nested():
                return self._rebuild(bind, progress)
        with bind.begin() as connection:
            return self._rebuild(connection, progress)

    def _rebuild(self, connection, progress):
        connection.execute(sql("LOCK TABLE search_document, search_word IN EXCLUSIVE MODE"))
        connection.execute(delete(SearchDocument.__table__))
        connection.execute(delete(SearchWord.__table__))
        words, indexed, last = {}, 0, 0
        while True:
            rows = connection.execute(listing_rows().where(Product.id > last).limit(REBUILD_CHUNK)).all()
            if not rows:
                break
            analysed = [writing.analysed(row) for row in rows]
            connection.execute(insert(SearchDocument.__table__), [document for document, _, _ in analysed])
            for _, exact, named in analysed:
                writing.add_words(words, exact, named)
            indexed, last = indexed + len(rows), rows[-1].id
            if progress:
                progress(len(rows))
        counts = [{"word": word, "docs": docs, "named": named}
                  for word, (docs, named) in sorted(words.items())]
        for start in range(0, len(counts), 5000):
            connection.execute(insert(SearchWord.__table__), counts[start:start + 5000])
        return indexed


class PostgresReader(SearchReader):
    """Queries on one connection."""

    def __init__(self, connection):
        self.connection = connection

    def _scalar(self, statement, values=None):
        return self.connection.execute(sql(statement), values or {}).scalar()

    def search(self, query):
        """Run a SearchQuery; returns Hits. Two statements at most: the total, both facets and the
        ranking weights in one, the ranked page (when anything matched) in the other."""
        params = q.Params()
        match = q.match_tsquery(query.units, query.match_any) if query.units else None
        where = q.where_sql(params, query, match)
        ranked = bool(query.units) and query.sort == "relevance"
        # One unit and no filters: the unit's own count is the total, no second count is needed.
        unit_counts = ranked and (len(query.units) > 1 or q.filtered(query))
        statement = (f"SELECT GROUPING(category_id) AS kind, category_id AS value, district AS other, "
                     f"count(*) AS n FROM search_document WHERE {where} "
                     f"GROUP BY GROUPING SETS ((category_id), (district))")
        if ranked:
            statement += f" UNION ALL SELECT {EVERYTHING_ROW}, NULL, NULL, {EVERYTHING_SQL}"
        if unit_counts:
            statement += "".join(
                f" UNION ALL SELECT {UNIT_ROW}, {i}, NULL, (SELECT count(*) FROM search_document "
                f"WHERE terms @@ {params.tsquery(q.unit_tsquery(unit))})" for i, unit in enumerate(query.units))
        counts = {"category": Counter(), "district": Counter()}
        everything, sizes = 0, {}
        for kind, value, other, n in self.connection.execute(sql(statement), params.values):
            if kind == 0:
                counts["category"][value] = n
            elif kind == 1:
                counts["district"][other] = n
            elif kind == EVERYTHING_ROW:
                everything = n or 0
            else:
                sizes[value] = n
        total = sum(counts["category"].values())
        if not total:
            return Hits(0, [], counts)
        score = "0"
        if ranked:
            idfs = [idf(everything, sizes[i] if unit_counts else total) for i in range(len(query.units))]
            score = q.score_sql(params, query.units, idfs)
        order = q.order_sql(query, score)
        ids = self.connection.execute(sql(
            f"SELECT product_id FROM search_document WHERE {where} ORDER BY {order} "
            f"LIMIT {int(query.limit)} OFFSET {int(query.offset)}"), params.values).scalars().all()
        return Hits(total, list(ids), counts)

    def frequency(self, word):
        """In how many live listings the exact word occurs."""
        return self._scalar("SELECT docs FROM search_word WHERE word = :w", {"w": word}) or 0

    def completions(self, prefix, limit, context=()):
        """Words of live titles and names starting with prefix (see SearchReader.completions)."""
        pattern = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        rows = self.connection.execute(sql(
            "SELECT word FROM search_word WHERE word LIKE :p AND word <> :w AND named > 0 "
            "ORDER BY named DESC, word LIMIT :n"), {"p": pattern, "w": prefix, "n": PREFIX_CANDIDATES}).scalars().all()
        ranked = list(rows)
        if context and ranked:
            together = self._together(ranked, context)
            ranked = sorted((word for word in ranked if together[word]), key=lambda word: -together[word])
        return ranked[:limit]

    def _together(self, words, context):
        params = q.Params()
        within = text.all_of([text.morph(word) for word in context])
        counts = ", ".join(f"count(*) FILTER (WHERE terms @@ {params.tsquery(text.exact(word, 'AB'))})"
                           for word in words)
        row = self.connection.execute(sql(
            f"SELECT {counts} FROM search_document WHERE terms @@ {params.tsquery(within)}"), params.values).one()
        return dict(zip(words, row))

    def correct(self, word, extra_words=()):
        """The likeliest intended word of live listings for a misspelt one, or None."""
        limit = max_edits(word)
        if not limit or not word.isalpha():
            return None
        rows = self.connection.execute(sql(
            "SELECT word, docs FROM search_word WHERE length(word) BETWEEN :low AND :high AND word <> '' "
            "ORDER BY word <-> :w LIMIT :n"),
            {"w": word, "low": len(word) - limit, "high": len(word) + limit, "n": TYPO_CANDIDATES}).all()
        vocabularies = [Vocabulary({row.word: row.docs for row in rows})]
        if extra_words:
            vocabularies.append(Vocabulary({w: 0 for w in extra_words}))
        return correct(word, vocabularies)

    def fingerprints(self):
        """{product id: fingerprint} of every search document."""
        return dict(self.connection.execute(sql("SELECT product_id, fingerprint FROM search_document")).all())
