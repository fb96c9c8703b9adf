"""Search in PostgreSQL itself (SEARCH_BACKEND=postgres): shared by every app server, no index on disk."""
