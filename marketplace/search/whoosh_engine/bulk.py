"""Writing a whole new index at once, for `flask search reindex`.

Whoosh's own writer sends every posting through several Python calls and an external sort (about
15 µs a posting; a listing has ~50): 100,000 listings took minutes. A rebuild knows every document
up front, so this writer groups document numbers per term in arrays as it goes and writes each
posting list in one piece through the codec's own block writer. It produces an ordinary one-segment
Whoosh index, the same bytes the standard writer would produce (a test compares them term by term).
Only for a fresh, not yet live index: there is nothing to delete or merge.
"""
from array import array
from collections import defaultdict

from whoosh.index import TOC

from .codec import SearchCodec


class BulkWriter:
    """Adds documents to a new segment of an empty index, then commits it as the index's only segment."""

    def __init__(self, ix):
        self.ix, self.schema, self.storage = ix, ix.schema, ix.storage
        self.codec = SearchCodec()
        self.lock = ix.lock("WRITELOCK")
        if not self.lock.acquire(blocking=False):
            raise RuntimeError("the new index is already being written")
        self.segment = self.codec.new_segment(self.storage, ix.indexname)
        self.perdoc = self.codec.per_document_writer(self.storage, self.segment)
        names = self.schema.names()
        self.terms = {name: defaultdict(lambda: array("I")) for name in names if self.schema[name].indexed}
        self.stored = [name for name in names if self.schema[name].stored]
        self.columns = [(name, self.schema[name]) for name in names if self.schema[name].column_type]
        self.docnum = 0

    def add_document(self, fields):
        """Add one document: text fields as lists of terms (or one string for ID fields)."""
        docnum = self.docnum
        self.perdoc.start_doc(docnum)
        for name, postings in self.terms.items():
            value = fields.get(name)
            if value is None:
                continue
            for term in ([value] if isinstance(value, str) else set(value)):
                postings[term].append(docnum)
        for name in self.stored:
            if fields.get(name) is not None:
                self.perdoc.add_field(name, self.schema[name], fields[name], 0)
        for name, field in self.columns:
            if fields.get(name) is not None:
                self.perdoc.add_column_value(name, field.column_type, field.to_column_value(fields[name]))
        self.perdoc.finish_doc()
        self.docnum += 1

    def commit(self):
        """Write the postings, assemble the segment and make it the index's content."""
        try:
            self.perdoc.close()
            self._write_postings()
            self.segment.set_doc_count(self.docnum)
            if self.segment.should_assemble():
                self.segment.create_compound_file(self.storage)
                self.segment.compound = True
            TOC(self.schema, [self.segment] if self.docnum else [], self.ix.latest_generation() + 1).write(
                self.storage, self.ix.indexname)
        finally:
            self.lock.release()

    def cancel(self):
        """Give up (the new index directory is simply not switched to)."""
        self.lock.release()

    def _write_postings(self):
        writer = self.codec.field_writer(self.storage, self.segment)
        for name in sorted(self.terms):
            postings = self.terms[name]
            if not postings:
                continue
            writer.start_field(name, self.schema[name])
            # Code point order is UTF-8 byte order, the order the terms table needs.
            for term in sorted(postings):
                writer.start_term(term.encode("utf-8"))
                writer._postwriter.add_all(postings[term])
                writer.finish_term()
            writer.finish_field()
        writer.close()
