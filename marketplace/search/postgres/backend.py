"""The PostgreSQL implementation of the search backend (SEARCH_BACKEND=postgres).

Every app server reads and writes the same tables, and a listing's document is written on the
connection of the transaction that changed the listing: it commits or rolls back with it, with no
lag and no outbox to drain.
"""
from collections import Counter
from contextlib import contextmanager

from sqlalchemy import delete, select, text as sql
from sqlalchemy.engine import Connection
from sqlalchemy.dialects.postgresql import insert

from ... import regions
from ...catalogue.models import Product
from ...extensions import db
from ..backend import Hits, SearchBackend, SearchReader, idf
from ..documents import district_number, fingerprint, listing_rows
from ..spelling import Vocabulary, correct, max_edits
from . import query as q, text
from .models import SearchDocument, SearchWord

ID_CHUNK = 500
REBUILD_CHUNK = 2000
PREFIX_CANDIDATES = 50      # most frequent completions considered (as the Whoosh engine)
TYPO_CANDIDATES = 200       # nearest words by trigram distance checked for a correction


def _milliseconds(moment):
    return int(moment.timestamp() * 1000) if moment is not None else 0


def document_row(row):
    """The search_document row of one listing row (see documents.listing_rows)."""
    names = " ".join(name for name in (row.shop_name, regions.name(row.district_code) or "", row.name_id,
                                       row.name_en, row.parent_name_id, row.parent_name_en) if name)
    fields = text.field_terms(row.title, names, f"{row.description} {row.unit}")
    named = sorted(set(fields["title"][0]) | set(fields["meta"][0]))
    return {"product_id": row.id, "terms": text.tsvector(fields), "category_id": row.category_id,
            "district": district_number(row.district_code), "price_idr": row.price_idr, "stock": row.stock,
            "approved_ms": _milliseconds(row.approved_at), "title_words": min(len(fields["title"][0]), 255),
            "fingerprint": fingerprint(row), "named_words": named,
            "words": sorted(set(named) | set(fields["body"][0]))}


def _add_counts(delta, doc, sign):
    named = set(doc["named_words"])
    for word in doc["words"]:
        docs, in_names = delta.get(word, (0, 0))
        delta[word] = (docs + sign, in_names + (sign if word in named else 0))


def _write_words(connection, delta):
    """Add the per-word count changes (in word order, so concurrent writers lock rows alike)."""
    changed = [(word, docs, named) for word, (docs, named) in sorted(delta.items()) if docs or named]
    if not changed:
        return
    rows = [{"word": word[:100], "docs": docs, "named": named} for word, docs, named in changed]
    stmt = insert(SearchWord.__table__).values(rows)
    connection.execute(stmt.on_conflict_do_update(
        index_elements=["word"], set_={"docs": SearchWord.__table__.c.docs + stmt.excluded.docs,
                                       "named": SearchWord.__table__.c.named + stmt.excluded.named}))
    connection.execute(delete(SearchWord.__table__).where(
        SearchWord.__table__.c.word.in_([row["word"] for row in rows]), SearchWord.__table__.c.docs <= 0))


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
        """A reader on the request's own database session (it sees the request's own changes)."""
        yield PostgresReader(db.session.connection())

    def apply(self, connection, product_ids):
        """Write the listings' documents and word counts in the caller's transaction (or in a
        transaction of their own when given an engine, as a drain does)."""
        if not isinstance(connection, Connection):
            with connection.begin() as own:
                return self.apply(own, product_ids)
        ids = sorted(product_ids)
        for start in range(0, len(ids), ID_CHUNK):
            self._apply_chunk(connection, ids[start:start + ID_CHUNK])
        return None

    def _apply_chunk(self, connection, ids):
        table = SearchDocument.__table__
        # Lock the old documents first: two transactions never count the same words twice.
        old = {row.product_id: row._asdict() for row in connection.execute(
            select(table.c.product_id, table.c.words, table.c.named_words)
            .where(table.c.product_id.in_(ids)).order_by(table.c.product_id).with_for_update())}
        new = {row.id: document_row(row) for row in connection.execute(listing_rows(ids))}
        delta = {}
        for pid in ids:
            before, after = old.get(pid), new.get(pid)
            if before and after and before["words"] == after["words"] and before["named_words"] == after["named_words"]:
                continue
            if before:
                _add_counts(delta, before, -1)
            if after:
                _add_counts(delta, after, +1)
        gone = [pid for pid in old if pid not in new]
        if gone:
            connection.execute(delete(table).where(table.c.product_id.in_(gone)))
        if new:
            stmt = insert(table).values(list(new.values()))
            connection.execute(stmt.on_conflict_do_update(
                index_elements=["product_id"],
                set_={c.name: stmt.excluded[c.name] for c in table.columns if c.name != "product_id"}))
        _write_words(connection, delta)

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
        delta, indexed, last = {}, 0, 0
        while True:
            rows = connection.execute(listing_rows().where(Product.id > last).limit(REBUILD_CHUNK)).all()
            if not rows:
                break
            docs = [document_row(row) for row in rows]
            connection.execute(insert(SearchDocument.__table__), docs)
            for doc in docs:
                _add_counts(delta, doc, +1)
            indexed, last = indexed + len(rows), rows[-1].id
            if progress:
                progress(len(rows))
        words = [{"word": w[:100], "docs": d, "named": n} for w, (d, n) in sorted(delta.items())]
        for start in range(0, len(words), 5000):
            connection.execute(insert(SearchWord.__table__), words[start:start + 5000])
        return indexed


class PostgresReader(SearchReader):
    """Queries on one connection."""

    def __init__(self, connection):
        self.connection = connection

    def _scalar(self, statement, values=None):
        return self.connection.execute(sql(statement), values or {}).scalar()

    def search(self, query):
        """Run a SearchQuery; returns Hits."""
        params = q.Params()
        match = q.match_tsquery(query.units, query.match_any) if query.units else None
        where = q.where_sql(params, query, match)
        counts = {"category": Counter(), "district": Counter()}
        for column, name in (("category_id", "category"), ("district", "district")):
            rows = self.connection.execute(sql(
                f"SELECT {column}, count(*) FROM search_document WHERE {where} GROUP BY {column}"), params.values)
            counts[name].update({value: n for value, n in rows})
        total = sum(counts["category"].values())
        if not total:
            return Hits(0, [], counts)
        score = "0"
        if query.units and query.sort == "relevance":
            score = q.score_sql(params, query.units, self._idfs(query.units))
        order = q.order_sql(query, score)
        ids = self.connection.execute(sql(
            f"SELECT product_id FROM search_document WHERE {where} ORDER BY {order} "
            f"LIMIT {int(query.limit)} OFFSET {int(query.offset)}"), params.values).scalars().all()
        return Hits(total, list(ids), counts)

    def _idfs(self, units):
        everything = self._scalar("SELECT count(*) FROM search_document")
        return [idf(everything, self._scalar("SELECT count(*) FROM search_document WHERE terms @@ CAST(:q AS tsquery)",
                                             {"q": q.unit_tsquery(unit)})) for unit in units]

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
            "SELECT word, docs FROM search_word WHERE length(word) BETWEEN :low AND :high "
            "ORDER BY word <-> :w LIMIT :n"),
            {"w": word, "low": len(word) - limit, "high": len(word) + limit, "n": TYPO_CANDIDATES}).all()
        vocabularies = [Vocabulary({row.word: row.docs for row in rows})]
        if extra_words:
            vocabularies.append(Vocabulary({w: 0 for w in extra_words}))
        return correct(word, vocabularies)

    def fingerprints(self):
        """{product id: fingerprint} of every search document."""
        return dict(self.connection.execute(sql("SELECT product_id, fingerprint FROM search_document")).all())
