"""STABLE PATH for indexes built before the Whoosh engine moved to search/whoosh_engine/.

Whoosh pickles the codec object into every segment; segments written before the move name
`marketplace.search.codec.SearchCodec`, so that name must keep resolving for as long as such an
index exists (`flask search reindex` writes new segments that name the new module).
"""
from .whoosh_engine.codec import BulkPostingsWriter, SearchCodec  # noqa: F401
