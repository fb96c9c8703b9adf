"""Search: Whoosh schema, Indonesian analysis, indexing through an outbox, queries."""
