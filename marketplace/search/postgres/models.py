"""The PostgreSQL backend's tables: one search document per public listing, and the words of live listings.

Both are written in the same transaction as the listing's change (see backend.apply). On SQLite the
tables exist with plain column types and stay empty: the backend needs PostgreSQL.
"""
from sqlalchemy import DDL, BigInteger, Index, Integer, String, Text, event
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from ...extensions import db

TSVECTOR_TYPE = TSVECTOR().with_variant(Text(), "sqlite")
FILLFACTOR = 85


class SearchDocument(db.Model):
    """A public listing as search sees it. `terms` holds exact words and "~"-prefixed Sastrawi stems,
    weighted by field (A title, B shop/category/district names, C description and unit); the words
    search_word counts are read from it (exact: no "~"; named: weight A or B).

    No foreign key: a deleted product's document is removed in the same flush, after the product."""

    __tablename__ = "search_document"

    product_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    terms: Mapped[str] = mapped_column(TSVECTOR_TYPE)
    category_id: Mapped[int] = mapped_column(Integer)
    district: Mapped[int] = mapped_column(Integer)
    price_idr: Mapped[int] = mapped_column(BigInteger)
    stock: Mapped[int] = mapped_column(Integer)
    approved_ms: Mapped[int] = mapped_column(BigInteger)
    title_words: Mapped[int] = mapped_column(Integer)
    fingerprint: Mapped[int] = mapped_column(BigInteger)
    # A hash of the texts the lexemes come from: a change that leaves them alone skips the analysis.
    text_key: Mapped[int | None] = mapped_column(BigInteger)

    __table_args__ = (Index("ix_search_document_terms", "terms", postgresql_using="gin"),)


class SearchWord(db.Model):
    """A word of live listings with in how many it occurs (any field; title and names): spelling
    correction and completions read this, so a removed listing's words go with it."""

    __tablename__ = "search_word"

    word: Mapped[str] = mapped_column(String(100), primary_key=True)
    docs: Mapped[int] = mapped_column(Integer)
    named: Mapped[int] = mapped_column(Integer)

    __table_args__ = (
        Index("ix_search_word_trigram", "word", postgresql_using="gist", postgresql_ops={"word": "gist_trgm_ops"}),
        Index("ix_search_word_prefix", "word", postgresql_ops={"word": "varchar_pattern_ops"}),
    )


# Room on every page for a changed copy of a row: a stock or price change then rewrites the row in place
# (a HOT update) instead of adding its hundred lexemes to the GIN index again.
event.listen(SearchDocument.__table__, "after_create",
             DDL(f"ALTER TABLE search_document SET (fillfactor = {FILLFACTOR})").execute_if(dialect="postgresql"))
event.listen(SearchWord.__table__, "before_create",
             DDL("CREATE EXTENSION IF NOT EXISTS pg_trgm").execute_if(dialect="postgresql"))
