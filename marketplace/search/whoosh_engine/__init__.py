"""The embedded search engine: a Whoosh index on local disk, one writer at a time (SEARCH_BACKEND=whoosh)."""
