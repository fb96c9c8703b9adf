"""The Whoosh codec of the marketplace index.

STABLE PATH: Whoosh pickles the codec object into every segment of the index, so
`marketplace.search.codec.SearchCodec` must stay importable under exactly this name for as long as an
index built with it exists. Add a new class for a new format; never rename or move this one.
"""
from array import array

from whoosh.codec.whoosh3 import W3Codec, W3PostingsWriter


class SearchCodec(W3Codec):
    """Whoosh's own format, tuned for how the marketplace reads it.

    - length_stats off: the stock codec looks up each document's field length for every posting at
      commit time (about a fifth of the indexing time); our scoring does not use block length stats.
    - Blocks of 512 postings, uncompressed: the query engine reads whole posting lists, so fewer,
      larger blocks and no zlib make reading cheaper; the index grows by about a tenth.
    """

    length_stats = False

    def __init__(self, blocklimit=512, compression=0, inlinelimit=1):
        super().__init__(blocklimit=blocklimit, compression=compression, inlinelimit=inlinelimit)

    def postings_writer(self, dbfile, byteids=False):
        return BulkPostingsWriter(dbfile, blocklimit=self._blocklimit, byteids=byteids,
                                  compression=self._compression, inlinelimit=self._inlinelimit)


class BulkPostingsWriter(W3PostingsWriter):
    """Whoosh's postings writer, plus a way to write a whole posting list of an Existence field at once
    (the rebuild's bulk writer); the bytes on disk are exactly those add_posting() would write."""

    def add_all(self, ids):
        """Add ascending document numbers, each with weight 1 and no value."""
        limit = self._blocklimit
        for start in range(0, len(ids), limit):
            if start:
                self._write_block()
            chunk = ids[start:start + limit]
            self._ids = array("I", chunk)
            self._weights = array("f", [1.0]) * len(chunk)
            self._values = []
            self._maxweight = 1.0
