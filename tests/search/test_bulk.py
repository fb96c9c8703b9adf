"""The rebuild's bulk writer writes the same index Whoosh's own writer writes."""
from whoosh import index as whoosh_index

from marketplace.search.whoosh_engine import index as search_index
from marketplace.search.whoosh_engine.bulk import BulkWriter
from marketplace.search.codec import SearchCodec

WORDS = "madu kelulut amplang gula aren keripik pisang kopi olah rotan".split()


def _doc(n):
    return {"id": str(n), "title": [WORDS[n % 10], WORDS[(n * 7) % 10]], "title_stem": ["olah"] if n % 4 else [],
            "body": WORDS[: n % 10 + 1], "meta": [f"toko{n % 13}"], "pid": n, "price": 1000 + n,
            "category": n % 5, "stock": n % 3, "approved": 1_700_000_000 + n, "title_words": 2,
            "fingerprint": -7 * n, "district": 640201 + n % 20, "doc": {"n": n, "title": f"Listing {n}"}}


def _contents(ix):
    with ix.searcher() as searcher:
        reader = searcher.reader()
        terms = {}
        for field in ("id", "title", "title_stem", "body", "meta"):
            for term in reader.lexicon(field):
                terms[(field, term)] = list(reader.postings(field, term).all_ids())
        stored = [reader.stored_fields(d) for d in range(reader.doc_count_all())]
        columns = {name: list(reader.column_reader(name)) for name in ("pid", "price", "fingerprint", "district")}
        return searcher.doc_count(), terms, stored, columns


def test_bulk_writer_equals_whoosh_writer(tmp_path):
    docs = [_doc(n) for n in range(1300)]                  # several 512-posting blocks per common term
    _, standard = search_index.new_generation(str(tmp_path / "standard"))
    writer = standard.writer(codec=SearchCodec())
    for doc in docs:
        writer.add_document(**doc)
    writer.commit()
    _, bulk = search_index.new_generation(str(tmp_path / "bulk"))
    writer = BulkWriter(bulk)
    for doc in docs:
        writer.add_document(doc)
    writer.commit()
    assert _contents(bulk) == _contents(standard)
    reopened = whoosh_index.open_dir(bulk.storage.folder)
    assert reopened.doc_count() == 1300 and not reopened.is_empty()


def test_bulk_writer_with_no_documents_leaves_an_empty_index(tmp_path):
    _, ix = search_index.new_generation(str(tmp_path))
    BulkWriter(ix).commit()
    assert ix.doc_count() == 0


def test_normal_writes_after_a_bulk_build(tmp_path):
    _, ix = search_index.new_generation(str(tmp_path))
    writer = BulkWriter(ix)
    for n in range(10):
        writer.add_document(_doc(n))
    writer.commit()
    writer = ix.writer(codec=SearchCodec())
    writer.update_document(**_doc(3))
    writer.delete_by_term("id", "4")
    writer.commit()
    with ix.searcher() as searcher:
        assert searcher.doc_count() == 9
        assert sorted(searcher.reader().postings("id", "3").all_ids()) != []
