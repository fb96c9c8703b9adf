"""Writing search documents and word counts, in the transaction of the listing change that asks for it.

A listing change is on the path of every product edit and every checkout, so it costs as few round
trips and as little Python as possible:
- a change that leaves every searchable text alone (stock, price, status of an unchanged listing: most
  changes) rewrites only the document's plain columns: no analysis, no lexemes sent, no word counts;
- a text change is analysed once, and its word counts are updated in one statement that reads the old
  words from the old document's own lexemes (an exact word is a lexeme without the stem mark; a word of
  the title or names is one weighted A or B), so the document stores nothing derivable from `terms`;
- every statement is SQL text built once per process, with arrays as parameters: the same text for one
  listing or five hundred, compiled once by SQLAlchemy and prepared once by PostgreSQL.
"""
import hashlib

from sqlalchemy import bindparam, text as sql

from ...catalogue.models import Product
from ..analysis import index_terms
from ..documents import district_number, fingerprint, listing_rows, names_terms
from . import text

EVERYTHING = ""   # search_word's row of the empty word counts the documents (no listing has an empty word)
WORD_LENGTH = 100  # search_word.word's length
PLAIN = ("category_id", "district", "price_idr", "stock", "approved_ms", "fingerprint")
COLUMNS = ("product_id", "terms", "title_words", "text_key") + PLAIN
TYPES = {"product_id": "integer", "terms": "tsvector", "title_words": "integer", "text_key": "bigint",
         "category_id": "integer", "district": "integer", "price_idr": "bigint", "stock": "integer",
         "approved_ms": "bigint", "fingerprint": "bigint"}


def _unnest(columns):
    return "unnest(" + ", ".join(f"CAST(:{c} AS {TYPES[c]}[])" for c in columns) + ")"


# Lock the old documents first (in id order, as every writer does): two transactions never count the
# same words twice, and the listing rows read after it see what a transaction we waited for committed.
LOCK = sql("SELECT product_id, fingerprint, text_key FROM search_document "
           "WHERE product_id = ANY(CAST(:ids AS integer[])) ORDER BY product_id FOR UPDATE")
# The same for one listing (most changes), with plain parameters: PostgreSQL plans an array parameter
# afresh at every execution, but keeps one plan for these.
LOCK_ONE = sql("SELECT product_id, fingerprint, text_key FROM search_document "
               "WHERE product_id = CAST(:id AS integer) FOR UPDATE")
# Documents whose texts did not change: their plain columns only (a HOT update: no lexeme is re-indexed).
UPDATE_PLAIN = sql(
    "UPDATE search_document AS d SET " + ", ".join(f"{c} = v.{c}" for c in PLAIN)
    + f" FROM {_unnest(('product_id',) + PLAIN)} AS v(product_id, {', '.join(PLAIN)})"
    + " WHERE d.product_id = v.product_id")
UPDATE_ONE = sql("UPDATE search_document SET " + ", ".join(f"{c} = CAST(:{c} AS {TYPES[c]})" for c in PLAIN)
                 + " WHERE product_id = CAST(:product_id AS integer)")
# New documents, documents whose texts changed and removed documents, with the word counts: minus the
# old documents' exact words (read from their lexemes: every part of one statement sees the table as it
# was before the statement), plus the new documents' words; in word order, so concurrent writers lock
# rows alike. Returns the words no listing has any more.
WRITE = sql(f"""
    WITH old_words AS (
        SELECT left(t.lexeme, {WORD_LENGTH}) AS word, -1 AS docs, -(t.weights && ARRAY['A', 'B'])::integer AS named
          FROM search_document AS d, unnest(d.terms) AS t
         WHERE d.product_id = ANY(CAST(:old AS integer[])) AND t.lexeme NOT LIKE '{text.STEM}%'
    ), counted AS (
        INSERT INTO search_word AS w (word, docs, named)
        SELECT word, sum(docs), sum(named) FROM (
            SELECT * FROM old_words
            UNION ALL
            SELECT left(n.word, {WORD_LENGTH}), 1, n.named
              FROM unnest(CAST(:words AS text[]), CAST(:named AS integer[])) AS n(word, named)
            UNION ALL
            SELECT '{EVERYTHING}', CAST(:documents AS integer), 0
        ) AS change (word, docs, named)
        GROUP BY word HAVING sum(docs) <> 0 OR sum(named) <> 0 ORDER BY word
        ON CONFLICT (word) DO UPDATE SET docs = w.docs + EXCLUDED.docs, named = w.named + EXCLUDED.named
        RETURNING w.word, w.docs
    ), removed AS (
        DELETE FROM search_document WHERE product_id = ANY(CAST(:gone AS integer[]))
    ), written AS (
        INSERT INTO search_document ({', '.join(COLUMNS)}) SELECT * FROM {_unnest(COLUMNS)}
        ON CONFLICT (product_id) DO UPDATE SET {', '.join(f"{c} = EXCLUDED.{c}" for c in COLUMNS[1:])}
    )
    SELECT word FROM counted WHERE docs <= 0""")
DELETE_UNUSED = sql("DELETE FROM search_word WHERE word = ANY(CAST(:words AS varchar[])) AND docs <= 0")
_ROWS = []


def _milliseconds(moment):
    return int(moment.timestamp() * 1000) if moment is not None else 0


def _hash(value):
    return int.from_bytes(hashlib.blake2b(value.encode("utf-8"), digest_size=8).digest(), "big", signed=True)


def text_key(row):
    """A hash of every text a listing row's lexemes come from: equal keys, equal lexemes."""
    return _hash(repr((row.title, row.description, row.unit, row.shop_name, row.district_code, row.name_id,
                       row.name_en, row.parent_name_id, row.parent_name_en)))


def plain_columns(row):
    """The search_document columns of a listing row that are not analysed text."""
    return {"product_id": row.id, "category_id": row.category_id, "district": district_number(row.district_code),
            "price_idr": row.price_idr, "stock": row.stock, "approved_ms": _milliseconds(row.approved_at),
            "fingerprint": fingerprint(row)}


def analysed(row):
    """(search_document row, exact words, exact words of the title and names) of one listing row."""
    title = index_terms(row.title)
    names = names_terms(row.shop_name, row.district_code, row.name_id, row.name_en, row.parent_name_id,
                         row.parent_name_en)
    fields = {"title": title, "meta": names, "body": index_terms(f"{row.description} {row.unit}")}
    named = set(title[0]) | set(names[0])
    document = plain_columns(row) | {"terms": text.tsvector(fields), "title_words": min(len(title[0]), 255),
                                     "text_key": text_key(row)}
    return document, named | set(fields["body"][0]), named


def _rows_of(connection, ids):
    """The listing rows (documents.listing_rows) of the ids. The select is built once per process and
    takes the ids as a parameter: building it costs more than running it, on every listing change."""
    if not _ROWS:
        _ROWS.append(listing_rows().where(Product.id.in_(bindparam("ids", expanding=True))))
    return connection.execute(_ROWS[0], {"ids": list(ids)})


def _arrays(rows, columns):
    return {column: [row[column] for row in rows] for column in columns}


def apply_chunk(connection, ids):
    """Bring the documents and word counts of the listing ids up to date, on the caller's connection."""
    locked = connection.execute(LOCK_ONE, {"id": ids[0]}) if len(ids) == 1 else connection.execute(LOCK, {"ids": ids})
    old = {row.product_id: row for row in locked}
    plain, rewritten, seen = [], [], set()
    for row in _rows_of(connection, ids):
        seen.add(row.id)
        before = old.get(row.id)
        if before is None or before.text_key != text_key(row):
            rewritten.append(analysed(row))
        elif before.fingerprint != fingerprint(row):
            plain.append(plain_columns(row))
    if len(plain) == 1:
        connection.execute(UPDATE_ONE, plain[0])
    elif plain:
        connection.execute(UPDATE_PLAIN, _arrays(plain, ("product_id",) + PLAIN))
    gone = [pid for pid in old if pid not in seen]
    if rewritten or gone:
        _write(connection, rewritten, gone, old)


def _write(connection, rewritten, gone, old):
    """Write the (document, exact words, named words) of rewritten listings, remove the gone ones' documents,
    and move the word counts from the old documents' words to the new ones'."""
    documents, words, named = [], [], []
    for document, exact, in_names in rewritten:
        documents.append(document)
        for word in exact:
            words.append(word)
            named.append(1 if word in in_names else 0)
    replaced = [document["product_id"] for document in documents if document["product_id"] in old]
    unused = connection.execute(WRITE, {
        "old": gone + replaced, "words": words, "named": named, "gone": gone,
        "documents": len(documents) - len(replaced) - len(gone), **_arrays(documents, COLUMNS)}).scalars().all()
    if unused:
        connection.execute(DELETE_UNUSED, {"words": unused})


def add_words(counts, exact, named):
    """Count one more document with these exact words (named: those of its title and names) into
    {word: [documents, documents naming it]}, the empty word counting every document (for a rebuild)."""
    for word in (EVERYTHING, *exact):
        entry = counts.setdefault(word[:WORD_LENGTH], [0, 0])
        entry[0] += 1
        entry[1] += word in named
