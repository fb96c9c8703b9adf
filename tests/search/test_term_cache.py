"""A segment's posting sets are kept between queries, and a later generation's deletions still apply."""
from types import SimpleNamespace

from whoosh.writing import NO_MERGE

from marketplace.search.codec import SearchCodec
from marketplace.search.whoosh_engine import index as search_index
from marketplace.search.whoosh_engine import postings
from marketplace.search.whoosh_engine.engine import Leaf
from marketplace.search.whoosh_engine.postings import SegmentData, term_docs_public

WORDS = "madu kelulut amplang gula aren".split()


def _doc(n):
    title = [WORDS[n % 5]]
    return {"id": str(n), "title": title, "body": WORDS[: n % 5 + 1], "pid": n, "price": 1000 * n, "category": 1,
            "stock": 1, "approved": 1_700_000_000 + n, "title_words": 1, "fingerprint": -n, "district": 640201,
            "doc": {"n": n}}


def _reader(searcher):
    (reader, _offset), = searcher.reader().leaf_readers()
    return reader


def test_kept_postings_leave_out_listings_deleted_later(tmp_path):
    _name, ix = search_index.new_generation(str(tmp_path))
    writer = ix.writer(codec=SearchCodec())
    for n in range(40):
        writer.add_document(**_doc(n))
    writer.commit(mergetype=NO_MERGE)
    with ix.searcher() as before:
        data = SegmentData(_reader(before))
        first = data.term(_reader(before), "title", "madu")
        assert first == term_docs_public(_reader(before), "title", "madu") and len(first) == 8
        assert data.term(_reader(before), "title", "madu") is first     # kept, not read again

    writer = ix.writer(codec=SearchCodec())
    for n in (0, 5, 10):
        writer.delete_by_term("id", str(n))
    writer.commit(mergetype=NO_MERGE)
    with ix.searcher() as after:
        reader = _reader(after)
        leaf = Leaf(SimpleNamespace(reader=reader, deleted=reader.deleted_docs_set, offset=0), data)
        for field in ("title", "body"):
            for word in WORDS + ["unknown"]:
                assert leaf.term(field, word) == term_docs_public(reader, field, word)
        assert len(leaf.term("title", "madu")) == 5
        assert data.term(reader, "title", "madu") is first


def test_kept_postings_are_bounded(tmp_path, monkeypatch):
    monkeypatch.setattr(postings, "TERM_CACHE", 3)
    _name, ix = search_index.new_generation(str(tmp_path))
    writer = ix.writer(codec=SearchCodec())
    for n in range(10):
        writer.add_document(**_doc(n))
    writer.commit()
    with ix.searcher() as searcher:
        reader = _reader(searcher)
        data = SegmentData(reader)
        for word in WORDS:
            assert data.term(reader, "body", word) == term_docs_public(reader, "body", word)
            assert len(data._terms) <= 3
