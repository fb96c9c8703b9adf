"""The engine's fast reading of postings and columns equals Whoosh's public API."""
from whoosh.writing import NO_MERGE

from marketplace.search.whoosh_engine import index as search_index
from marketplace.search.codec import SearchCodec
from marketplace.search.whoosh_engine.postings import (COLUMNS, SegmentData, load_column, load_column_public, term_docs,
                                         term_docs_public)

WORDS = "madu kelulut amplang gula aren keripik pisang kopi".split()


def _doc(n):
    title = [WORDS[n % 8], WORDS[(n * 3) % 8]]
    return {"id": str(n), "title": title, "body": WORDS[: n % 8 + 1], "pid": n, "price": 1000 * n,
            "category": n % 5, "stock": n % 3, "approved": 1_700_000_000 + n, "title_words": len(title),
            "fingerprint": -n, "district": 640200 + n % 20, "doc": {"n": n}}


def _segmented_index(tmp_path):
    """Three segments (600 listings in blocks of 512 and less) with deletions in two of them."""
    name, ix = search_index.new_generation(str(tmp_path))
    for start, stop in ((0, 600), (600, 650), (650, 660)):
        writer = ix.writer(codec=SearchCodec())
        for n in range(start, stop):
            writer.add_document(**_doc(n))
        writer.commit(mergetype=NO_MERGE)
    writer = ix.writer(codec=SearchCodec())
    for n in (3, 300, 599, 610, 655):
        writer.delete_by_term("id", str(n))
    writer.commit(mergetype=NO_MERGE)
    return ix


def test_term_docs_match_the_public_matchers(tmp_path):
    ix = _segmented_index(tmp_path)
    with ix.searcher() as searcher:
        leaves = searcher.reader().leaf_readers()
        assert len(leaves) == 3
        compared = 0
        for reader, _ in leaves:
            for field in ("title", "body"):
                for word in WORDS + ["unknown"]:
                    fast = term_docs(reader, field, word, reader.deleted_docs_set)
                    assert fast == term_docs_public(reader, field, word)
                    compared += len(fast)
        assert compared > 1000


def test_columns_match_the_public_readers(tmp_path):
    ix = _segmented_index(tmp_path)
    with ix.searcher() as searcher:
        for reader, _ in searcher.reader().leaf_readers():
            for name in COLUMNS:
                assert list(load_column(reader, name)) == load_column_public(reader, name)
            data = SegmentData(reader)
            assert len(data.columns["pid"]) == reader.doc_count_all()


def test_missing_column_reads_as_defaults(tmp_path):
    name, ix = search_index.new_generation(str(tmp_path))
    writer = ix.writer(codec=SearchCodec())
    writer.add_document(id="1", title=["madu"], doc={})
    writer.commit()
    with ix.searcher() as searcher:
        (reader, _), = searcher.reader().leaf_readers()
        assert list(load_column(reader, "price")) == [0]
